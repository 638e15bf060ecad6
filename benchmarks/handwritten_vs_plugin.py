"""The plugin in blocking mode beside the shortest script a user would write instead: time and peak RSS.

Both sides enrich the same raw rows (one partition of synthetic transactions, read from the same
Parquet file) against the same instant-mode sandbox (a process of its own, reset before every run) and
write the same enriched columns into a fresh SQLite file. Each run is a separate process, measured
from spawn to exit (wall time, peak RSS from ``wait4``); the child also reports its own work time,
from reading the input to the last write (imports excluded). The two sides alternate.

* **hand-written** (:func:`handwritten`): httpx + sqlite3: create the account holders, then per chunk
  of <= 24,960 rows POST ``/v3/batches``, poll, GET the results, flatten, ``executemany``.
* **plugin**: ``build_ntropy_assets(raw, blocking=True, include_marts=False)`` (its credit and
  account-holder pacing off: the instant sandbox meters no credits and limits no endpoint) materialized with
  ``dagster.materialize`` (raw asset, account holders, enriched transactions and their asset checks),
  ``NtropyWarehouseResource`` on SQLite. The raw asset returns ``ParquetSource(path)``, as a user with a
  large partition would: the pipeline reads it ``read_chunk_rows`` rows at a time (``--plugin-frame``
  returns ``pd.read_parquet(path)`` instead, the whole partition as one DataFrame;
  ``--no-store-while-submitting`` sets ``PipelineOptions(store_while_submitting=False)``).

Usage::

    python benchmarks/handwritten_vs_plugin.py --rows 50000 --rows 250000 --repeat 3
    python benchmarks/handwritten_vs_plugin.py --rows 250000 --profile   # py-spy profile of the plugin run
    python benchmarks/handwritten_vs_plugin.py --rows 250000 --profile --sides handwritten
    python benchmarks/handwritten_vs_plugin.py --rows 1000000 --repeat 1 --sides plugin   # the plugin alone

``--profile`` needs ``py-spy`` (``pip install py-spy``); it records the whole plugin process with idle
frames (time spent waiting for the sandbox shows), writes ``--profile-out`` (py-spy's raw format, which
flamegraph tools read) and prints the 15 frames with the most self time.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from bench_support import load_average, run_measured, sandbox_process, span, top_self_frames

DAY = dt.date(2025, 1, 15)
PARTITION = DAY.isoformat()
API_KEY = "bench-key"
MAX_BATCH = 24_960
POLL_SECONDS = 2.0  # the plugin's default PipelineOptions.poll_interval
SIDES = ("handwritten", "plugin")

# ----------------------------------------------------------------------------------------------------
# The hand-written script: what a user would write instead of the plugin (kept short on purpose).
# ----------------------------------------------------------------------------------------------------

INPUT_FIELDS = ("id", "description", "date", "amount", "entry_type", "currency", "account_holder_id")
COLUMNS = [
    "transaction_id",
    "account_holder_id",
    "partition_key",
    "batch_id",
    "description",
    "date",
    "amount",
    "entry_type",
    "currency",
    "counterparty_id",
    "counterparty_name",
    "counterparty_website",
    "counterparty_logo",
    "counterparty_type",
    "counterparty_mccs",
    "intermediaries",
    "intermediary_names",
    "category_general",
    "category_accounting",
    "location_raw_address",
    "location_city",
    "location_state",
    "location_postcode",
    "location_country_code",
    "location_country",
    "location_latitude",
    "location_longitude",
    "location_store_number",
    "location_google_maps_url",
    "error_code",
    "error_message",
    "source",
    "enriched_at",
]


def flatten(tx: Mapping[Any, Any], result: dict[str, Any], batch_id: str, stamp: str) -> tuple[Any, ...]:
    """One enriched row, in :data:`COLUMNS` order."""
    entities = result.get("entities") or {}
    party = entities.get("counterparty") or {}
    middle = entities.get("intermediaries") or []
    categories = result.get("categories") or {}
    location = result.get("location") or {}
    place = location.get("structured") or {}
    error = result.get("error") or {}
    return (
        tx["id"],
        tx["account_holder_id"] or "",
        PARTITION,
        batch_id,
        tx["description"],
        tx["date"],
        tx["amount"],
        tx["entry_type"],
        tx["currency"],
        party.get("id"),
        party.get("name"),
        party.get("website"),
        party.get("logo"),
        party.get("type"),
        json.dumps(party.get("mccs")) if party.get("mccs") else None,
        json.dumps(middle) if middle else None,
        ", ".join(m["name"] for m in middle if m.get("name")) or None,
        categories.get("general"),
        categories.get("accounting"),
        location.get("raw_address"),
        place.get("city"),
        place.get("state"),
        place.get("postcode"),
        place.get("country_code"),
        place.get("country"),
        place.get("latitude"),
        place.get("longitude"),
        place.get("store_number"),
        place.get("google_maps_url"),
        error.get("code"),
        error.get("message"),
        "raw",
        stamp,
    )


def handwritten(input_path: str, base_url: str, api_key: str, db_path: str) -> int:
    """Enrich the Parquet file's transactions into ``db_path``; the number of rows written."""
    frame = pd.read_parquet(input_path)
    http = httpx.Client(base_url=base_url, headers={"X-Api-Key": api_key}, timeout=600)
    holders = frame[["account_holder_id", "account_holder_type"]].dropna().drop_duplicates()
    for holder_id, kind in holders.itertuples(index=False):
        http.post("/v3/account_holders", json={"id": holder_id, "type": kind})  # 400 = exists already
    rows = frame[list(INPUT_FIELDS)].to_dict("records")
    db = sqlite3.connect(db_path)
    db.execute(
        f"CREATE TABLE IF NOT EXISTS enriched_transactions ({', '.join(COLUMNS)}, "
        "PRIMARY KEY (transaction_id, account_holder_id))"
    )
    insert = f"INSERT OR REPLACE INTO enriched_transactions VALUES ({', '.join('?' * len(COLUMNS))})"
    written = 0
    for start in range(0, len(rows), MAX_BATCH):
        chunk = rows[start : start + MAX_BATCH]
        batch = http.post("/v3/batches", json={"operation": "POST /v3/transactions", "data": chunk})
        batch_id = batch.raise_for_status().json()["id"]
        while http.get(f"/v3/batches/{batch_id}").json()["status"] == "processing":
            time.sleep(POLL_SECONDS)
        results = http.get(f"/v3/batches/{batch_id}/results").raise_for_status().json()["results"]
        by_id = {r["id"]: r for r in results}
        stamp = dt.datetime.now(dt.timezone.utc).isoformat()
        db.executemany(insert, [flatten(tx, by_id[tx["id"]], batch_id, stamp) for tx in chunk])
        db.commit()
        written += len(chunk)
    db.close()
    return written


# ----------------------------------------------------------------------------------------------------
# The plugin side: the real asset materialization in blocking mode.
# ----------------------------------------------------------------------------------------------------


def plugin(
    input_path: str,
    base_url: str,
    api_key: str,
    db_path: str,
    *,
    whole_frame: bool = False,
    store_while_submitting: bool = True,
) -> int:
    """Materialize raw -> account holders -> enriched (blocking mode, checks included) into ``db_path``."""
    import dagster as dg

    from ntropy_dagster import (
        NtropyResource,
        NtropyWarehouseResource,
        ParquetSource,
        PipelineOptions,
        build_ntropy_assets,
    )

    @dg.asset(name="raw_transactions", partitions_def=dg.DailyPartitionsDefinition(start_date="2025-01-01"))
    def raw_transactions(context: dg.AssetExecutionContext) -> Any:  # a DataFrame or a ParquetSource
        del context
        return pd.read_parquet(input_path) if whole_frame else ParquetSource(input_path)

    # The instant sandbox has no credit bucket and no per-endpoint limit (the hand-written script does
    # not pace either): the plugin is told so, instead of pacing to the API's 100,000 credits refilled
    # at 1,000/s and its 100 account-holder creates a second.
    unmetered = PipelineOptions(
        credit_bucket=10**9,
        credit_refill_per_second=10**9,
        account_holder_rate=10**9,
        store_while_submitting=store_while_submitting,
    )
    pipeline = build_ntropy_assets(raw_transactions, blocking=True, include_marts=False, options=unmetered)
    home = Path(db_path).parent / "dagster_home"
    home.mkdir(exist_ok=True)
    with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
        result = dg.materialize(
            [raw_transactions, *pipeline.assets, *pipeline.asset_checks],
            partition_key=PARTITION,
            instance=instance,
            resources={
                "ntropy": NtropyResource(api_key=api_key, base_url=base_url),
                "ntropy_warehouse": NtropyWarehouseResource(url=f"sqlite:///{db_path}"),
            },
        )
    assert result.success
    with sqlite3.connect(db_path) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM ntropy_enriched_transactions").fetchone()
    return int(count)


def child_main(args: argparse.Namespace) -> int:
    """Run one side in this process and print its work time (imports excluded) as JSON."""
    if args.child == "plugin":
        # What plugin() imports, loaded before the clock starts (the package loads its modules lazily).
        import dagster  # noqa: F401

        from ntropy_dagster import build_ntropy_assets  # noqa: F401
    started = time.perf_counter()
    if args.child == "handwritten":
        rows = handwritten(args.input, args.base_url, API_KEY, args.db)
    else:
        rows = plugin(
            args.input,
            args.base_url,
            API_KEY,
            args.db,
            whole_frame=args.plugin_frame,
            store_while_submitting=args.store_while_submitting,
        )
    print(json.dumps({"rows": rows, "work_seconds": time.perf_counter() - started}))
    return 0


# ----------------------------------------------------------------------------------------------------
# The driver.
# ----------------------------------------------------------------------------------------------------


def write_input(rows: int, path: Path) -> None:
    """``rows`` synthetic transactions of one day (about 100 per account holder) as Parquet.

    Written by a process of its own: Linux reports as a child's peak RSS (``ru_maxrss``) at least the
    parent's RSS when it forked, so a driver that had built a million-row frame would be measured in
    every child it starts."""
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--write-input", str(rows), str(path)], check=True
    )


def _write_input_here(rows: int, path: Path) -> None:
    from ntropy_dagster.sandbox.synthetic import synthetic_transactions

    synthetic_transactions(DAY, n=rows, account_holders=max(1, rows // 100)).to_parquet(path)


def child_command(
    side: str, input_path: Path, base_url: str, db_path: Path, *, plugin_flags: Sequence[str] = ()
) -> list[str]:
    """The command running ``side`` in a fresh interpreter."""
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        side,
        "--input",
        str(input_path),
        "--base-url",
        base_url,
        "--db",
        str(db_path),
        *(plugin_flags if side == "plugin" else ()),
    ]


def run_side(
    side: str,
    rows: int,
    input_path: Path,
    sandbox: Any,
    workdir: Path,
    *,
    plugin_flags: Sequence[str] = (),
) -> dict[str, float]:
    """One measured run of ``side`` on a freshly reset sandbox and an empty SQLite file."""
    with sandbox.client() as http:
        http.post("/_sandbox/reset").raise_for_status()
    rundir = workdir / f"{side}-run"
    shutil.rmtree(rundir, ignore_errors=True)
    rundir.mkdir()
    db_path = rundir / "warehouse.db"
    command = child_command(side, input_path, sandbox.base_url, db_path, plugin_flags=plugin_flags)
    child = run_measured(command, cwd=rundir)
    if child.returncode != 0:
        raise RuntimeError(f"{side} failed with status {child.returncode}:\n{child.output[-3000:]}")
    report = json.loads(child.output.strip().splitlines()[-1])
    if report["rows"] != rows:
        raise RuntimeError(f"{side} wrote {report['rows']} rows, expected {rows}")
    return {"wall": child.wall_seconds, "work": report["work_seconds"], "rss": child.peak_rss_mb}


def same_rows(workdir: Path) -> int:
    """Rows whose enrichment differs between the last hand-written and the last plugin run (0 = same)."""
    with sqlite3.connect(workdir / "handwritten-run" / "warehouse.db") as db:
        db.execute("ATTACH DATABASE ? AS plugin", (str(workdir / "plugin-run" / "warehouse.db"),))
        (differing,) = db.execute(
            "SELECT COUNT(*) FROM enriched_transactions h LEFT JOIN plugin.ntropy_enriched_transactions p "
            "ON p.transaction_id = h.transaction_id WHERE p.transaction_id IS NULL "
            "OR p.counterparty_name IS NOT h.counterparty_name OR p.category_general IS NOT h.category_general "
            "OR p.location_city IS NOT h.location_city OR p.error_code IS NOT h.error_code "
            "OR p.intermediary_names IS NOT h.intermediary_names OR p.amount IS NOT h.amount"
        ).fetchone()
    return int(differing)


def compare(
    rows: int,
    repeat: int,
    sandbox: Any,
    workdir: Path,
    *,
    sides: Sequence[str] = SIDES,
    plugin_flags: Sequence[str] = (),
) -> dict[str, list[dict[str, float]]]:
    """``repeat`` alternating runs of both sides (or of ``sides``) at ``rows`` rows."""
    input_path = workdir / f"raw-{rows}.parquet"
    write_input(rows, input_path)
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for index in range(repeat):
        for side in sides if index % 2 == 0 else tuple(reversed(sides)):
            runs[side].append(run_side(side, rows, input_path, sandbox, workdir, plugin_flags=plugin_flags))
            figures = runs[side][-1]
            print(
                f"  {rows:>9,} {side:<11} wall {figures['wall']:6.1f} s  work {figures['work']:6.1f} s  "
                f"peak RSS {figures['rss']:6.0f} MB  ({load_average()})",
                flush=True,
            )
    if len(sides) == len(SIDES):
        print(f"  rows differing between the two warehouses: {same_rows(workdir)}", flush=True)
    return runs


def print_table(results: dict[int, dict[str, list[dict[str, float]]]]) -> None:
    """Markdown table: ranges per side and the ratio of the medians (plugin / hand-written)."""
    print("\n| N transactions | measure | plugin | hand-written | ratio (medians) |")
    print("| --- | --- | --- | --- | --- |")
    for rows, runs in results.items():
        if len(runs) < len(SIDES):
            for side, side_runs in runs.items():
                wall, rss = [r["wall"] for r in side_runs], [r["rss"] for r in side_runs]
                print(
                    f"| {rows:,} | {side} alone | {span(wall, '{:.1f}')} s | peak RSS {span(rss, '{:.0f}')} MB | |"
                )
            continue
        for measure, label, unit in (
            ("wall", "time, process", "s"),
            ("work", "time, work", "s"),
            ("rss", "peak RSS", "MB"),
        ):
            plugin_values = [r[measure] for r in runs["plugin"]]
            hand_values = [r[measure] for r in runs["handwritten"]]
            fmt = "{:.0f}" if unit == "MB" else "{:.1f}"
            ratio = _median(plugin_values) / _median(hand_values)
            print(
                f"| {rows:,} | {label} | {span(plugin_values, fmt)} {unit} | {span(hand_values, fmt)} {unit} "
                f"| {ratio:.2f}x |"
            )


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def profile(rows: int, sandbox: Any, workdir: Path, out: Path, side: str = "plugin") -> None:
    """Record one side (the plugin by default) under py-spy, idle frames included, and print the top
    self-time frames."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise SystemExit("--profile needs py-spy: pip install py-spy")
    input_path = workdir / f"raw-{rows}.parquet"
    write_input(rows, input_path)
    with sandbox.client() as http:
        http.post("/_sandbox/reset").raise_for_status()
    rundir = workdir / f"{side}-profile"
    rundir.mkdir(exist_ok=True)
    command = [py_spy, "record", "--idle", "--rate", "200", "--format", "raw", "--output", str(out), "--"]
    command += child_command(side, input_path, sandbox.base_url, rundir / "warehouse.db")
    child = run_measured(command, cwd=rundir)
    if child.returncode != 0:
        raise RuntimeError(f"the profiled run failed:\n{child.output[-3000:]}")
    print(f"profile of the {side} side at {rows:,} rows: {out} ({child.wall_seconds:.1f} s under py-spy)")
    print("\n| # | frame (self time, idle included) | samples | share |")
    print("| --- | --- | --- | --- |")
    for rank, (frame, samples, share) in enumerate(top_self_frames(out, 15), start=1):
        print(f"| {rank} | `{frame}` | {samples} | {share:.1%} |")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments (the ``--child`` ones are internal)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="transactions (repeatable; 50k and 250k)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side per size (default: 3)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile one side with py-spy instead (--sides; default plugin)",
    )
    parser.add_argument("--profile-out", type=Path, default=Path("plugin-profile.txt"))
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--sides", choices=(*SIDES, "both"), default="both", help="run one side only")
    parser.add_argument(
        "--plugin-frame",
        action="store_true",
        help="the plugin's raw asset returns one DataFrame, not a source",
    )
    parser.add_argument(
        "--no-store-while-submitting",
        dest="store_while_submitting",
        action="store_false",
        help="the plugin's PipelineOptions(store_while_submitting=False)",
    )
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--write-input", nargs=2, metavar=("ROWS", "PATH"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison (or one child) and print the figures."""
    args = parse_args(argv)
    if args.write_input:
        _write_input_here(int(args.write_input[0]), Path(args.write_input[1]))
        return 0
    if args.child:
        return child_main(args)
    sizes = args.rows or ([250_000] if args.profile else [50_000, 250_000])
    workdir = Path(tempfile.mkdtemp(prefix="ntropy-bench-"))
    print(f"{load_average()}; working directory {workdir}", flush=True)
    try:
        with sandbox_process(workdir, API_KEY, "--instant") as sandbox:
            if args.profile:
                side = "plugin" if args.sides == "both" else args.sides
                profile(sizes[0], sandbox, workdir, args.profile_out.resolve(), side)
                return 0
            sides = SIDES if args.sides == "both" else (args.sides,)
            flags = ["--plugin-frame"] * args.plugin_frame + ["--no-store-while-submitting"] * (
                not args.store_while_submitting
            )
            results = {
                rows: compare(rows, args.repeat, sandbox, workdir, sides=sides, plugin_flags=flags)
                for rows in sizes
            }
        print_table(results)
        print(f"\n{load_average()}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    sys.exit(main())
