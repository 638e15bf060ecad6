"""Idempotent schema creation with additive migration (new nullable columns, missing indexes)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

# Any constant works; it only has to be the same for every process creating this warehouse's tables.
_PG_LOCK_KEY = 0x6E74726F7079  # "ntropy"


def ensure_schema(
    conn: sa.Connection, metadata: sa.MetaData, tables: Iterable[sa.Table], schema: str | None
) -> None:
    """Create missing schema, tables and indexes, and add columns missing from existing tables.

    Runs inside the caller's write transaction. On PostgreSQL a transaction-scoped advisory lock
    serialises concurrent callers; on SQLite the ``BEGIN IMMEDIATE`` write lock does the same.
    Existing columns are never altered or dropped; a missing ``NOT NULL`` (key) column cannot be added
    and raises ``RuntimeError``.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    if schema is not None:
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
    metadata.create_all(conn, checkfirst=True)
    preparer = conn.dialect.identifier_preparer
    for table in tables:
        existing = _existing_columns(conn, table)
        for column in table.columns:
            if column.name in existing:
                continue
            if not column.nullable:
                raise RuntimeError(
                    f"table {preparer.format_table(table)} lacks key column {column.name!r}; "
                    "it cannot be added in place: migrate it by hand"
                )
            definition = f"{preparer.quote(column.name)} {column.type.compile(dialect=conn.dialect)}"
            conn.exec_driver_sql(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {definition}")
        for index in table.indexes:
            conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))


def _existing_columns(conn: sa.Connection, table: sa.Table) -> set[str]:
    # Plain catalog queries: duckdb-engine's reflection queries pg_catalog tables DuckDB does not have.
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            f"PRAGMA table_info({conn.dialect.identifier_preparer.quote(table.name)})"
        )
        return {row[1] for row in rows}
    query = sa.text(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = COALESCE(:schema, current_schema()) AND table_name = :name"
    )
    return set(conn.execute(query, {"schema": table.schema, "name": table.name}).scalars())
