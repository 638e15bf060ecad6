"""Validation rules beyond the API's field types: ids without control characters, mappings to v3 columns only."""

import pandas as pd
import pytest

from ntropy_dagster.client import InputValidationError
from ntropy_dagster.client._resource import validate_input
from ntropy_dagster.client.models import AccountHolderCreate
from ntropy_dagster.core.validation import (
    AccountHolderRef,
    ColumnMapping,
    account_holders_of,
    validate_transactions,
)


def _row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": "tx-1",
        "description": "NETFLIX.COM",
        "date": "2024-03-01",
        "amount": 15.49,
        "entry_type": "outgoing",
        "currency": "USD",
        "account_holder_id": "holder-1",
    }
    return row | changes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "tx-\n2"}, "id"),
        ({"id": "tx-\t2"}, "id"),
        ({"account_holder_id": "holder\n2"}, "account_holder_id"),
        ({"account_holder_id": "holder\x7f"}, "account_holder_id"),
    ],
)
def test_an_id_with_a_control_character_is_rejected_with_its_row_and_field(
    changes: dict[str, object], field: str
) -> None:
    frame = pd.DataFrame([_row(), _row(**changes)])
    validated = validate_transactions(frame)
    assert [p["id"] for p in validated.payloads] == ["tx-1"]
    [rejected] = validated.rejected
    assert (rejected.row_number, rejected.field) == (1, field)
    assert "control characters" in rejected.reason
    # The holder of the rejected row is not created either: only the valid row's holder is.
    assert [h.id for h in validated.account_holders] == ["holder-1"]


def test_ids_with_other_unicode_stay_valid() -> None:
    frame = pd.DataFrame([_row(id="tx-é-ü-中", account_holder_id="hölder 1")])
    validated = validate_transactions(frame)
    assert not validated.rejected and validated.payloads[0]["id"] == "tx-é-ü-中"


def test_account_holder_create_rejects_control_characters_before_sending() -> None:
    with pytest.raises(InputValidationError, match="control characters"):
        validate_input(AccountHolderCreate, {"id": "a\nb", "type": "consumer"}, what="account holder")


def test_a_column_mapping_names_only_v3_columns() -> None:
    from pydantic import ValidationError

    from ntropy_dagster.core.validation import ColumnMapping

    assert ColumnMapping(columns={"txn_id": "id"}).columns == {"txn_id": "id"}
    with pytest.raises(ValidationError, match=r"unknown v3 input column\(s\) \['merchant'\]"):
        ColumnMapping(columns={"memo": "merchant"})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        ColumnMapping(column={"txn_id": "id"})  # type: ignore[call-arg]


def test_the_holders_a_frame_names_are_read_from_the_holder_columns_alone() -> None:
    frame = pd.DataFrame(
        [
            _row(id="tx-1", amount=-5.0, account_holder_id="holder-1"),  # rejected for its amount only
            _row(id="tx-2", account_holder_id="holder\n2"),  # an id the API would break on
            _row(id="tx-3", account_holder_id="holder-3", account_holder_type="pirate"),
            _row(id="tx-4", account_holder_id=42, account_holder_type="business"),
            _row(id="tx-5", account_holder_id="holder-3", account_holder_type="business"),
            _row(id="tx-6", account_holder_id="holder-1", account_holder_type="business"),
            _row(id="tx-7", account_holder_id="   "),
        ]
    ).rename(columns={"account_holder_id": "customer"})
    mapping = ColumnMapping(columns={"customer": "account_holder_id"})
    holders = account_holders_of(frame, mapping)
    # holder-1 is named by a row rejected for its amount: creating it costs no credits. Its first row
    # gives its type (the default); holder-3's first row with a valid type gives its own.
    assert holders == [
        AccountHolderRef("42", "business"),
        AccountHolderRef("holder-1", "consumer"),
        AccountHolderRef("holder-3", "business"),
    ]
    # The full validation rejects the rows whose holder fields are wrong, naming them: nothing is lost.
    rejected = {(r.transaction_id, r.field) for r in validate_transactions(frame, mapping).rejected}
    assert {("tx-2", "account_holder_id"), ("tx-3", "account_holder_type")} <= rejected
