"""The :class:`Warehouse`: tables, bulk upserts and reads on SQLite, DuckDB or PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from ntropy_dagster.core.warehouse import engines, migrate
from ntropy_dagster.core.warehouse.frames import Rows, arrow_type, cast_column, iter_chunks, prepare_chunk
from ntropy_dagster.core.warehouse.tables import (
    MISSING_KEY,
    SPECS_BY_NAME,
    TABLE_NAMES,
    WarehouseTables,
    build_tables,
)
from ntropy_dagster.core.warehouse.writers import driver_connection, make_writer

#: Rows per write when ``chunk_size`` is not given. DuckDB's set-based merge gains ~20% from 50k-row to
#: 200k-row chunks (benchmarks/warehouse_upsert.py); the other engines gain nothing past ~50k.
DEFAULT_CHUNK_SIZES = {"sqlite": 50_000, "duckdb": 200_000, "postgresql": 50_000}


class Warehouse:
    """Ntropy warehouse tables in one database, with fast idempotent bulk upserts.

    ``url`` is a SQLAlchemy URL: ``sqlite:///file.db``, ``duckdb:///file.duckdb`` or
    ``postgresql+psycopg://user:pass@host/db`` (a plain ``postgresql://`` URL gets the psycopg driver).
    ``schema`` puts the tables in that schema (created by :meth:`ensure_schema`; PostgreSQL and DuckDB
    only). ``table_prefix`` is prepended to every logical table name. Nothing connects until first use.
    """

    def __init__(
        self,
        url: str | sa.URL,
        *,
        schema: str | None = None,
        table_prefix: str = "ntropy_",
        chunk_size: int | None = None,
        engine_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self.url = engines.normalise_url(url)
        self.dialect: str = self.url.get_backend_name()
        if schema is not None and self.dialect == "sqlite":
            raise ValueError(
                "SQLite has no schemas: leave schema=None and use table_prefix to namespace tables"
            )
        if chunk_size is None:
            chunk_size = DEFAULT_CHUNK_SIZES[self.dialect]
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self.schema = schema
        self.table_prefix = table_prefix
        self.chunk_size = chunk_size
        self._engine_kwargs = dict(engine_kwargs or {})
        self.metadata = sa.MetaData()
        self.tables: WarehouseTables = build_tables(
            self.metadata, prefix=table_prefix, schema=schema, with_indexes=self.dialect != "duckdb"
        )
        self._arrow_types = {
            logical: {c.name: arrow_type(c.type) for c in self.tables[logical].columns}
            for logical in TABLE_NAMES
        }

    def __repr__(self) -> str:
        return f"Warehouse({self.url.render_as_string(hide_password=True)!r}, schema={self.schema!r})"

    @cached_property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (created lazily)."""
        return engines.create_engine(self.url, **self._engine_kwargs)

    def dispose(self) -> None:
        """Close pooled connections; the warehouse stays usable and reconnects on demand."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    @contextmanager
    def begin(self, conn: sa.Connection | None = None) -> Iterator[sa.Connection]:
        """A write transaction; pass the connection as ``conn=`` to :meth:`upsert`/:meth:`delete_where`.

        Given the connection of a transaction already open, it is that transaction (nothing is committed
        at the end of this block)."""
        if conn is not None:
            yield conn
            return
        with self.engine.connect() as own:
            own = own.execution_options(**{engines.WRITE_OPTION: True})
            with own.begin():
                yield own

    def table_name(self, logical: str) -> str:
        """Qualified table name, e.g. ``main.ntropy_enriched_transactions``, for asset metadata."""
        table = self.tables[logical]
        return f"{self.schema or engines.default_schema(self.dialect)}.{table.name}"

    def ensure_schema(self) -> None:
        """Create schema, tables and indexes if missing and add new nullable columns (idempotent)."""
        try:
            self._ensure_schema_once()
        except sa.exc.DBAPIError:
            # A concurrent creator won a race between our existence check and CREATE: check again.
            self._ensure_schema_once()

    def _ensure_schema_once(self) -> None:
        with self.begin() as conn:
            migrate.ensure_schema(conn, self.metadata, self.tables, self.schema)

    def upsert(
        self,
        logical: str,
        rows: Rows,
        *,
        conn: sa.Connection | None = None,
        ignore_extra_columns: bool = False,
    ) -> int:
        """Insert or update ``rows`` by the table's natural key; return the number of rows written.

        ``rows`` is a pandas DataFrame, an Arrow table/record batch/reader, or an iterable of mappings
        (consumed ``chunk_size`` rows at a time, so memory stays bounded). Only the columns present in
        the input are written; on conflict, other columns keep their stored values. Missing text key
        values (e.g. ``account_holder_id=None``) are stored as ``''``. Within one chunk, the last row of
        a duplicated key wins. Unknown columns raise ``ValueError`` unless ``ignore_extra_columns``.
        All chunks are written in one transaction (``conn``'s, when given).
        """
        spec = SPECS_BY_NAME[self._check_table(logical)]
        types = self._arrow_types[logical]
        writer = make_writer(self.dialect)
        target = self._quoted(logical)
        now = dt.datetime.now(dt.timezone.utc)
        written = 0
        with self.begin(conn) as tx:
            for raw in iter_chunks(rows, self.chunk_size):
                if raw.num_rows == 0:
                    continue
                chunk = prepare_chunk(raw, spec, types, ignore_extra_columns=ignore_extra_columns, now=now)
                written += writer(tx, target, chunk, spec.keys)
        return written

    def delete_where(self, logical: str, *, conn: sa.Connection | None = None, **equals: Any) -> int:
        """Delete the rows whose columns equal ``equals`` (at least one condition); return the count."""
        if not equals:
            raise ValueError("delete_where needs at least one column=value condition")
        table = self.tables[self._check_table(logical)]
        with self.begin(conn) as tx:
            return tx.execute(sa.delete(table).where(*self._conditions(logical, equals))).rowcount

    def count(self, logical: str, **equals: Any) -> int:
        """Number of rows whose columns equal ``equals``."""
        table = self.tables[self._check_table(logical)]
        query = sa.select(sa.func.count()).select_from(table).where(*self._conditions(logical, equals))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def read_frame(
        self,
        sql_or_logical: str | sa.Executable,
        params: Mapping[str, Any] | None = None,
        **equals: Any,
    ) -> pd.DataFrame:
        """Read a logical table (filtered by ``equals``) or a query (SQL text with ``params``, or a
        SQLAlchemy ``select``) into a DataFrame.

        Logical tables come back with the same dtypes on every dialect (via Arrow): timestamps as
        UTC-aware ``datetime64``, dates as ``datetime.date`` objects, floats, booleans and text; missing
        values as pandas missing values. Queries come back with the driver's values.
        """
        if isinstance(sql_or_logical, str) and sql_or_logical in SPECS_BY_NAME:
            return self._read_table(sql_or_logical, equals)
        if equals:
            raise ValueError("column=value filters apply to logical table names only; use params with SQL")
        statement = sa.text(sql_or_logical) if isinstance(sql_or_logical, str) else sql_or_logical
        with self.engine.connect() as conn:
            result = conn.execute(statement, dict(params or {}))
            names, rows = list(result.keys()), [tuple(row) for row in result]
        return pd.DataFrame(dict(zip(names, _transpose(rows, len(names)), strict=True)))

    def _read_table(self, logical: str, equals: Mapping[str, Any]) -> pd.DataFrame:
        table = self.tables[logical]
        types = self._arrow_types[logical]
        # SQLite stores dates and timestamps as text: fetch the text and let Arrow parse it (much faster
        # than SQLAlchemy's per-value result processors).
        as_text = self.dialect == "sqlite"
        selected = [
            sa.type_coerce(c, sa.Text).label(c.name)
            if as_text and isinstance(c.type, (sa.Date, sa.DateTime))
            else c
            for c in table.columns
        ]
        query = sa.select(*selected).where(*self._conditions(logical, equals))
        with self.engine.connect() as conn:
            if self.dialect == "duckdb":  # native Arrow fetch; duckdb-engine builds Python rows
                sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
                fetched = driver_connection(conn).sql(sql).to_arrow_table()
                columns: list[Any] = fetched.columns
            else:
                rows = [tuple(row) for row in conn.execute(query)]
                columns = [pa.array(v, from_pandas=True) for v in _transpose(rows, len(table.columns))]
        arrays = [
            cast_column(values, types[c.name], c.name)
            for c, values in zip(table.columns, columns, strict=True)
        ]
        frame: pd.DataFrame = pa.table(arrays, names=[c.name for c in table.columns]).to_pandas()
        return frame

    def column_schema(self, logical: str) -> list[tuple[str, str, str]]:
        """``(name, SQL type, description)`` for every column, e.g. to build a Dagster ``TableSchema``."""
        table = self.tables[self._check_table(logical)]
        return [
            (c.name, c.type.compile(dialect=self.engine.dialect), c.info.get("description", ""))
            for c in table.columns
        ]

    def _check_table(self, logical: str) -> str:
        if logical not in SPECS_BY_NAME:
            raise KeyError(f"unknown warehouse table {logical!r}; known: {', '.join(TABLE_NAMES)}")
        return logical

    def _quoted(self, logical: str) -> str:
        return self.engine.dialect.identifier_preparer.format_table(self.tables[logical])

    def _conditions(self, logical: str, equals: Mapping[str, Any]) -> list[sa.ColumnElement[bool]]:
        table = self.tables[logical]
        keys = SPECS_BY_NAME[logical].keys
        unknown = [name for name in equals if name not in table.columns]
        if unknown:
            raise ValueError(f"unknown columns for table {logical!r}: {', '.join(unknown)}")
        conditions = []
        for name, value in equals.items():
            column = table.columns[name]
            if value is None and name in keys:
                value = MISSING_KEY
            conditions.append(column.is_(None) if value is None else column == value)
        return conditions


def _transpose(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows to columns (pandas builds frames from lists of SQLAlchemy rows very slowly)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]
