"""From the API's statement results to rows: masking, account holder ids, sums, reconciliation."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pandas as pd
import pytest

from ntropy_dagster.client.models import BankStatementResults, StatementInfo
from ntropy_dagster.core.statements.extract import (
    enrichment_frame,
    extract_statement,
    reconciliation,
    verify_columns,
)
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.dagster.statements import derive_account_holder_id, mask_account_number
from ntropy_dagster.sandbox.statements import make_statement_pdf, parse_statement, random_statement_spec
from ntropy_dagster.sandbox.statements import verify_statement as sandbox_verify


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("000000123456789", "****6789"),
        ("DE89 3704 0044 0532 0130 00", "****3000"),
        ("****0037", "****0037"),
        ("12-34-56 87654321", "****4321"),
        ("123", None),
        (None, None),
    ],
)
def test_account_numbers_are_masked_to_the_last_four_digits(number: str | None, masked: str | None) -> None:
    assert mask_account_number(number) == masked


def test_account_holder_ids_are_stable_and_do_not_reveal_the_number() -> None:
    holder = derive_account_holder_id("Jordan  Avery", "000000123456789")
    assert holder == derive_account_holder_id("jordan avery", "0000 0012 3456 789")
    assert holder != derive_account_holder_id("Jordan Avery", "000000123456780")
    assert holder != derive_account_holder_id("Jordan Avers", "000000123456789")
    assert holder.startswith("stmt-") and "123456789" not in holder
    assert len(holder) <= 256


def _results(spec: object) -> BankStatementResults:
    return BankStatementResults.model_validate(parse_statement(make_statement_pdf(spec)))


def test_two_account_statement_sums_and_keeps_per_account_figures() -> None:
    spec = random_statement_spec(2, bank="Bank of America", n_accounts=2)
    extracted = extract_statement("boa-1", _results(spec))
    accounts = spec.accounts()
    columns = extracted.columns
    assert columns["account_count"] == 2
    assert columns["opening_balance"] == pytest.approx(float(sum(a.opening_balance for a in accounts)))
    assert columns["total_incoming"] == pytest.approx(float(sum(a.total_incoming for a in accounts)))
    assert columns["is_reconciled"] is True
    per_account = orjson.loads(columns["accounts"])
    assert [a["transaction_count"] for a in per_account] == [len(a.transactions) for a in accounts]
    assert [a["closing_balance"] for a in per_account] == [float(a.closing_balance) for a in accounts]
    rows = extracted.transactions
    assert [r["row_index"] for r in rows] == list(range(len(rows)))
    assert {r["statement_key"] for r in rows} == {"boa-1"}
    assert {r["account_index"] for r in rows} == {0, 1}


def test_reconciliation_is_recomputed_from_the_transactions_per_account() -> None:
    spec = random_statement_spec(4, bank="HSBC UK", n_accounts=2, misprint_closing_balance=Decimal("5.00"))
    extracted = extract_statement("hsbc", _results(spec))
    frame = pd.DataFrame(extracted.transactions)
    checked = reconciliation(extracted.columns["accounts"], frame)
    assert [a["reconciled"] for a in checked] == [False, True]
    assert checked[0]["difference"] == pytest.approx(5.0)
    assert extracted.columns["is_reconciled"] is False
    # A transaction lost in extraction breaks the balance even when the printed figures agree.
    good = extract_statement("good", _results(random_statement_spec(5, bank="Chase")))
    dropped = pd.DataFrame(good.transactions[1:])
    assert [a["reconciled"] for a in reconciliation(good.columns["accounts"], dropped)] == [False]


def test_enrichment_frame_is_valid_v3_input_for_the_statement_holder() -> None:
    extracted = extract_statement("chase", _results(random_statement_spec(6, bank="Chase")))
    frame = enrichment_frame(pd.DataFrame(extracted.transactions), "stmt-abc", "business")
    validated = validate_transactions(frame)
    assert not validated.rejected
    assert len(validated.payloads) == len(extracted.transactions)
    assert {p["account_holder_id"] for p in validated.payloads} == {"stmt-abc"}
    assert [(h.id, h.type) for h in validated.account_holders] == [("stmt-abc", "business")]


def test_verify_columns_mask_numbers_and_default_unknown_holder_types() -> None:
    spec = random_statement_spec(7, bank="Chase", account_holder_type="consumer")
    info = StatementInfo.model_validate(sandbox_verify(make_statement_pdf(spec)))
    columns = verify_columns(info, "business")
    assert columns["institution"] == "Chase"
    assert columns["account_holder_name"] == spec.account_holder_name
    assert columns["account_holder_type"] == "consumer"
    assert columns["account_number_masked"] == mask_account_number(spec.account_number)
    unknown = info.model_copy(
        update={"account_holder": info.account_holder.model_copy(update={"type": "unknown"})}
    )
    assert verify_columns(unknown, "business")["account_holder_type"] == "business"
