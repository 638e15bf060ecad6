"""Benchmark bulk upserts into ``enriched_transactions`` per dialect (fresh insert, then re-upsert).

Usage::

    python benchmarks/warehouse_upsert.py --rows 200000 --dialects sqlite,duckdb,postgresql

PostgreSQL uses ``--pg-url`` or ``$NTROPY_DAGSTER_TEST_PG_URL`` (its tables get a throwaway prefix that is
dropped afterwards). Each dialect is timed twice: with a pandas DataFrame as input (what user code and
the marts pass) and with an Arrow table (what the pipeline's ``flatten_results`` passes). The input is
built before timing; the timings cover conversion and writing.
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
import pyarrow as pa

from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.core.warehouse.synthetic import enriched_frame

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


def _timed_upsert(wh: Warehouse, data: pd.DataFrame | pa.Table) -> tuple[float, float]:
    """Rows/s by wall clock, and rows/s per second of this process's CPU time."""
    started, cpu_started = time.perf_counter(), time.process_time()
    written = wh.upsert(TABLE, data)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert written == len(data), (written, len(data))
    return len(data) / elapsed, len(data) / max(cpu, 1e-9)


def _input(rows: int, version: int, kind: str) -> pd.DataFrame | pa.Table:
    frame = enriched_frame(rows, version=version)
    return pa.Table.from_pandas(frame, preserve_index=False) if kind == "Arrow" else frame


def run(
    dialect: str, rows: int, workdir: Path, pg_url: str | None, kind: str
) -> dict[str, tuple[float, float]]:
    """Rows/s (wall, process CPU) for a fresh insert and for a re-upsert of the same keys."""
    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    wh = Warehouse(warehouse_url(dialect, workdir, pg_url), table_prefix=prefix)
    try:
        wh.ensure_schema()
        insert = _timed_upsert(wh, _input(rows, 0, kind))
        reupsert = _timed_upsert(wh, _input(rows, 1, kind))
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
            for kind in ("DataFrame", "Arrow"):
                result = run(dialect, args.rows, Path(tmp), args.pg_url, kind)
                line = "  ".join(
                    f"{step} {wall:>9,.0f} rows/s (cpu {cpu:>9,.0f})" for step, (wall, cpu) in result.items()
                )
                print(f"{dialect:<11} {kind:<9} {args.rows:,} rows  {line}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
