"""Fixtures of the core tests: a real warehouse of each dialect, and raw rows."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ntropy_dagster.core.warehouse import Warehouse
from tests.warehouse.conftest import DIALECTS, url_for


@pytest.fixture(params=DIALECTS)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """An empty warehouse with its tables: a SQLite file, a DuckDB file or a PostgreSQL schema of the
    test's own (dropped afterwards)."""
    schema = f"core_{uuid.uuid4().hex[:10]}" if request.param == "postgresql" else None
    wh = Warehouse(url_for(request.param, tmp_path), schema=schema)
    wh.ensure_schema()
    yield wh
    if schema is not None:
        with wh.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
    wh.dispose()


def transaction_rows(
    n: int, *, start: int = 0, prefix: str = "tx", amount: float = 10.0
) -> list[dict[str, Any]]:
    """``n`` valid raw transactions ``{prefix}-{start:05d}`` onwards (amounts cycle over 7 values)."""
    return [
        {
            "id": f"{prefix}-{i:05d}",
            "description": f"AMAZON MKTPLACE PMTS {i}",
            "date": "2025-03-01",
            "amount": amount + i % 7,
            "entry_type": "outgoing",
            "currency": "USD",
        }
        for i in range(start, start + n)
    ]
