"""Property-based inputs through validation: no raw row is ever lost, and none is both valid and rejected."""

import math

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ntropy_dagster.core.validation import validate_transactions

_IDS = st.one_of(
    st.text(min_size=0, max_size=12),  # empty, unicode, control characters
    st.sampled_from(["tx-1", "tx-2", "tx-3"]),  # duplicates
    st.none(),
    st.integers(min_value=-5, max_value=5),
)
_AMOUNTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-1000, max_value=10**9),
    st.text(max_size=6),
    st.none(),
)
_ROWS = st.fixed_dictionaries(
    {
        "id": _IDS,
        "description": st.one_of(st.text(max_size=30), st.just("x" * 1025), st.none()),
        "date": st.one_of(
            st.sampled_from(["2024-03-01", "2024-02-30", "03/01/2024", ""]), st.dates(), st.none()
        ),
        "amount": _AMOUNTS,
        "entry_type": st.sampled_from(["incoming", "outgoing", "credit", "debit", "sideways", None]),
        "currency": st.sampled_from(["USD", "EUR", "usd", "XXX1", "", None]),
        "account_holder_id": st.one_of(st.none(), st.text(max_size=8)),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROWS, max_size=25), drop=st.sets(st.sampled_from(["currency", "date", "entry_type"])))
def test_every_raw_row_is_either_valid_or_rejected_with_a_reason(
    rows: list[dict[str, object]], drop: set[str]
) -> None:
    frame = pd.DataFrame(rows).drop(columns=sorted(drop) if rows else [], errors="ignore")
    validated = validate_transactions(frame)
    assert validated.raw_rows == len(rows)
    rejected_rows = {r.row_number for r in validated.rejected}
    valid_ids = [str(p["id"]) for p in validated.payloads]
    assert len(valid_ids) == len(set(valid_ids))  # one payload per id: the last row of an id wins
    # Every row is accounted for: a payload (the winning row of its id) or at least one rejection.
    assert len(validated.payloads) + len(rejected_rows) == len(rows)
    for rejection in validated.rejected:
        assert rejection.field and rejection.reason  # named field, readable reason
        assert 0 <= rejection.row_number < len(rows)
    for payload in validated.payloads:
        assert (
            isinstance(payload["amount"], float | int)
            and math.isfinite(payload["amount"])
            and payload["amount"] >= 0
        )
        assert 1 <= len(str(payload["id"])) <= 256 and len(str(payload["description"])) <= 1024
