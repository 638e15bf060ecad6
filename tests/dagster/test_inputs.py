"""Validation of raw rows: every bad row is rejected with its row number, field and reason."""

from __future__ import annotations

import datetime as dt

import numpy as np
import orjson
import pandas as pd
import pytest

from ntropy_dagster.client import TransactionInput
from ntropy_dagster.core.validation import ColumnMapping, validate_transactions

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


def _as_submitted(model_input: dict) -> bytes:
    """What the API must receive for one row: the client model's own JSON dump."""
    return orjson.dumps(
        TransactionInput.model_validate(model_input).model_dump(mode="json", exclude_none=True)
    )


CLEAN_ROWS = [
    # (raw row, the same transaction as TransactionInput input)
    (GOOD | {"id": "c1"}, GOOD | {"id": "c1"}),
    (
        GOOD | {"id": "c2", "location_raw_address": "1 Main St", "location_country": "US-CA"},
        GOOD | {"id": "c2", "location": {"raw_address": "1 Main St", "country": "US-CA"}},
    ),
    (
        GOOD | {"id": "c3", "account_holder_id": None, "location_country": "GB"},
        {k: v for k, v in GOOD.items() if k != "account_holder_id"}
        | {"id": "c3", "location": {"country": "GB"}},
    ),
]
COERCED_ROWS = [
    (GOOD | {"id": "k1", "entry_type": "credit"}, GOOD | {"id": "k1", "entry_type": "credit"}),
    (GOOD | {"id": "k2", "amount": 7}, GOOD | {"id": "k2", "amount": 7}),
    (GOOD | {"id": "k3", "amount": "12.50"}, GOOD | {"id": "k3", "amount": "12.50"}),
    (GOOD | {"id": "k4", "date": dt.date(2024, 2, 29)}, GOOD | {"id": "k4", "date": dt.date(2024, 2, 29)}),
    (
        GOOD | {"id": "k5", "date": pd.Timestamp("2025-03-04 17:00")},
        GOOD | {"id": "k5", "date": "2025-03-04"},
    ),
    (GOOD | {"id": 42.0, "account_holder_id": 7}, GOOD | {"id": "42", "account_holder_id": "7"}),
    (GOOD | {"id": "k6", "amount": np.float32(2.5)}, GOOD | {"id": "k6", "amount": 2.5}),
]


@pytest.mark.parametrize(
    "rows",
    [CLEAN_ROWS, COERCED_ROWS, CLEAN_ROWS + COERCED_ROWS],
    ids=["clean", "coerced", "mixed"],
)
def test_payloads_equal_the_client_models_json_dump(rows: list[tuple[dict, dict]]) -> None:
    bad = GOOD | {"id": "bad", "currency": "usd"}  # a rejected row must not change the others' payloads
    validated = validate_transactions(pd.DataFrame([raw for raw, _ in rows] + [bad]))
    expected = {str(model_input["id"]): _as_submitted(model_input) for _, model_input in rows}
    assert [orjson.dumps(p) for p in validated.payloads] == [expected[k] for k in sorted(expected)]
    assert [(r.transaction_id, r.field) for r in validated.rejected] == [("bad", "currency")]


def test_every_bad_field_of_every_bad_row_is_reported_on_its_own_row() -> None:
    validated = validate_transactions(
        frame(
            {"id": "a"},
            {"id": "b", "amount": -1.0, "currency": "usd"},
            {"id": "c"},
            {"id": "d", "date": "2025-02-30", "location_country": "usa"},
        )
    )
    assert [p["id"] for p in validated.payloads] == ["a", "c"]
    assert [(r.row_number, r.transaction_id, r.field) for r in validated.rejected] == [
        (1, "b", "amount"),
        (1, "b", "currency"),
        (3, "d", "date"),
        (3, "d", "location.country"),
    ]
    assert '"id":"d"' in validated.rejected[-1].raw_row


def test_nullable_string_columns_treat_na_as_missing() -> None:
    raw = frame({"id": "a"}, {"id": "b", "account_holder_id": None}).astype({"account_holder_id": "string"})
    validated = validate_transactions(raw)
    assert validated.rejected == []
    assert [p.get("account_holder_id") for p in validated.payloads] == ["ah-1", None]
    assert [h.id for h in validated.account_holders] == ["ah-1"]
