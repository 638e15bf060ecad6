"""Validation of raw rows: every bad row is rejected with its row number, field and reason."""

from __future__ import annotations

import pandas as pd
import pytest

from ntropy_dagster.pipeline.inputs import ColumnMapping, validate_transactions

GOOD = {
    "id": "t1",
    "description": "NETFLIX.COM",
    "date": "2025-01-01",
    "amount": 15.49,
    "entry_type": "outgoing",
    "currency": "USD",
    "account_holder_id": "ah-1",
}


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame([GOOD | row for row in rows])


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"amount": -3.0}, "amount", "greater than or equal to 0"),
        ({"currency": "XYZ"}, "currency", "XYZ"),
        ({"currency": "usd"}, "currency", "usd"),
        ({"description": "x" * 2000}, "description", "1024"),
        ({"date": "2025-13-45"}, "date", ""),
        ({"date": None}, "date", "Field required"),
        ({"id": None}, "id", "Field required"),
        ({"entry_type": "sideways"}, "entry_type", ""),
        ({"amount": float("nan")}, "amount", "Field required"),
    ],
)
def test_bad_field_is_rejected_with_row_field_and_reason(change: dict, field: str, reason: str) -> None:
    validated = validate_transactions(
        frame({"id": "ok"}, change | ({"id": "bad"} if "id" not in change else {}))
    )
    assert [p["id"] for p in validated.payloads] == ["ok"]
    [rejected] = validated.rejected
    assert rejected.row_number == 1
    assert rejected.field == field
    assert reason in rejected.reason
    assert rejected.raw_row.startswith("{")


def test_missing_required_column_rejects_every_row_naming_the_column() -> None:
    validated = validate_transactions(frame({}, {"id": "t2"}).drop(columns=["currency"]))
    assert validated.payloads == []
    assert [(r.row_number, r.field) for r in validated.rejected] == [(0, "currency"), (1, "currency")]
    assert all("missing column" in r.reason for r in validated.rejected)


def test_duplicate_ids_keep_the_last_row_and_reject_the_earlier() -> None:
    validated = validate_transactions(frame({"amount": 1.0}, {"amount": 2.0}))
    assert [p["amount"] for p in validated.payloads] == [2.0]
    assert [(r.row_number, r.field) for r in validated.rejected] == [(0, "id")]
    assert "superseded by row 1" in validated.rejected[0].reason


def test_content_hash_ignores_row_order_but_not_content_or_batch_size() -> None:
    a = validate_transactions(frame({"id": "x"}, {"id": "y"}))
    b = validate_transactions(frame({"id": "y"}, {"id": "x"}))
    c = validate_transactions(frame({"id": "x"}, {"id": "y", "amount": 9.99}))
    assert a.content_hash() == b.content_hash()
    assert a.content_hash() != c.content_hash()
    assert a.content_hash(100) != a.content_hash(200)


def test_column_mapping_and_signed_amounts() -> None:
    raw = pd.DataFrame(
        [
            {
                "txn": "a",
                "memo": "SPOTIFY USA",
                "booked": pd.Timestamp("2025-02-03"),
                "amt": -10.99,
                "ccy": "USD",
            },
            {
                "txn": "b",
                "memo": "ACME CORP PAYROLL",
                "booked": pd.Timestamp("2025-02-03"),
                "amt": 2500,
                "ccy": "USD",
            },
        ]
    )
    mapping = ColumnMapping(
        columns={"txn": "id", "memo": "description", "booked": "date", "amt": "amount", "ccy": "currency"},
        entry_type_from_sign=True,
    )
    validated = validate_transactions(raw, mapping)
    assert validated.rejected == []
    by_id = {p["id"]: p for p in validated.payloads}
    assert by_id["a"] | {} == {
        "id": "a",
        "description": "SPOTIFY USA",
        "date": "2025-02-03",
        "amount": 10.99,
        "entry_type": "outgoing",
        "currency": "USD",
    }
    assert by_id["b"]["entry_type"] == "incoming"


def test_chunks_split_at_the_batch_size() -> None:
    validated = validate_transactions(pd.DataFrame([GOOD | {"id": f"t{i:03d}"} for i in range(25)]))
    assert [len(c) for c in validated.chunks(10)] == [10, 10, 5]
    with pytest.raises(ValueError, match="batch size"):
        list(validated.chunks(24_961))
