"""The showcase, end to end, offline, through the real Dagster daemon: ``python -m example_project.run``.

What it does (``bash scripts/example.sh`` runs it):

1. resets its data folder (``example_project/data``, or ``--data-dir``): the SQLite warehouse, the sandbox's
   database and the Dagster instance of the previous run are removed; the statement PDFs are (re)written;
2. starts the bundled Ntropy sandbox on a free loopback port (a process of its own);
3. starts ``dagster dev`` (webserver, daemon and code server) on a free loopback port, with a fresh
   ``DAGSTER_HOME`` whose ``dagster.yaml`` is ``example_project/dagster.yaml`` on embedded SQLite storage
   (its run queue and the ``ntropy_api`` pool kept);
4. launches ONE backfill of the raw partitions (raw transactions, account holders, batches) through
   Dagster's GraphQL API, ``launchPartitionBackfill``, as the UI's "Materialize" button does;
5. then only watches, printing progress every few seconds, while the daemon does the rest: the backfill
   daemon runs the 12 monthly partitions, the batch sensor requests each enrichment run when its batches
   finish, the statement sensors upload the PDFs and store their results, and the marts' automation sensor
   refreshes recurring groups and income once the enriched data stopped moving;
6. prints a summary read from the warehouse, then stops every process it started (also on failure and
   on Ctrl-C). With ``--ui`` the UI, the daemon and the sandbox stay up until Ctrl-C.

Nothing here drives Dagster in-process: every run is launched by the daemon.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pandas as pd
import sqlalchemy as sa
import yaml

from example_project.dagster_dev import Child, DagsterDev, DagsterDevError, start_sandbox

PROJECT_DIR = Path(__file__).resolve().parent
SANDBOX_API_KEY = "demo-key"
SANDBOX_RATE = 20_000  # transactions per second the sandbox enriches (its default is 2,000)
RAW_PATH = ("raw_transactions", "ntropy_account_holders", "ntropy_batches")
"""What the backfill materializes; everything else is the daemon's (sensors and automation)."""
MARTS = ("ntropy_recurring_groups", "ntropy_income")
ENRICHED = ("ntropy_enriched_transactions", "bank_statement_enriched_transactions")
LABELS = {
    "raw_transactions": "raw",
    "ntropy_account_holders": "holders",
    "ntropy_batches": "batches",
    "ntropy_enriched_transactions": "enriched",
    "submitted_bank_statements": "stmt uploaded",
    "bank_statement_transactions": "stmt parsed",
    "bank_statement_enriched_transactions": "stmt enriched",
    "ntropy_recurring_groups": "groups",
    "ntropy_income": "income",
}
UI_COMMAND = "dagster dev -m example_project.definitions"


class ShowcaseError(DagsterDevError):
    """The showcase could not finish: a process died, a run failed or time ran out."""


def port_free(port: int) -> bool:
    """True if nothing listens on ``port`` of the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# ------------------------------------------------------------------------------------------------- GraphQL


PROGRESS = """
query Progress($backfillId: String!) {
  assetNodes {
    assetKey { path }
    isPartitioned
    partitionStats { numMaterialized numPartitions numFailed numMaterializing }
    assetMaterializations(limit: 1) { timestamp }
  }
  queued: runsOrError(filter: {statuses: [QUEUED]}) { ... on Runs { count } }
  starting: runsOrError(filter: {statuses: [NOT_STARTED, STARTING]}) { ... on Runs { count } }
  running: runsOrError(filter: {statuses: [STARTED, CANCELING]}) { ... on Runs { count } }
  done: runsOrError(filter: {statuses: [SUCCESS]}) { ... on Runs { count } }
  failed: runsOrError(filter: {statuses: [FAILURE, CANCELED]}) {
    ... on Runs { count results { runId tags { key value } } }
  }
  partitionBackfillOrError(backfillId: $backfillId) { ... on PartitionBackfill { status } }
}"""

FAILURE_EVENTS = """
query Failure($runId: ID!) {
  logsForRun(runId: $runId) { ... on EventConnection { events {
    __typename ... on ExecutionStepFailureEvent { stepKey error { message causes { message } } }
    ... on RunFailureEvent { message } } } }
}"""

RUNS = """{ runsOrError { ... on Runs { results { status tags { key value } } } } }"""

CHECKS = """{ assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks {
    name executionForLatestMaterialization { status } } } } } }"""


@dataclass
class Progress:
    """One look at the instance: partitions per asset, the marts' freshness, the runs."""

    assets: dict[str, tuple[int, int]]  # key -> (materialized, expected)
    latest: dict[str, float]  # key -> timestamp of its latest materialization (0: never)
    queued: int
    starting: int
    running: int
    done: int
    failed_runs: list[str]
    backfill: str

    def line(self, elapsed: float) -> str:
        parts = [f"{LABELS.get(k, k)} {m}/{n}" for k, (m, n) in self.assets.items()]
        parts += [f"{LABELS[m]} {'ok' if self.mart_fresh(m) else '-'}" for m in MARTS]
        runs = (
            f"runs: {self.queued} queued, {self.starting} starting, {self.running} running, {self.done} done"
        )
        if self.failed_runs:
            runs += f", {len(self.failed_runs)} FAILED"
        return f"[{elapsed:4.0f}s] {' | '.join(parts)} | {runs}"

    def mart_fresh(self, mart: str) -> bool:
        """Materialized after the latest materialization of every enriched asset."""
        newest_input = max(self.latest.get(k, 0.0) for k in ENRICHED)
        return self.latest.get(mart, 0.0) > newest_input > 0

    @property
    def finished(self) -> bool:
        return (
            all(m == n for m, n in self.assets.values())
            and all(self.mart_fresh(m) for m in MARTS)
            and self.queued == self.starting == self.running == 0
            and self.backfill.startswith("COMPLETED")
        )


def read_progress(dagster: DagsterDev, backfill_id: str, expected: Mapping[str, int]) -> Progress:
    """Query the instance once through GraphQL."""
    data = dagster.graphql(PROGRESS, {"backfillId": backfill_id})
    assets: dict[str, tuple[int, int]] = {}
    latest: dict[str, float] = {}
    for node in data["assetNodes"]:
        key = "/".join(node["assetKey"]["path"])
        materializations = node["assetMaterializations"]
        latest[key] = float(materializations[0]["timestamp"]) if materializations else 0.0
        if node["isPartitioned"] and key in expected:
            stats = node["partitionStats"] or {}
            assets[key] = (int(stats.get("numMaterialized", 0)), expected[key])
    failed = data["failed"]
    return Progress(
        assets={k: assets.get(k, (0, n)) for k, n in expected.items()},
        latest=latest,
        queued=int(data["queued"]["count"]),
        starting=int(data["starting"]["count"]),
        running=int(data["running"]["count"]),
        done=int(data["done"]["count"]),
        failed_runs=[r["runId"] for r in failed.get("results", [])],
        backfill=str((data["partitionBackfillOrError"] or {}).get("status", "?")),
    )


def failure_report(dagster: DagsterDev, run_ids: list[str]) -> str:
    """The step errors of failed runs, for the error message."""
    lines = []
    for run_id in run_ids[:3]:
        events = dagster.graphql(FAILURE_EVENTS, {"runId": run_id})["logsForRun"].get("events", [])
        errors = [
            f"  {e.get('stepKey') or 'run'}: {_error_text(e)}"
            for e in events
            if e["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent")
        ]
        lines.append(f"run {run_id}:\n" + "\n".join(errors[:4]))
    return "\n".join(lines)


def _error_text(event: Mapping[str, Any]) -> str:
    """A failure event's message with the messages of its causes (the user's exception is a cause)."""
    error = event.get("error") or {}
    messages = [error.get("message") or event.get("message") or "?"]
    messages += [cause["message"] for cause in error.get("causes") or [] if cause.get("message")]
    return "\n    caused by: ".join(message.strip() for message in messages)


def watch(
    dagster: DagsterDev,
    backfill_id: str,
    expected: Mapping[str, int],
    children: list[Child],
    *,
    timeout: float,
    every: float,
) -> Progress:
    """Print progress every ``every`` seconds until everything is done; raise on a failure or time-out."""
    started = time.monotonic()
    last_line = ""
    last_print = 0.0
    while True:
        for child in children:
            if not child.alive():
                raise ShowcaseError(child.exited())
        progress = read_progress(dagster, backfill_id, expected)
        elapsed = time.monotonic() - started
        line = progress.line(elapsed)
        if progress.failed_runs:
            print(line, flush=True)
            raise ShowcaseError(f"a run failed:\n{failure_report(dagster, progress.failed_runs)}")
        if progress.finished:
            print(line, flush=True)
            return progress
        body = line.split("] ", 1)[1]
        if body != last_line or elapsed - last_print >= 10:
            print(line, flush=True)
            last_line, last_print = body, elapsed
        if elapsed > timeout:
            raise ShowcaseError(f"not finished after {timeout:.0f} s: {line}")
        time.sleep(every)


# ------------------------------------------------------------------------------------------------- setup


def instance_yaml(max_concurrent_runs: int) -> str:
    """``example_project/dagster.yaml`` for one machine: its settings on embedded SQLite storage.

    The PostgreSQL ``storage`` is left out (runs, events and schedules go to SQLite files under
    DAGSTER_HOME), and so are ``run_monitoring`` and ``run_retries`` (they recover workers lost on other
    machines; here a failed run should show at once). The run queue is capped for a 2-core machine.
    """
    config = yaml.safe_load((PROJECT_DIR / "dagster.yaml").read_text())
    for key in ("storage", "run_monitoring", "run_retries"):
        config.pop(key, None)
    config.setdefault("concurrency", {}).setdefault("runs", {})["max_concurrent_runs"] = max_concurrent_runs
    return str(yaml.safe_dump(config, sort_keys=False))


def reset_data(data_dir: Path) -> None:
    """Remove what a previous showcase left (warehouse file, sandbox database, instance, logs)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for pattern in ("warehouse.db*", "sandbox.db*"):
        for path in data_dir.glob(pattern):
            path.unlink()
    for folder in ("dagster_home", "logs"):
        shutil.rmtree(data_dir / folder, ignore_errors=True)


def reset_external_warehouse(url: str, schema: str) -> None:
    """Drop the showcase's tables (``ntropy_*`` in ``schema``) of a warehouse given by URL: the sandbox
    starts empty, so a ledger of batches from an earlier showcase would point at batches it never had."""
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData(schema=schema)
        with engine.begin() as conn:
            if not sa.inspect(conn).has_schema(schema):
                return
            metadata.reflect(conn, only=lambda name, _meta: name.startswith("ntropy_"))
            metadata.drop_all(conn)
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------------- summary


def _table(frame: pd.DataFrame) -> str:
    """A frame as indented plain text."""
    if frame.empty:
        return "    (none)"
    return "\n".join("    " + line for line in frame.to_string(index=False).splitlines())


def _normalise_reason(reason: str) -> str:
    """A rejection reason without the row's own values, so equal reasons group together."""
    reason = re.sub(r"\(got [^)]*\)", "(got ...)", reason)
    reason = re.sub(r"'[^']*'|\"[^\"]*\"", "...", reason)
    return re.sub(r"\brow \d+", "a later row", reason)


# Recurring groups shown as examples: (what, condition on the recurring-groups table)
GROUP_EXAMPLES = (
    ("a subscription", "counterparty_name = 'Netflix' and is_active"),
    ("a price change", "counterparty_name = 'Spotify' and average_amount > 12"),
    (
        "a cancelled subscription",
        "category_general in ('streaming services', 'digital subscriptions') and not is_active",
    ),
    ("a utility bill", "category_general = 'utilities' and is_active"),
    ("rent", "category_general = 'rent' and is_active"),
    ("a salary", "category_general = 'salary' and is_active"),
    ("a business's SaaS", "counterparty_name = 'Slack' and is_active"),
    ("a business's payroll", "counterparty_name = 'ADP' and is_active"),
)
INCOME_EXAMPLES = ("salary", "benefits", "pension", "transfers", "other")


def summary(url: str, schema: str | None, dagster: DagsterDev, elapsed: float, data_dir: Path) -> str:
    """The showcase's results, read from the warehouse (runs and checks from Dagster's GraphQL API)."""
    prefix = f"{schema}." if schema else ""
    names = ("enriched_transactions", "rejected_transactions", "recurring_groups", "income_sources",
             "bank_statements", "account_holders")  # fmt: skip
    t = {name: f"{prefix}ntropy_{name}" for name in names}
    engine = sa.create_engine(url)

    def read(sql: str) -> pd.DataFrame:
        with engine.connect() as conn:  # amounts rounded here: PostgreSQL has no round(double, int)
            return pd.read_sql(sa.text(sql.format(**t)), conn).round(2)

    try:
        by_source = read("select source, count(*) as n from {enriched_transactions} group by source")
        counts = {str(k): int(v) for k, v in zip(by_source["source"], by_source["n"], strict=True)}
        holders = read(
            """select type, count(*) as n from {account_holders}
            where account_holder_id not like 'stmt-%' group by type"""
        )
        holder_counts = {str(k): int(v) for k, v in zip(holders["type"], holders["n"], strict=True)}
        span = read(
            "select min(date) as first, max(date) as last from {enriched_transactions} where source = 'raw'"
        )
        known = int(
            read("select count(*) as n from {enriched_transactions} where counterparty_name is not null")[
                "n"
            ][0]
        )
        rejected = read("select field, reason from {rejected_transactions}")
        reasons = (
            rejected.assign(reason=rejected["reason"].map(_normalise_reason))
            .groupby(["field", "reason"])
            .size()
            .reset_index(name="rows")
            .sort_values("rows", ascending=False)
        )
        merchants = read(
            """select counterparty_name as merchant, count(*) as transactions, sum(amount) as total_usd,
            count(distinct account_holder_id) as customers
            from {enriched_transactions} where counterparty_type = 'organization' and entry_type = 'outgoing'
            group by counterparty_name order by transactions desc limit 10"""
        )
        categories = {
            kind: read(
                f"""select e.category_general as category, count(*) as transactions
                from {{enriched_transactions}} e join {{account_holders}} h using (account_holder_id)
                where h.type = '{kind}' group by e.category_general order by transactions desc limit 8"""
            )
            for kind in ("consumer", "business")
        }
        groups = read(
            """select count(*) as n, sum(case when is_active then 1 else 0 end) as active,
            count(distinct account_holder_id) as holders from {recurring_groups}"""
        )
        periodicity = read(
            "select periodicity, count(*) as n from {recurring_groups} group by periodicity order by n desc"
        )
        examples = pd.concat(
            [
                read(
                    f"""select account_holder_id as holder, counterparty_name as counterparty,
                    periodicity, average_amount as avg_usd, transaction_count as payments,
                    start_date as first_date, end_date as last_date, is_active as active,
                    next_expected_date as next_expected
                    from {{recurring_groups}} where {where} order by account_holder_id limit 1"""
                ).assign(example=what)
                for what, where in GROUP_EXAMPLES
            ],
            ignore_index=True,
        )
        examples.insert(0, "example", examples.pop("example"))
        income = read(
            """select source_type as type, count(*) as sources, count(distinct account_holder_id) as holders,
            sum(monthly_income) as monthly_usd
            from {income_sources} group by source_type order by sources desc"""
        )
        income_examples = pd.concat(
            [
                read(
                    f"""select account_holder_id as holder, source_name as source, source_type as type,
                    pay_frequency, average_amount as avg_usd, monthly_income as monthly_usd,
                    next_expected_date as next_expected
                    from {{income_sources}} where source_type = '{kind}' order by account_holder_id limit 1"""
                )
                for kind in INCOME_EXAMPLES
            ],
            ignore_index=True,
        )
        statements = read(
            """select file_path, institution, account_holder_name as holder, account_number_masked as account,
            transaction_count as lines, opening_balance as opening, closing_balance as closing,
            is_reconciled as reconciled from {bank_statements} order by file_path"""
        )
    finally:
        engine.dispose()
    statements.insert(0, "file", statements.pop("file_path").map(lambda p: Path(str(p)).name))
    statements["reconciled"] = statements["reconciled"].map(lambda v: "yes" if v else "NO")
    examples["active"] = examples["active"].map(lambda v: "yes" if v else "no")

    runs = dagster.graphql(RUNS)["runsOrError"]["results"]
    launched: dict[str, int] = {}
    for run in runs:
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        source = "the backfill" if "dagster/backfill" in tags else tags.get("dagster/sensor_name", "hand")
        launched[source] = launched.get(source, 0) + 1
    failed = sum(1 for r in runs if r["status"] != "SUCCESS")
    checks: dict[str, list[str]] = {}
    for node in dagster.graphql(CHECKS)["assetNodes"]:
        for check in (node["assetChecksOrError"] or {}).get("checks", []):
            status = (check["executionForLatestMaterialization"] or {}).get("status") or "NOT_EVALUATED"
            checks.setdefault(status, []).append(f"{'/'.join(node['assetKey']['path'])}:{check['name']}")
    check_line = ", ".join(
        f"{len(keys)} {status.lower().replace('_', ' ')}"
        + ("" if status == "SUCCEEDED" else f" ({', '.join(keys)})")
        for status, keys in sorted(checks.items())
    )
    raw_enriched, statement_enriched = counts.get("raw", 0), counts.get("bank_statement", 0)
    reconciled = int((statements["reconciled"] == "yes").sum())
    backend = sa.make_url(url).get_backend_name()
    location = (
        str(sa.make_url(url).database)
        if backend == "sqlite"
        else f"{sa.make_url(url).render_as_string(hide_password=True)}, schema {schema}"
    )
    rule = "=" * 104
    out = [
        "",
        rule,
        f"SUMMARY: finished in {elapsed:.0f} s. {len(runs)} runs, every one launched by the Dagster daemon "
        f"({', '.join(f'{n} by {k}' for k, n in sorted(launched.items()))}); failed runs: {failed}",
        f"Asset checks on the latest materializations: {check_line}",
        rule,
        f"Rows enriched: {raw_enriched + statement_enriched:,}",
        f"    {raw_enriched:,} from the raw feed: {holder_counts.get('consumer', 0)} consumers and "
        f"{holder_counts.get('business', 0)} businesses, {span['first'][0]} to {span['last'][0]}",
        f"    {statement_enriched:,} read from {len(statements)} bank statement PDFs",
        f"    counterparty recognised for {known / max(1, raw_enriched + statement_enriched):.1%}",
        f"Rows rejected: {len(rejected)} raw rows, quarantined with their reasons (never dropped silently):",
        _table(reasons),
        "",
        "Top merchants (money out):",
        _table(merchants),
        "",
        "Top categories, consumers:",
        _table(categories["consumer"]),
        "Top categories, businesses:",
        _table(categories["business"]),
        "",
        f"Recurring groups: {int(groups['n'][0]):,} for {int(groups['holders'][0])} account holders, "
        f"{int(groups['active'][0] or 0):,} active; "
        + ", ".join(f"{p} {n}" for p, n in zip(periodicity["periodicity"], periodicity["n"], strict=True)),
        _table(examples),
        "",
        "Income sources:",
        _table(income),
        _table(income_examples),
        "",
        f"Bank statements: {reconciled} of {len(statements)} reconciled (opening + in - out = closing)",
        _table(statements),
        "",
        f"Tables ({backend}): {location}",
        "    ntropy_enriched_transactions, ntropy_rejected_transactions, ntropy_recurring_groups,",
        "    ntropy_income_sources, ntropy_bank_statements, ntropy_bank_statement_transactions, ntropy_batches",
        f"Statements: {data_dir / 'statements'}; Dagster instance: {data_dir / 'dagster_home'}; "
        f"logs: {data_dir / 'logs'}",
        "See it in the Dagster UI: bash scripts/example.sh --ui",
        f"    or browse this run's history: DAGSTER_HOME={data_dir / 'dagster_home'} {UI_COMMAND}",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m example_project.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("EXAMPLE_DATA_DIR") or PROJECT_DIR / "data"),
        help="where the warehouse, the statements, the Dagster instance and the logs go "
        "(default: $EXAMPLE_DATA_DIR or example_project/data)",
    )
    parser.add_argument(
        "--ui", action="store_true", help="keep the UI, daemon and sandbox up after the summary"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="the UI's port (default: a free one; 3000 with --ui)"
    )
    parser.add_argument(
        "--max-concurrent-runs", type=int, default=3, help="the run queue's limit (default: 3)"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds before giving up (default: 900)")
    parser.add_argument("--every", type=float, default=3, help="seconds between progress polls (default: 3)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the showcase; 0 on success, 1 on failure, 130 on Ctrl-C."""
    args = parse_args(argv)
    # Explicit handlers: a shell starting this in the background would leave SIGINT ignored.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    started = time.monotonic()
    data_dir: Path = args.data_dir.resolve()
    children: list[Child] = []
    try:
        _run(args, data_dir, children, started)
        return 0
    except DagsterDevError as exc:  # ShowcaseError and the processes' and GraphQL's errors
        print(f"\nFAILED: {exc}", file=sys.stderr, flush=True)
        print(f"Process logs: {data_dir / 'logs'}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: stopping", file=sys.stderr, flush=True)
        return 130
    finally:
        # A second Ctrl-C must not cut the shutdown short: every child is stopped, then killed.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            for child in reversed(children):
                child.stop()
        finally:
            signal.signal(signal.SIGINT, previous)


def _run(args: argparse.Namespace, data_dir: Path, children: list[Child], started: float) -> None:
    if os.environ.get("NTROPY_API_KEY"):
        print("note: NTROPY_API_KEY is set, but the showcase always runs on the offline sandbox; "
              f"to use the real API, run `{UI_COMMAND}` (see the README)")  # fmt: skip
    reset_data(data_dir)
    env = {"EXAMPLE_DATA_DIR": str(data_dir)}  # on top of this environment, for every process started
    os.environ["EXAMPLE_DATA_DIR"] = str(data_dir)  # read by example_project.definitions, imported below

    from example_project import definitions  # the statements are written here when missing

    url, schema = definitions.warehouse_url(), definitions.warehouse_schema()
    if schema is not None:
        print(
            f"warehouse: {sa.make_url(url).render_as_string(hide_password=True)}, schema {schema} (emptied)"
        )
        reset_external_warehouse(url, schema)
    partitions = definitions.partitions.get_partition_keys()
    statements = definitions.ensure_statements()
    print(
        f"Showcase: {definitions.GENERATOR.consumers} consumers and {definitions.GENERATOR.businesses} businesses, "
        f"{partitions[0][:7]} to {partitions[-1][:7]} ({len(partitions)} monthly partitions of daily transactions), "
        f"and {len(statements)} statement PDFs in {statements[0].parent}",
        flush=True,
    )

    sandbox = start_sandbox(
        SANDBOX_API_KEY,
        data_dir / "sandbox.db",
        data_dir / "logs" / "sandbox.log",
        *("--rate", str(SANDBOX_RATE), "--statement-delay", "1"),
        env=env,
    )
    children.append(sandbox.child)
    print(f"Ntropy sandbox: {sandbox.base_url} (key {SANDBOX_API_KEY})", flush=True)

    port = args.port or (3000 if args.ui and port_free(3000) else None)
    dagster = DagsterDev.start(
        ("-m", "example_project.definitions"),
        home=data_dir / "dagster_home",
        log=data_dir / "logs" / "dagster.log",
        env={**env, "NTROPY_API_KEY": SANDBOX_API_KEY, "NTROPY_BASE_URL": sandbox.base_url},
        instance_yaml=instance_yaml(args.max_concurrent_runs),
        port=port,
    )
    children.append(dagster.child)
    print(f"dagster dev (webserver + daemon): {dagster.url}, DAGSTER_HOME={dagster.home}", flush=True)
    dagster.wait_loaded(300)

    backfill_id = dagster.launch_backfill(partitions, RAW_PATH, title="showcase: raw transactions of 2025")
    print(
        f"Backfill {backfill_id} launched through GraphQL: {', '.join(RAW_PATH)} x {len(partitions)} partitions; "
        "from here on the daemon alone runs everything (sensors, automation)",
        flush=True,
    )
    expected = {key: len(partitions) for key in (*RAW_PATH, "ntropy_enriched_transactions")}
    expected.update(
        {k: len(statements) for k in ("submitted_bank_statements", "bank_statement_transactions",
                                     "bank_statement_enriched_transactions")}
    )  # fmt: skip
    watch(dagster, backfill_id, expected, children, timeout=args.timeout, every=args.every)
    print(summary(url, schema, dagster, time.monotonic() - started, data_dir), flush=True)
    if args.ui:
        print(f"\nThe Dagster UI is up at {dagster.url} (the daemon and the sandbox too); Ctrl-C stops them.")
        while all(child.alive() for child in children):
            time.sleep(1)
        raise ShowcaseError("a process exited while the UI was up")


if __name__ == "__main__":
    sys.exit(main())
