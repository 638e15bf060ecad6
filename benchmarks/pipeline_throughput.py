"""Benchmark the pipeline's own overhead per transaction, end to end, per warehouse dialect.

Stages, as the assets run them: ``validate_transactions`` on the raw frame, chunking into batches, the
client's results parse (``client.batches.results_decoded`` with ``decode_results`` on each batch's results body), ``flatten_results`` and ``Warehouse.upsert``
of ``enriched_transactions``. The enrichment itself (the API's work) is not timed: each batch's results
body is synthesised once, before timing, by the sandbox's ``EnrichmentEngine``.

Usage::

    python benchmarks/pipeline_throughput.py --rows 100000 --dialects sqlite,duckdb,postgresql

PostgreSQL uses ``--pg-url`` or ``$NTROPY_DAGSTER_TEST_PG_URL`` (tables get a throwaway prefix, dropped
afterwards). ``--passes 2`` runs the pipeline a second time over the same partition (re-upserts). Rates
are given by wall clock and by this process's CPU time (the database server's CPU is not in the latter,
so for PostgreSQL only the wall rate covers the whole cost); the load average is printed next to them
because on a shared machine the wall rate mostly measures the competition.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pandas as pd
from warehouse_upsert import warehouse_url  # the sibling script (benchmarks/ is on sys.path)

from ntropy_dagster.client import MAX_BATCH_SIZE, NtropyClient
from ntropy_dagster.core.results import ResultRow, decode_results, flatten_results
from ntropy_dagster.core.validation import ValidatedInput, validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox.enrichment.engine import EnrichmentEngine
from ntropy_dagster.sandbox.synthetic import synthetic_transactions

DAY = dt.date(2025, 1, 15)
PARTITION = DAY.isoformat()
STAGES = ("validate", "parse", "flatten", "upsert")


@dataclass
class Timings:
    """Accumulated wall and CPU seconds per stage."""

    wall: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the body as (part of) stage ``name``."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] += time.perf_counter() - wall
            self.cpu[name] += time.process_time() - cpu


def raw_frame(rows: int) -> pd.DataFrame:
    """``rows`` raw transactions of one day (ids unique), as a user's raw table would hold them."""
    return synthetic_transactions(DAY, n=rows, account_holders=max(1, rows // 100))


def results_bodies(validated: ValidatedInput, batch_size: int) -> list[bytes]:
    """The ``GET /v3/batches/{id}/results`` body of each batch, as the sandbox would serve it (untimed)."""
    engine = EnrichmentEngine()
    created_at = dt.datetime.now(dt.timezone.utc).isoformat()
    bodies = []
    for chunk in validated.chunks(batch_size):
        results = [
            {
                "id": tx["id"],
                "created_at": created_at,
                **engine.enrich(tx, account_holder_type="consumer" if tx.get("account_holder_id") else None),
                "error": None,
            }
            for tx in chunk
        ]
        bodies.append(orjson.dumps({"id": str(uuid.uuid4()), "total": len(results), "results": results}))
    return bodies


def run_pipeline(
    frame: pd.DataFrame, bodies: list[bytes], wh: Warehouse, batch_size: int, timings: Timings
) -> int:
    """One materialisation of the partition: validate, then per batch parse, flatten and upsert."""
    with timings.stage("validate"):
        validated = validate_transactions(frame)
        chunks = list(validated.chunks(batch_size))
    assert len(chunks) == len(bodies), "the results were synthesised for a different chunking"
    stamp = dt.datetime.now(dt.timezone.utc)
    written = 0
    # The client's real results path (httpx response -> decode_results), served from memory.
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=bodies[int(request.url.path.split("/")[-2])])
    )
    client = NtropyClient(api_key="benchmark", base_url="http://bench.invalid", transport=transport)
    for index, chunk in enumerate(chunks):
        with timings.stage("parse"):
            records: list[ResultRow] = client.batches.results_decoded(str(index), decode_results)
        with timings.stage("flatten"):
            enriched = flatten_results(
                records, chunk, batch_id=f"batch-{index}", partition_key=PARTITION, enriched_at=stamp
            )
        with timings.stage("upsert"):
            written += wh.upsert("enriched_transactions", enriched)
    client.close()
    return written


def report(label: str, rows: int, timings: Timings) -> None:
    """Print rows/s per stage and end to end, by wall clock and by CPU time."""
    parts = [f"{label:<24}"]
    for name in STAGES:
        parts.append(f"{name} {_rate(rows, timings.wall[name])}/{_rate(rows, timings.cpu[name])}")
    total_wall, total_cpu = sum(timings.wall.values()), sum(timings.cpu.values())
    parts.append(f"| end-to-end {_rate(rows, total_wall)} tx/s wall, {_rate(rows, total_cpu)} cpu")
    parts.append(f"(load {os.getloadavg()[0]:.2f})")
    print("  ".join(parts), flush=True)


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / max(seconds, 1e-9) / 1000:,.0f}k"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, prepare inputs and results, run the pipeline per dialect and print rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dialects", default="sqlite,duckdb,postgresql")
    parser.add_argument("--batch-size", type=int, default=MAX_BATCH_SIZE)
    parser.add_argument("--passes", type=int, default=1, help="2 = also time a re-run (re-upserts)")
    parser.add_argument("--pg-url", default=os.environ.get("NTROPY_DAGSTER_TEST_PG_URL"))
    args = parser.parse_args(argv)

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; preparing {args.rows:,} rows")
    frame = raw_frame(args.rows)
    bodies = results_bodies(validate_transactions(frame), args.batch_size)
    size = sum(map(len, bodies)) / 1e6
    print(f"{len(bodies)} batches, {size:.1f} MB of results bodies; rates are wall/cpu rows per second")
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in [d.strip() for d in args.dialects.split(",") if d.strip()]:
            wh = Warehouse(
                warehouse_url(dialect, Path(tmp), args.pg_url), table_prefix=f"bench_{uuid.uuid4().hex[:8]}_"
            )
            try:
                wh.ensure_schema()
                for run in range(1, args.passes + 1):
                    timings = Timings()
                    written = run_pipeline(frame, bodies, wh, args.batch_size, timings)
                    assert (
                        written
                        == wh.count("enriched_transactions")
                        == args.rows - frame["id"].duplicated().sum()
                    )
                    report(f"{dialect} pass {run}", written, timings)
            finally:
                with wh.begin() as conn:
                    for table in reversed(list(wh.tables)):
                        table.drop(conn, checkfirst=True)
                wh.dispose()
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
