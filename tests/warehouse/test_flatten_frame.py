"""``flatten_results`` builds the enriched-transactions table the warehouse writes: types and constants."""

from __future__ import annotations

import datetime as dt

import msgspec
import orjson
import pandas as pd
import pyarrow as pa
import pytest

from ntropy_dagster.core.results import ENRICHED_COLUMNS, decode_results, flatten_results

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
    body = {
        "results": [
            {"id": f"t{i}", "entities": {"counterparty": {"name": "Acme"}}} for i in range(len(dates))
        ]
    }
    results = decode_results(orjson.dumps(body))
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


def test_decoded_results_flatten_into_the_stored_fields() -> None:
    full = {
        "id": "t0",
        "created_at": "2024-01-01T00:00:00+00:00",  # not stored: skipped by the decoder
        "entities": {
            "counterparty": {
                "id": "e1",
                "name": "Starbucks",
                "website": "starbucks.com",
                "logo": "https://l/s",
                "mccs": [5814],
                "phone_number": None,
                "type": "organization",
            },
            "intermediaries": [{"id": "i1", "name": "Square", "mccs": [6012]}, {"name": "Uber Eats"}],
        },
        "categories": {"general": "coffee shops", "accounting": None},
        "location": {
            "raw_address": "10 Union Sq",
            "structured": {"city": "New York", "latitude": "40.71", "longitude": -74.0, "street": "x"},
        },
        "recurrence": "recurring",  # an extra field the API may add
        "error": None,
    }
    bare = {"id": "t1", "entities": None, "location": {"structured": None}, "error": None}
    failed = {"id": "t2", "error": {"code": "account_holder_not_found", "message": "no such holder"}}
    body = orjson.dumps({"id": "b", "status": "completed", "results": [full, bare, failed]})
    inputs = [
        {"id": f"t{i}", "description": "x", "date": "2024-01-02", "amount": 1, "entry_type": "outgoing"}
        for i in range(3)
    ]
    table = flatten_results(
        decode_results(body), inputs, batch_id="b", partition_key="2024-01-02", enriched_at=WHEN
    )
    rows = table.to_pylist()
    assert rows[0]["counterparty_name"] == "Starbucks" and rows[0]["counterparty_type"] == "organization"
    assert orjson.loads(rows[0]["counterparty_mccs"]) == [5814]
    assert orjson.loads(rows[0]["intermediaries"]) == full["entities"]["intermediaries"]  # type: ignore[index]
    assert rows[0]["intermediary_names"] == "Square, Uber Eats"
    assert rows[0]["category_general"] == "coffee shops" and rows[0]["category_accounting"] is None
    assert rows[0]["location_latitude"] == 40.71 and rows[0]["location_longitude"] == -74.0
    assert rows[0]["location_city"] == "New York" and rows[0]["location_raw_address"] == "10 Union Sq"
    assert rows[1]["counterparty_name"] is None and rows[1]["intermediaries"] is None
    assert rows[1]["counterparty_mccs"] == "[]" and rows[1]["location_city"] is None
    assert (rows[2]["error_code"], rows[2]["error_message"]) == ("account_holder_not_found", "no such holder")
    assert rows[0]["error_code"] is None


def test_a_result_off_the_schema_is_named() -> None:
    body = orjson.dumps(
        {"results": [{"id": "t0"}, {"id": "t1", "location": {"structured": {"latitude": "n/a"}}}]}
    )
    with pytest.raises(msgspec.ValidationError, match=r"\$\.results\[1\]\.location\.structured\.latitude"):
        decode_results(body)
