"""``flatten_results`` builds the enriched-transactions table the warehouse writes: types and constants."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from ntropy_dagster.core.results import ENRICHED_COLUMNS, flatten_results

WHEN = dt.datetime(2024, 3, 4, 5, 6, 7, 890123, tzinfo=dt.timezone.utc)


def _flatten(dates: list[object]) -> pd.DataFrame:
    inputs = [
        {
            "id": f"t{i}",
            "description": "x",
            "date": d,
            "amount": 1,
            "entry_type": "outgoing",
            "currency": "USD",
        }
        for i, d in enumerate(dates)
    ]
    results = [{"id": f"t{i}", "entities": {"counterparty": {"name": "Acme"}}} for i in range(len(dates))]
    table = flatten_results(results, inputs, batch_id="b-1", partition_key="2024-03-04", enriched_at=WHEN)
    assert table.schema.field("date").type == pa.date32()
    assert table.schema.field("amount").type == pa.float64()
    return table.to_pandas()


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (["2024-01-02", "2024-01-03"], [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]),
        (["20240102", "20240103"], [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]),  # parsed by pandas
        ([dt.date(2024, 1, 2), "2024-01-03"], [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]),
    ],
)
def test_dates_become_date_objects(dates: list[object], expected: list[dt.date]) -> None:
    frame = _flatten(dates)
    assert frame["date"].dtype == object
    assert list(frame["date"]) == expected


def test_missing_date_is_nat() -> None:
    assert pd.isna(_flatten([None, "2024-01-03"])["date"].iloc[0])


def test_constants_fill_every_row_with_their_types() -> None:
    frame = _flatten(["2024-01-02"] * 3)
    assert list(frame.columns) == list(ENRICHED_COLUMNS)
    assert list(frame["batch_id"]) == ["b-1"] * 3
    assert list(frame["partition_key"]) == ["2024-03-04"] * 3
    assert list(frame["source"]) == ["raw"] * 3
    assert str(frame["enriched_at"].dtype) == "datetime64[us, UTC]"
    assert [t.to_pydatetime() for t in frame["enriched_at"]] == [WHEN] * 3
    assert list(frame["counterparty_name"]) == ["Acme"] * 3
    assert frame["amount"].dtype == "float64"


def test_empty_batch_gives_empty_frame_with_all_columns() -> None:
    frame = _flatten([])
    assert list(frame.columns) == list(ENRICHED_COLUMNS)
    assert len(frame) == 0
