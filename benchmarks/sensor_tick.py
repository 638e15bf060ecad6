"""Time one tick of the batch sensor with 1,000 batches in flight (target: under 5 s).

Setup (untimed): an instant-mode sandbox in a process of its own; ``ntropy_batches`` materialized for
``--partitions`` daily partitions in sensor mode with ``batch_size=1``, so the partitions together
send ``--batches`` one-transaction batches, all recorded ``processing`` in the SQLite warehouse's
ledger (they finish on the sandbox at once, so the tick has every batch to bring up to date and every
partition's enrichment run to request). The warehouse file is copied then, and each repeat starts
from that copy with a fresh Dagster instance: every tick sees the same 1,000 batches in flight.

Timed: ``sensor.evaluate_tick`` of ``ntropy_batch_sensor`` under ``dg.build_sensor_context``, as the
daemon would run it. Printed: the tick time as a range over ``--repeat`` ticks, the batches left in
flight after the tick (0 = the tick finished its work) and the run requests.

Usage::

    python benchmarks/sensor_tick.py [--batches 1000] [--partitions 28] [--repeat 5]
"""

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from bench_support import load_average, sandbox_process, span

from ntropy_dagster import NtropyResource, NtropyWarehouseResource, PipelineOptions, build_ntropy_assets
from ntropy_dagster.sandbox.synthetic import synthetic_transactions

API_KEY = "bench-key"
START = dt.date(2025, 1, 1)
PARTITIONS = dg.DailyPartitionsDefinition(start_date=START.isoformat())
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def rows_of(partition_key: str, batches: int, partitions: int) -> pd.DataFrame:
    """The raw rows of one partition: ``batches`` spread evenly over ``partitions`` (ids unique)."""
    index = (dt.date.fromisoformat(partition_key) - START).days
    rows = batches // partitions + (1 if index < batches % partitions else 0)
    frame: pd.DataFrame = synthetic_transactions(
        dt.date.fromisoformat(partition_key), n=rows, account_holders=5
    )
    return frame


def definitions(base_url: str, warehouse: Path, batches: int, partitions: int) -> dg.Definitions:
    """Raw asset + the pipeline in sensor mode, one transaction per batch, no in-flight cap."""

    @dg.asset(name="raw_transactions", partitions_def=PARTITIONS)
    def raw_transactions(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return rows_of(context.partition_key, batches, partitions)

    options = PipelineOptions(batch_size=1, max_in_flight=100_000)
    pipeline = build_ntropy_assets(raw_transactions, options=options, include_marts=False)
    return dg.Definitions(
        assets=[raw_transactions, *pipeline.assets],
        sensors=pipeline.sensors,
        resources={
            "ntropy": NtropyResource(api_key=API_KEY, base_url=base_url),
            "ntropy_warehouse": NtropyWarehouseResource(url=f"sqlite:///{warehouse}"),
        },
    )


def submit_all(defs: dg.Definitions, partitions: int, instance: dg.DagsterInstance) -> None:
    """Materialize raw, account holders and batches of every partition (the batches go out)."""
    job = defs.resolve_implicit_global_asset_job_def()
    keys = [
        dg.AssetKey("raw_transactions"),
        dg.AssetKey("ntropy_account_holders"),
        dg.AssetKey("ntropy_batches"),
    ]
    subset = job.get_subset(asset_selection=set(keys))
    for day in range(partitions):
        partition_key = (START + dt.timedelta(days=day)).isoformat()
        result = subset.execute_in_process(instance=instance, partition_key=partition_key, run_config=QUIET)
        assert result.success, partition_key


def ledger_counts(warehouse: Path) -> dict[str, int]:
    """Chunks per status in the ledger table."""
    with sqlite3.connect(warehouse) as db:
        return dict(db.execute("SELECT status, COUNT(*) FROM ntropy_batches GROUP BY status").fetchall())


def one_tick(defs: dg.Definitions, warehouse: Path, pristine: Path) -> tuple[float, dict[str, int], int]:
    """Restore the warehouse, run one tick on a fresh instance: (seconds, ledger statuses, run requests)."""
    shutil.copyfile(pristine, warehouse)
    sensor = defs.resolve_sensor_def("ntropy_batch_sensor")
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(instance=instance, definitions=defs, resources=defs.resources) as context,
    ):
        started = time.perf_counter()
        result: Any = sensor.evaluate_tick(context)
        elapsed = time.perf_counter() - started
    return elapsed, ledger_counts(warehouse), len(result.run_requests or [])


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare the ledger once, then time ``--repeat`` ticks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=1000, help="batches in flight (default: 1000)")
    parser.add_argument("--partitions", type=int, default=28, help="partitions they belong to (default: 28)")
    parser.add_argument("--repeat", type=int, default=5, help="ticks to time (default: 5)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ntropy-sensor-bench-"))
    warehouse, pristine = workdir / "warehouse.db", workdir / "warehouse-pristine.db"
    try:
        with sandbox_process(workdir, API_KEY, "--instant") as sandbox:
            defs = definitions(sandbox.base_url, warehouse, args.batches, args.partitions)
            started = time.perf_counter()
            with dg.instance_for_test() as instance:
                submit_all(defs, args.partitions, instance)
            in_flight = ledger_counts(warehouse)
            print(
                f"setup: {sum(in_flight.values())} batches over {args.partitions} partitions, ledger {in_flight} "
                f"({time.perf_counter() - started:.0f} s); {load_average()}",
                flush=True,
            )
            shutil.copyfile(warehouse, pristine)
            times = []
            for index in range(args.repeat):
                elapsed, statuses, requests = one_tick(defs, warehouse, pristine)
                times.append(elapsed)
                print(
                    f"tick {index + 1}: {elapsed:.2f} s, ledger after it {statuses}, {requests} run requests "
                    f"({load_average()})",
                    flush=True,
                )
        print(f"\none tick with {sum(in_flight.values())} batches in flight: {span(times, '{:.2f}')} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    sys.exit(main())
