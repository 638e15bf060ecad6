"""Benchmark bulk upserts into ``enriched_transactions`` per dialect (fresh insert, then re-upsert).

Usage::

    python benchmarks/warehouse_upsert.py --rows 200000 --dialects sqlite,duckdb,postgresql

PostgreSQL uses ``--pg-url`` or ``$NTROPY_DAGSTER_TEST_PG_URL`` (its tables get a throwaway prefix that is
dropped afterwards). The input frame is built before timing; the timings cover conversion and writing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd

from ntropy_dagster.warehouse import Warehouse
from ntropy_dagster.warehouse.synthetic import enriched_frame

TABLE = "enriched_transactions"


def warehouse_url(dialect: str, workdir: Path, pg_url: str | None) -> str:
    """A fresh database of ``dialect`` (file databases in ``workdir``); shared by the benchmarks."""
    if dialect == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite'}"
    if dialect == "duckdb":
        return f"duckdb:///{workdir / 'bench.duckdb'}"
    if dialect == "postgresql":
        if not pg_url:
            raise SystemExit("postgresql needs --pg-url or NTROPY_DAGSTER_TEST_PG_URL")
        return pg_url
    raise SystemExit(f"unknown dialect {dialect!r}")


def _timed_upsert(wh: Warehouse, frame: pd.DataFrame) -> tuple[float, float]:
    """Rows/s by wall clock, and rows/s per second of this process's CPU time."""
    started, cpu_started = time.perf_counter(), time.process_time()
    written = wh.upsert(TABLE, frame)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert written == len(frame), (written, len(frame))
    return len(frame) / elapsed, len(frame) / max(cpu, 1e-9)


def run(dialect: str, rows: int, workdir: Path, pg_url: str | None) -> dict[str, tuple[float, float]]:
    """Rows/s (wall, process CPU) for a fresh insert and for a re-upsert of the same keys."""
    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    wh = Warehouse(warehouse_url(dialect, workdir, pg_url), table_prefix=prefix)
    try:
        wh.ensure_schema()
        insert = _timed_upsert(wh, enriched_frame(rows, version=0))
        reupsert = _timed_upsert(wh, enriched_frame(rows, version=1))
        assert wh.count(TABLE) == rows
        return {"insert": insert, "re-upsert": reupsert}
    finally:
        with wh.begin() as conn:
            for table in reversed(list(wh.tables)):
                table.drop(conn, checkfirst=True)
        wh.dispose()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run each dialect and print rows/s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dialects", default="sqlite,duckdb,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("NTROPY_DAGSTER_TEST_PG_URL"))
    args = parser.parse_args(argv)
    # CPU rates count this process only (for PostgreSQL the server's work is not in them); on a busy
    # machine the wall-clock rate mostly measures the competition, hence the load average.
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in [d.strip() for d in args.dialects.split(",") if d.strip()]:
            result = run(dialect, args.rows, Path(tmp), args.pg_url)
            line = "  ".join(
                f"{kind} {wall:>9,.0f} rows/s (cpu {cpu:>9,.0f})" for kind, (wall, cpu) in result.items()
            )
            print(f"{dialect:<11} {args.rows:,} rows  {line}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
