"""Engine creation per dialect: URL normalisation, SQLite pragmas and write locking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ntropy_dagster.core.errors import WarehouseLocationError

SUPPORTED_DIALECTS = ("sqlite", "duckdb", "postgresql")

#: Connection execution option marking a write transaction (SQLite then takes the write lock up front).
WRITE_OPTION = "ntropy_write"

_DEFAULT_SCHEMA = {"sqlite": "main", "duckdb": "main", "postgresql": "public"}


def normalise_url(url: str | sa.URL) -> sa.URL:
    """Parse ``url``; plain ``postgresql://`` URLs get the psycopg 3 driver (needed for ``COPY``)."""
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_DIALECTS:
        raise ValueError(
            f"unsupported warehouse dialect {backend!r}; use one of {', '.join(SUPPORTED_DIALECTS)}"
        )
    if backend == "postgresql":
        if "+" not in parsed.drivername:
            parsed = parsed.set(drivername="postgresql+psycopg")
        elif parsed.get_driver_name() != "psycopg":
            raise ValueError("PostgreSQL warehouses need the psycopg 3 driver: postgresql+psycopg://...")
    return parsed


def default_schema(dialect: str) -> str:
    """Schema used when the warehouse is not given one."""
    return _DEFAULT_SCHEMA[dialect]


def create_engine(url: sa.URL, **kwargs: Any) -> sa.Engine:
    """Create the engine for ``url`` (no connection is opened here).

    An embedded database file (SQLite, DuckDB) gets its folder created, so a fresh clone or a new data
    directory just works; a folder that cannot be created fails here, naming the path.
    """
    if url.get_backend_name() in ("sqlite", "duckdb"):
        ensure_database_folder(url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if url.get_backend_name() == "duckdb":
        return _duckdb_engine(url, **kwargs)
    if url.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def ensure_database_folder(url: sa.URL) -> Path | None:
    """Create the folder of an embedded database file; return the file (None for in-memory databases)."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None  # in memory, or an SQLite URI whose path sqlite3 resolves itself
    path = Path(database).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseLocationError(
            f"cannot create the folder {str(path.parent)!r} of the warehouse file {str(path)!r}: "
            f"{exc.strerror or exc}"
        ) from exc
    return path


def _duckdb_engine(url: sa.URL, **kwargs: Any) -> sa.Engine:
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # DuckDB checkpoints when its WAL passes 16 MB, i.e. after nearly every batch-sized upsert of
        # enriched rows (25k-row upserts: 57k rows/s with, 82-95k without). Checkpoint at 1 GB
        # instead; DuckDB also checkpoints when the database closes.
        dbapi_connection.execute("SET checkpoint_threshold = '1GB'")

    return engine


def _sqlite_engine(url: sa.URL, **kwargs: Any) -> sa.Engine:
    connect_args = {"timeout": 30.0, **kwargs.pop("connect_args", {})}
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below) instead of letting sqlite3 begin lazily before DML.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # A 16 MiB page cache per connection (allocated on demand). Upserts go in key order and touch the
        # B-tree's right edge: 256 MiB wrote 200k rows no faster (benchmarks/warehouse_upsert.py) and made
        # up 50 MB of a 1M-row partition's peak RSS.
        cursor.execute("PRAGMA cache_size=-16384")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock at BEGIN, so two processes never deadlock upgrading read locks.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
