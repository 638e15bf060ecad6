"""Schema creation, additive migration, schema/prefix options and column metadata."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from ntropy_dagster.core.errors import WarehouseLocationError
from ntropy_dagster.core.warehouse import TABLE_NAMES, Warehouse
from ntropy_dagster.core.warehouse.synthetic import enriched_frame


def _db_columns(wh: Warehouse, logical: str) -> list[str]:
    with wh.engine.connect() as conn:  # the database's own column order, not the definition's
        return list(conn.exec_driver_sql(f"SELECT * FROM {wh.table_name(logical)} LIMIT 0").keys())


def test_ensure_schema_is_idempotent(wh: Warehouse) -> None:
    wh.upsert("enriched_transactions", enriched_frame(10))
    wh.ensure_schema()
    wh.ensure_schema()
    assert wh.count("enriched_transactions") == 10
    for logical in TABLE_NAMES:
        assert _db_columns(wh, logical) == [c.name for c in wh.tables[logical].columns]
        assert wh.count(logical) == (10 if logical == "enriched_transactions" else 0)


def test_additive_migration_adds_missing_nullable_columns_and_keeps_data(
    make_warehouse: Callable[..., Warehouse],
) -> None:
    wh = make_warehouse()
    table = wh.tables.enriched_transactions
    old = sa.Table(
        table.name,
        sa.MetaData(),
        sa.Column("transaction_id", sa.Text, primary_key=True),
        sa.Column("account_holder_id", sa.Text, primary_key=True),
        sa.Column("description", sa.Text),
        schema=table.schema,
    )
    with wh.begin() as conn:
        old.create(conn)
        conn.execute(old.insert(), [{"transaction_id": "t1", "account_holder_id": "", "description": "old"}])

    wh.ensure_schema()

    assert _db_columns(wh, "enriched_transactions")[:3] == [
        "transaction_id",
        "account_holder_id",
        "description",
    ]
    assert set(_db_columns(wh, "enriched_transactions")) == {c.name for c in table.columns}
    frame = wh.read_frame("enriched_transactions")
    assert frame.loc[0, "description"] == "old"
    assert pd.isna(frame.loc[0, "counterparty_name"])
    wh.upsert("enriched_transactions", [{"transaction_id": "t1", "counterparty_name": "Netflix"}])
    row = wh.read_frame("enriched_transactions").iloc[0]
    assert (row["description"], row["counterparty_name"]) == ("old", "Netflix")


def test_migration_refuses_to_invent_a_missing_key_column(make_warehouse: Callable[..., Warehouse]) -> None:
    wh = make_warehouse()
    table = wh.tables.batches
    with wh.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {conn.dialect.identifier_preparer.format_table(table)} (status TEXT)"
        )
    with pytest.raises(RuntimeError, match="partition_key"):
        wh.ensure_schema()


def test_schema_option(make_warehouse: Callable[..., Warehouse], dialect: str) -> None:
    schema = f"analytics_{uuid.uuid4().hex[:6]}"
    if dialect == "sqlite":
        with pytest.raises(ValueError, match="SQLite has no schemas"):
            make_warehouse(schema=schema)
        return
    wh = make_warehouse(schema=schema, table_prefix="nt_")
    wh.ensure_schema()
    wh.ensure_schema()
    assert wh.table_name("enriched_transactions") == f"{schema}.nt_enriched_transactions"
    assert wh.upsert("enriched_transactions", enriched_frame(5)) == 5
    frame = wh.read_frame(f"SELECT count(*) AS n FROM {schema}.nt_enriched_transactions")
    assert int(frame.loc[0, "n"]) == 5


def test_table_name_defaults(make_warehouse: Callable[..., Warehouse], dialect: str) -> None:
    wh = make_warehouse(table_prefix="ntropy_")
    default = "public" if dialect == "postgresql" else "main"
    assert wh.table_name("batches") == f"{default}.ntropy_batches"
    assert wh.dialect == dialect
    with pytest.raises(KeyError, match="unknown warehouse table"):
        wh.table_name("nope")


def test_column_schema_describes_every_column(wh: Warehouse) -> None:
    schema = wh.column_schema("enriched_transactions")
    assert [name for name, _, _ in schema] == [c.name for c in wh.tables.enriched_transactions.columns]
    types = {name: type_ for name, type_, _ in schema}
    assert types["date"] == "DATE"
    assert types["enriched_at"] in ("TIMESTAMP WITH TIME ZONE", "DATETIME")  # SQLite: UTC text
    assert "DOUBLE" in types["amount"].upper()
    assert all(description for _, _, description in schema)
    assert len(schema) >= 30


def test_warehouse_is_lazy_and_rejects_unknown_dialects() -> None:
    wh = Warehouse("postgresql://nobody:secret@127.0.0.1:1/none")
    assert wh.dialect == "postgresql"
    assert wh.url.drivername == "postgresql+psycopg"
    assert "secret" not in repr(wh)
    assert "engine" not in wh.__dict__
    with pytest.raises(ValueError, match="unsupported warehouse dialect"):
        Warehouse("mysql://x@localhost/db")
    with pytest.raises(ValueError, match="psycopg 3"):
        Warehouse("postgresql+psycopg2://x@localhost/db")


@pytest.mark.parametrize("scheme", ["sqlite", "duckdb"])
def test_an_embedded_warehouse_creates_its_folder(tmp_path: Path, scheme: str) -> None:
    # A fresh clone has no example_project/data/: the warehouse must create it, not fail on first write.
    path = tmp_path / "not" / "there" / f"warehouse.{scheme}"
    warehouse = Warehouse(f"{scheme}:///{path}")
    warehouse.ensure_schema()
    warehouse.upsert("account_holders", [{"account_holder_id": "h1", "type": "consumer"}])
    assert path.exists() and warehouse.count("account_holders") == 1
    warehouse.dispose()


def test_an_embedded_warehouse_whose_folder_cannot_be_created_names_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(
        WarehouseLocationError, match=r"cannot create the folder .*a-file.* of the warehouse file"
    ):
        Warehouse(f"sqlite:///{blocker / 'warehouse.db'}").ensure_schema()
