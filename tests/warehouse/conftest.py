"""Fixtures: real SQLite, DuckDB and PostgreSQL warehouses (PostgreSQL via NTROPY_DAGSTER_TEST_PG_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ntropy_dagster.core.warehouse import Warehouse

PG_URL = os.environ.get("NTROPY_DAGSTER_TEST_PG_URL")

DIALECTS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("duckdb", id="duckdb"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not PG_URL, reason="NTROPY_DAGSTER_TEST_PG_URL is not set"),
        ],
    ),
]

WarehouseFactory = Callable[..., Warehouse]


def url_for(dialect: str, directory: Path) -> str:
    """Database URL of ``dialect``; file databases live in ``directory``."""
    if dialect == "sqlite":
        return f"sqlite:///{directory / 'wh.sqlite'}"
    if dialect == "duckdb":
        return f"duckdb:///{directory / 'wh.duckdb'}"
    assert PG_URL
    return PG_URL


def _drop_everything(wh: Warehouse) -> None:
    with wh.begin() as conn:
        for table in reversed(list(wh.tables)):
            table.drop(conn, checkfirst=True)
        if wh.schema is not None:
            conn.execute(sa.schema.DropSchema(wh.schema, cascade=True, if_exists=True))


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    """Each warehouse test runs once per dialect."""
    return request.param


@pytest.fixture
def make_warehouse(dialect: str, tmp_path: Path) -> Iterator[WarehouseFactory]:
    """Factory of warehouses on this test's database, each with a unique table prefix; cleaned up after."""
    created: list[Warehouse] = []

    def make(**kwargs: object) -> Warehouse:
        kwargs.setdefault("table_prefix", f"t{uuid.uuid4().hex[:8]}_")
        wh = Warehouse(url_for(dialect, tmp_path), **kwargs)  # type: ignore[arg-type]
        created.append(wh)
        return wh

    yield make
    for wh in created:
        if wh.dialect == "postgresql":
            _drop_everything(wh)
        wh.dispose()


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    """A warehouse with its tables created."""
    warehouse = make_warehouse()
    warehouse.ensure_schema()
    return warehouse
