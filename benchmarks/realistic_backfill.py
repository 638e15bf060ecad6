"""A backfill through Dagster's real run queue against the realistic-limits sandbox: how busy is the API?

What runs (all real processes, ended when the benchmark ends):

* the sandbox, ``--realistic-limits --time-scale N``: the credit bucket (100,000, refilled at 1,000/s),
  10 concurrent enrichment operations per key, the per-endpoint limits and the modelled batch
  processing time, every time divided by N;
* ``dagster dev`` (webserver + daemon + code server) on a temporary ``DAGSTER_HOME`` whose
  ``dagster.yaml`` is ``example_project/dagster.yaml`` with SQLite instance storage: the run queue
  (``max_concurrent_runs``), the ``ntropy_api`` pool (10 steps at once, op granularity), run retries;
  runs use Dagster's default multiprocess executor (``--executor in_process``: one process per run,
  as ``example_project/`` configures it; ``--executor forkserver``: the multiprocess executor with
  ``start_method: forkserver`` and the heavy modules in ``preload_modules``, so a step forks from a
  process that imported them once per run instead of importing them again);
* a project of ``--partitions`` daily partitions totalling ``--rows`` synthetic transactions, the
  pipeline without marts, its SQLite warehouse in the working directory. The pipeline's own waits
  (``poll_interval``, the sensor interval) are divided by the time scale too, so that they keep their
  real-world proportion to the API's times.

One backfill of every partition is launched through GraphQL (sensor mode: raw, account holders and
batches, then the batch sensor requests the enrichment runs; blocking mode: raw, account holders and
the blocking enrichment step). The benchmark waits until every partition is enriched, then reads
``GET /_sandbox/stats`` and prints:

* the API-bound minimum: the time an ideal client needs under the same limits, from a full bucket
  (:func:`~ntropy_dagster.sandbox.limits.best_split_minimum`: the best split of the transactions into
  equal batches), and beside it the ideal time for full 24,960-transaction batches and for the
  batches the pipeline actually sent;
* the total time (launch to the last partition enriched) and its ratio to the minimum; the capacity
  share kept busy = minimum / total; and the part of it Dagster's backfill daemon took to pick the
  backfill up (it ticks every 30 s, not configurable), with the ratio from its first run on;
* the operation slots' busy share (busy seconds / (10 x total time)) beside the ideal client's;
* every 429 the sandbox sent, by endpoint and reason: those for credits, concurrent operations or an
  endpoint's rate are the ones the pipeline caused by exceeding a documented limit.

Usage::

    python benchmarks/realistic_backfill.py --rows 1000000 --partitions 40 --time-scale 2
    python benchmarks/realistic_backfill.py --rows 200000 --partitions 8 --time-scale 10   # quicker
"""

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from bench_support import load_average, sandbox_process  # also puts the repository on sys.path
from dagster._core.instance.ref import InstanceRef

from example_project.dagster_dev import DagsterDev, Sandbox
from ntropy_dagster.sandbox import RealisticLimits
from ntropy_dagster.sandbox.limits import api_bound_minimum, best_split_minimum, full_batches

REPO_ROOT = Path(__file__).resolve().parents[1]
API_KEY = "backfill-key"
ENRICHED = dg.AssetKey("ntropy_enriched_transactions")
LIMIT_REASONS = ("credits", "concurrent_operations", "endpoint_rate_limit")

PROJECT = '''
"""The benchmark's project: synthetic daily partitions and the pipeline (no marts) on a SQLite warehouse."""

import datetime as dt
import math
import os

import dagster as dg
import pandas as pd

from ntropy_dagster import NtropyWarehouseResource, PipelineOptions, build_ntropy_definitions
from ntropy_dagster.sandbox.synthetic import synthetic_transactions

START = dt.date(2025, 1, 1)
PARTITIONS = int(os.environ["BENCH_PARTITIONS"])
ROWS = int(os.environ["BENCH_ROWS"])
SCALE = float(os.environ["BENCH_TIME_SCALE"])
partitions = dg.DailyPartitionsDefinition(
    start_date=START.isoformat(), end_date=(START + dt.timedelta(days=PARTITIONS)).isoformat()
)


@dg.asset(partitions_def=partitions)
def raw_transactions(context: dg.AssetExecutionContext) -> pd.DataFrame:
    index = (dt.date.fromisoformat(context.partition_key) - START).days
    rows = ROWS // PARTITIONS + (1 if index < ROWS % PARTITIONS else 0)
    return synthetic_transactions(
        dt.date.fromisoformat(context.partition_key), n=rows, account_holders=max(1, rows // 100)
    )


defaults = PipelineOptions()
defs = build_ntropy_definitions(
    raw_transactions,
    warehouse=NtropyWarehouseResource(url=os.environ["BENCH_WAREHOUSE_URL"]),
    blocking=os.environ["BENCH_MODE"] == "blocking",
    include_marts=False,
    options=PipelineOptions(
        poll_interval=defaults.poll_interval / SCALE,
        sensor_interval_seconds=max(1, math.ceil(defaults.sensor_interval_seconds / SCALE)),
        # The bucket refills SCALE times faster on the scaled sandbox.
        credit_refill_per_second=defaults.credit_refill_per_second * SCALE,
        account_holder_rate=defaults.account_holder_rate * SCALE,  # so do the endpoints' limits
    ),
)
if os.environ["BENCH_EXECUTOR"] == "in_process":  # one process per run, as example_project/ does
    defs = dg.Definitions.merge(defs, dg.Definitions(executor=dg.in_process_executor))
elif os.environ["BENCH_EXECUTOR"] == "forkserver":  # a process per step, forked with the imports done
    preload = ["pandas", "pyarrow", "sqlalchemy", "httpx", "ntropy_dagster.dagster.definitions"]
    forkserver = dg.multiprocess_executor.configured(
        {"start_method": {"forkserver": {"preload_modules": preload}}}
    )
    defs = dg.Definitions.merge(defs, dg.Definitions(executor=forkserver))
'''


def instance_yaml(max_runs: int | None) -> str:
    """``example_project/dagster.yaml`` on SQLite storage (its ``storage`` section dropped)."""
    config = yaml.safe_load((REPO_ROOT / "example_project" / "dagster.yaml").read_text())
    config.pop("storage", None)
    if max_runs is not None:
        config["concurrency"]["runs"]["max_concurrent_runs"] = max_runs
    text: str = yaml.safe_dump(config)
    return text


def backfill_selection(mode: str) -> list[str]:
    """What the backfill materializes: raw, account holders and batches (sensor mode: the batch sensor
    requests the enrichment), or raw, account holders and the blocking enrichment step."""
    selection = ["raw_transactions", "ntropy_account_holders"]
    selection.append("ntropy_enriched_transactions" if mode == "blocking" else "ntropy_batches")
    return selection


def failed_runs(instance: dg.DagsterInstance) -> list[str]:
    """Ids and selections of failed runs."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    return [
        f"{run.run_id[:8]} {sorted(k.to_user_string() for k in run.asset_selection or ())}" for run in runs
    ]


def first_run_created(instance: dg.DagsterInstance) -> float:
    """When the backfill daemon created the first run (epoch seconds)."""
    return min(record.create_timestamp.timestamp() for record in instance.get_run_records())


def wait_for_enrichment(
    dev: DagsterDev, sandbox: Sandbox, partitions: Sequence[str], started: float, timeout: float
) -> tuple[float, list[str], float]:
    """Until every partition of the enriched asset is materialized: (seconds since ``started``, failed
    runs, when the first run was created)."""
    last_report = 0.0
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(dev.home))) as instance:
        while True:
            done = set(instance.get_materialized_partitions(ENRICHED)) & set(partitions)
            elapsed = time.monotonic() - started
            if len(done) == len(partitions):
                return elapsed, failed_runs(instance), first_run_created(instance)
            if elapsed > timeout:
                raise TimeoutError(f"{len(done)}/{len(partitions)} partitions enriched after {timeout:.0f}s")
            if elapsed - last_report >= 15:
                last_report = elapsed
                print(
                    f"  {elapsed:6.0f} s: {len(done)}/{len(partitions)} partitions enriched; {progress(sandbox)}"
                )
            time.sleep(1)


def progress(sandbox: Sandbox) -> str:
    """One line of the sandbox's figures so far."""
    with sandbox.client() as http:
        stats = http.get("/_sandbox/stats").json()
    key = stats["keys"][API_KEY]
    return (
        f"credits used {key['credits']['used']:,}, operations in flight {key['operations']['in_flight']}, "
        f"429s {stats['requests_429']['by_reason']}; {load_average()}"
    )


def remote_batch_sizes(sandbox: Sandbox) -> list[int]:
    """The size of every batch the sandbox holds, oldest first."""
    sizes: list[int] = []
    cursor = None
    with sandbox.client() as http:
        while True:
            params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = http.get("/v3/batches", params=params).raise_for_status().json()
            sizes.extend(batch["total"] for batch in page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                return list(reversed(sizes))


def report(
    args: argparse.Namespace,
    launched_at: float,
    first_run: float,
    total: float,
    stats: dict[str, Any],
    sizes: list[int],
    failed: list[str],
) -> None:
    """Print the figures (see the module docstring)."""
    limits = RealisticLimits(time_scale=args.time_scale)
    best, best_size = best_split_minimum(args.rows, limits)
    full = api_bound_minimum(full_batches(args.rows, 24_960), limits)
    own = api_bound_minimum(sizes, limits)
    key = stats["keys"][API_KEY]
    operations = key["operations"]
    slots = limits.max_operations
    ideal_busy = sum(limits.processing_seconds(n) for n in full_batches(args.rows, best_size)) / (
        slots * best
    )
    rejections = stats["requests_429"]
    caused = sum(rejections["by_reason"].get(reason, 0) for reason in LIMIT_REASONS)
    print(
        f"\n{args.rows:,} transactions in {args.partitions} partitions, {args.mode} mode, "
        f"{args.executor} executor, time scale {args.time_scale:g}"
    )
    print(f"API-bound minimum (best equal split, batches of {best_size:,}): {best:.1f} s")
    print(
        f"  with full 24,960-transaction batches: {full:.1f} s; with the {len(sizes)} batches sent: {own:.1f} s"
    )
    print(
        f"total time, backfill launched -> every partition enriched: {total:.1f} s = {total / best:.2f}x the minimum"
    )
    print(f"capacity share kept busy (minimum / total): {best / total:.1%}")
    picked_up = first_run - launched_at
    print(
        f"  of which Dagster's backfill daemon took {picked_up:.1f} s to create the first run (it ticks "
        f"every 30 s); from that run on: {total - picked_up:.1f} s = {(total - picked_up) / best:.2f}x"
    )
    print(
        f"operation slots busy: {operations['busy_seconds']:.0f} slot-seconds = "
        f"{operations['busy_seconds'] / (slots * total):.1%} of {slots} slots x total time (ideal client: "
        f"{ideal_busy:.1%}); peak {operations['peak_concurrent']} at once"
    )
    if operations["first_started"] and operations["last_done"]:
        first = dt.datetime.fromisoformat(operations["first_started"]).timestamp()
        last = dt.datetime.fromisoformat(operations["last_done"]).timestamp()
        print(
            f"launch -> first batch admitted: {first - launched_at:.1f} s; first -> last batch done: "
            f"{last - first:.1f} s; last batch done -> every partition enriched: {launched_at + total - last:.1f} s"
        )
    print(
        f"credits used: {key['credits']['used']:,} (transactions in batches: {operations['transactions']:,})"
    )
    print(f"429s sent: {rejections['total']} {json.dumps(rejections['by_endpoint'])}")
    print(f"429s the pipeline caused by exceeding a documented limit: {caused}")
    print(f"failed runs: {failed or 'none'}; {load_average()}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="transactions in all (default: 1,000,000)"
    )
    parser.add_argument("--partitions", type=int, default=40, help="daily partitions (default: 40)")
    parser.add_argument("--time-scale", type=float, default=2.0, help="sandbox time scale (default: 2)")
    parser.add_argument("--mode", choices=("sensor", "blocking"), default="sensor")
    parser.add_argument(
        "--executor",
        choices=("multiprocess", "forkserver", "in_process"),
        default="multiprocess",
        help="the runs' executor: Dagster's default (a process per step, spawned), the same with the "
        "steps forked from a server that imported Dagster, pandas and the package once per run, or one "
        "process per run",
    )
    parser.add_argument(
        "--max-runs", type=int, default=None, help="override max_concurrent_runs (default: 8)"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the sandbox and dagster dev, run the backfill, print the figures."""
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ntropy-backfill-"))
    (workdir / "project.py").write_text(PROJECT)
    partitions = [(dt.date(2025, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(args.partitions)]
    print(f"working directory {workdir}; {load_average()}", flush=True)
    try:
        scale = ["--realistic-limits", "--time-scale", str(args.time_scale)]
        with sandbox_process(workdir, API_KEY, *scale) as sandbox:
            env = {
                "NTROPY_API_KEY": API_KEY,
                "NTROPY_BASE_URL": sandbox.base_url,
                "BENCH_ROWS": str(args.rows),
                "BENCH_PARTITIONS": str(args.partitions),
                "BENCH_TIME_SCALE": str(args.time_scale),
                "BENCH_MODE": args.mode,
                "BENCH_EXECUTOR": args.executor,
                "BENCH_WAREHOUSE_URL": f"sqlite:///{workdir / 'warehouse.db'}",
                "DAGSTER_DISABLE_TELEMETRY": "1",
            }
            with DagsterDev.start(
                ("-f", str(workdir / "project.py")),
                home=workdir / "dagster_home",
                log=workdir / "dagster_dev.log",
                env=env,
                instance_yaml=instance_yaml(args.max_runs),
                cwd=workdir,
            ) as dev:
                dev.wait_loaded(300)
                with sandbox.client() as http:
                    http.delete("/_sandbox/stats").raise_for_status()  # the window starts with the backfill
                started, launched_at = time.monotonic(), time.time()
                dev.launch_backfill(partitions, backfill_selection(args.mode))
                total, failed, first_run = wait_for_enrichment(
                    dev, sandbox, partitions, started, args.timeout
                )
                with sandbox.client() as http:
                    stats = http.get("/_sandbox/stats").raise_for_status().json()
                sizes = remote_batch_sizes(sandbox)
        report(args, launched_at, first_run, total, stats, sizes, failed)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
