"""Client-side validation of transactions and chunking of large inputs."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from ntropy_client_testkit import run
from ntropy_fake_api import FakeNtropy

from ntropy_dagster.client import (
    MAX_BATCH_SIZE,
    InputValidationError,
    Location,
    TransactionInput,
    TransactionValidationError,
    chunk_transactions,
)
from ntropy_dagster.client._resource import validate_input
from ntropy_dagster.client.models import RecurrenceGroup

GOOD = {
    "id": "tx-1",
    "description": "AMAZON MKTPLACE",
    "date": "2024-05-01",
    "amount": 12.5,
    "entry_type": "outgoing",
    "currency": "USD",
}


def tx(**changes: Any) -> dict[str, Any]:
    item = {**GOOD, **changes}
    return {k: v for k, v in item.items() if v is not ...}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"amount": -0.01}, "amount: Input should be greater than or equal to 0"),
        ({"amount": math.nan}, "amount: Input should be a finite number"),
        ({"amount": math.inf}, "amount: Input should be a finite number"),
        ({"description": "x" * 1025}, "description: String should have at most 1024 characters"),
        ({"date": "01/05/2024"}, "date: Input should be a valid date in YYYY-MM-DD format"),
        ({"date": "2024-02-30"}, "date: Input should be a valid date in YYYY-MM-DD format"),
        ({"date": "2024-05-01T10:00:00"}, "date: Input should be a valid date in YYYY-MM-DD format"),
        ({"currency": "usd"}, "currency: Input should be an ISO 4217 currency code of 3 uppercase letters"),
        ({"currency": "ABC"}, "currency: Input should be an ISO 4217 currency code of 3 uppercase letters"),
        ({"currency": "USDT"}, "currency: Input should be an ISO 4217 currency code of 3 uppercase letters"),
        ({"entry_type": "in"}, "entry_type: Input should be 'incoming' or 'outgoing'"),
        ({"location": {"country": "usa"}}, "location.country: String should match pattern"),
        ({"location": {"country": "US-"}}, "location.country: String should match pattern"),
        ({"id": ""}, "id: String should have at least 1 character"),
        ({"id": "x" * 257}, "id: String should have at most 256 characters"),
        ({"id": "tx\n1"}, "id: Input should not contain control characters (found U+000A at position 2)"),
        (
            {"account_holder_id": "holder\x00"},
            "account_holder_id: Input should not contain control characters",
        ),
        ({"currency": ...}, "currency: Field required"),
        ({"amount": ...}, "amount: Field required"),
        ({"merchant": "Amazon"}, "merchant: Extra inputs are not permitted"),
    ],
)
def test_single_transaction_errors(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(TransactionValidationError) as info:
        validate_input(TransactionInput, tx(**changes), error=TransactionValidationError, what="transaction")
    assert expected in str(info.value)


def test_valid_inputs_are_accepted_and_normalised() -> None:
    model = TransactionInput.model_validate(
        tx(amount=0, description="", entry_type="debit", location={"country": "US-CA", "raw_address": "SF"})
    )
    assert model.model_dump(mode="json", exclude_none=True) == {
        **GOOD,
        "amount": 0.0,
        "description": "",
        "location": {"raw_address": "SF", "country": "US-CA"},
    }
    assert TransactionInput.model_validate(tx(entry_type="credit")).entry_type == "incoming"
    assert TransactionInput.model_validate(tx(location=Location(country="GB"))).location.country == "GB"
    assert TransactionInput.model_validate(tx(description="d" * 1024, id="i" * 256))


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("bi_weekly", "bi-weekly"),
        ("bi-weekly", "bi-weekly"),
        ("semi_yearly", "semi-yearly"),
        ("monthly", "monthly"),
    ],
)
def test_periodicity_normalised(value: str, normalised: str) -> None:
    assert RecurrenceGroup.model_validate({"id": "g", "periodicity": value}).periodicity == normalised


async def test_batch_errors_name_every_bad_item(client: Any, fake: FakeNtropy) -> None:
    data = [tx(id=f"t{i}") for i in range(6)]
    data[1] = tx(id="t1", currency="usd")
    data[3] = tx(id="t3", amount=-5)
    data[4] = tx(id="t4", date="2024-13-01", entry_type="sideways")
    with pytest.raises(TransactionValidationError) as info:
        await run(client.batches.create(data))
    exc = info.value
    message = str(exc)
    assert "data[1].currency: Input should be an ISO 4217 currency code" in message
    assert "data[3].amount: Input should be greater than or equal to 0" in message
    assert "data[4].date: Input should be a valid date in YYYY-MM-DD format" in message
    assert "data[4].entry_type: Input should be 'incoming' or 'outgoing'" in message
    assert message.splitlines()[0] == "invalid transactions: 4 errors"
    assert [(e["loc"], e["type"]) for e in exc.errors] == [
        (("data", 1, "currency"), "currency"),
        (("data", 3, "amount"), "greater_than_equal"),
        (("data", 4, "date"), "date_format"),
        (("data", 4, "entry_type"), "literal_error"),
    ]
    assert isinstance(exc, ValueError) and isinstance(exc, InputValidationError)
    assert fake.requests == []  # nothing sent


async def test_single_create_raises_before_sending(client: Any, fake: FakeNtropy) -> None:
    with pytest.raises(
        TransactionValidationError, match="amount: Input should be greater than or equal to 0"
    ):
        await run(client.transactions.create(tx(amount=-1)))
    assert fake.requests == []


def _generate(count: int, consumed: list[int] | None = None) -> Iterator[dict[str, Any]]:
    for i in range(count):
        if consumed is not None:
            consumed.append(i)
        yield tx(id=f"t{i}")


async def test_too_many_items_rejected_before_http(client: Any, fake: FakeNtropy) -> None:
    consumed: list[int] = []
    with pytest.raises(TransactionValidationError, match=f"more than {MAX_BATCH_SIZE} items"):
        await run(client.batches.create(_generate(MAX_BATCH_SIZE + 500, consumed)))
    assert len(consumed) == MAX_BATCH_SIZE + 1  # stopped reading right after the limit
    with pytest.raises(TransactionValidationError, match="at least one item"):
        await run(client.batches.create([]))
    assert fake.requests == []


async def test_full_batch_is_sent(client: Any, fake: FakeNtropy) -> None:
    started = time.perf_counter()
    batch = await run(client.batches.create(_generate(MAX_BATCH_SIZE)))
    assert batch.total == MAX_BATCH_SIZE
    assert time.perf_counter() - started < 5


def test_chunking_boundaries_from_generator() -> None:
    chunks = list(chunk_transactions(_generate(MAX_BATCH_SIZE)))
    assert [len(c) for c in chunks] == [MAX_BATCH_SIZE]
    chunks = list(chunk_transactions(_generate(MAX_BATCH_SIZE + 1)))
    assert [len(c) for c in chunks] == [MAX_BATCH_SIZE, 1]
    assert chunks[1][0]["id"] == f"t{MAX_BATCH_SIZE}"
    assert [len(c) for c in chunk_transactions(range(7), size=3)] == [3, 3, 1]
    assert list(chunk_transactions([])) == []


def test_chunking_is_lazy() -> None:
    consumed: list[int] = []
    chunks = chunk_transactions(_generate(10**9, consumed), size=5)
    assert consumed == []
    first = next(chunks)
    assert len(first) == 5
    assert len(consumed) == 5


def test_chunk_size_bounds() -> None:
    with pytest.raises(ValueError, match="24960"):
        chunk_transactions([], size=MAX_BATCH_SIZE + 1)
    with pytest.raises(ValueError):
        chunk_transactions([], size=0)
