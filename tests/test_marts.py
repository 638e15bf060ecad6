"""Tests for the pure mart derivations in :mod:`ntropy_dagster.core.marts`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ntropy_dagster.core.marts import (
    INCOME_TRANSACTION_COLUMNS,
    PERIOD_DAYS,
    PERIODICITIES,
    grace_days,
    income_source_rows,
    income_source_type,
    is_active,
    monthly_equivalent,
    next_expected_date,
    normalise_periodicity,
    recurring_group_rows,
)

D = dt.date

GROUP_ROW_KEYS = {
    "group_id",
    "account_holder_id",
    "start_date",
    "end_date",
    "total_amount",
    "average_amount",
    "periodicity",
    "periodicity_in_days",
    "counterparty_id",
    "counterparty_name",
    "counterparty_website",
    "category_general",
    "category_accounting",
    "entry_type",
    "transaction_count",
    "is_active",
    "next_expected_date",
    "next_expected_amount",
    "monthly_amount",
    "currency",
}
SOURCE_ROW_KEYS = {
    "account_holder_id",
    "source_key",
    "source_name",
    "source_type",
    "pay_frequency",
    "average_amount",
    "first_date",
    "last_date",
    "next_expected_date",
    "monthly_income",
    "transaction_count",
    "currency",
    "is_active",
}


# ----------------------------------------------------------------------------- next_expected_date


@pytest.mark.parametrize(
    ("last", "periodicity", "expected"),
    [
        (D(2024, 3, 10), "daily", D(2024, 3, 11)),
        (D(2024, 12, 31), "daily", D(2025, 1, 1)),
        (D(2024, 2, 26), "weekly", D(2024, 3, 4)),
        (D(2024, 12, 25), "bi-weekly", D(2025, 1, 8)),
        (D(2024, 1, 15), "monthly", D(2024, 2, 15)),
        (D(2024, 1, 31), "monthly", D(2024, 2, 29)),  # leap year clamp
        (D(2023, 1, 31), "monthly", D(2023, 2, 28)),  # common year clamp
        (D(2024, 3, 31), "monthly", D(2024, 4, 30)),
        (D(2024, 12, 5), "monthly", D(2025, 1, 5)),
        (D(2023, 12, 31), "bi-monthly", D(2024, 2, 29)),
        (D(2024, 11, 30), "bi-monthly", D(2025, 1, 30)),
        (D(2024, 11, 30), "quarterly", D(2025, 2, 28)),
        (D(2024, 1, 1), "quarterly", D(2024, 4, 1)),
        (D(2024, 8, 31), "semi-yearly", D(2025, 2, 28)),
        (D(2024, 7, 1), "semi-yearly", D(2025, 1, 1)),
        (D(2024, 2, 29), "yearly", D(2025, 2, 28)),
        (D(2023, 6, 30), "yearly", D(2024, 6, 30)),
    ],
)
def test_next_expected_date_calendar_periodicities(
    last: dt.date, periodicity: str, expected: dt.date
) -> None:
    assert next_expected_date(last, periodicity, None) == expected


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (D(2024, 3, 1), D(2024, 3, 16)),  # first half -> +15 days, same month
        (D(2024, 3, 15), D(2024, 3, 31)),  # the 15th -> month end ("15th and last day")
        (D(2024, 2, 15), D(2024, 2, 29)),  # ... leap February
        (D(2023, 2, 15), D(2023, 2, 28)),
        (D(2024, 4, 10), D(2024, 4, 25)),
        (D(2024, 3, 31), D(2024, 4, 15)),  # month end -> next month's 15th
        (D(2024, 4, 30), D(2024, 5, 15)),
        (D(2024, 2, 29), D(2024, 3, 15)),
        (D(2024, 3, 16), D(2024, 4, 1)),  # second half (not month end) -> day - 15 next month
        (D(2024, 3, 30), D(2024, 4, 15)),
        (D(2024, 12, 31), D(2025, 1, 15)),  # year rollover
    ],
)
def test_next_expected_date_semi_monthly(last: dt.date, expected: dt.date) -> None:
    assert next_expected_date(last, "semi-monthly", 15.2) == expected
    assert next_expected_date(last, "semi_monthly", None) == expected


def test_next_expected_date_other_uses_periodicity_in_days() -> None:
    assert next_expected_date(D(2024, 1, 1), "other", 10.4) == D(2024, 1, 11)
    assert next_expected_date(D(2024, 1, 1), "other", 45.6) == D(2024, 2, 16)
    assert next_expected_date(D(2024, 1, 1), "other", 0.2) == D(2024, 1, 2)  # at least one day
    assert next_expected_date(D(2024, 1, 1), "other", None) is None
    assert next_expected_date(D(2024, 1, 1), "other", 0) is None
    assert next_expected_date(D(2024, 1, 1), "every-full-moon", 29.5) == D(2024, 1, 31)  # unknown -> other


def test_next_expected_date_accepts_underscore_spellings() -> None:
    assert next_expected_date(D(2024, 1, 1), "bi_weekly", None) == D(2024, 1, 15)
    assert next_expected_date(D(2024, 1, 31), "bi_monthly", None) == D(2024, 3, 31)
    assert next_expected_date(D(2024, 1, 31), "semi_yearly", None) == D(2024, 7, 31)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("bi_weekly", "bi-weekly"),
        ("Bi-Weekly", "bi-weekly"),
        ("semi_yearly", "semi-yearly"),
        ("semi monthly", "semi-monthly"),
        ("biweekly", "bi-weekly"),
        ("annually", "yearly"),
        ("monthly", "monthly"),
        ("sometimes", "other"),
        (None, "other"),
    ],
)
def test_normalise_periodicity(raw: str | None, normalised: str) -> None:
    assert normalise_periodicity(raw) == normalised


# ----------------------------------------------------------------------------- monthly_equivalent


@pytest.mark.parametrize(
    ("amount", "periodicity", "days", "expected"),
    [
        (1.0, "daily", None, 365 / 12),
        (100.0, "weekly", None, 100 * 52 / 12),
        (2000.0, "bi-weekly", None, 2000 * 26 / 12),
        (2000.0, "bi_weekly", None, 2000 * 26 / 12),
        (500.0, "semi-monthly", None, 1000.0),
        (10.0, "monthly", None, 10.0),
        (10.0, "bi-monthly", None, 5.0),
        (30.0, "quarterly", None, 10.0),
        (60.0, "semi-yearly", None, 10.0),
        (120.0, "yearly", None, 10.0),
        (100.0, "other", 365.25 / 12, 100.0),
        (100.0, "other", 365.25 / 24, 200.0),
        (100.0, "other", None, 100.0),  # assumption: no estimate -> once a month
    ],
)
def test_monthly_equivalent(amount: float, periodicity: str, days: float | None, expected: float) -> None:
    assert monthly_equivalent(amount, periodicity, days) == pytest.approx(expected)


def test_monthly_equivalent_examples_from_brief() -> None:
    assert round(monthly_equivalent(100, "weekly", 7.0), 2) == 433.33
    assert round(monthly_equivalent(2000, "bi-weekly", 14.0), 2) == 4333.33
    assert monthly_equivalent(10, "monthly", 30.4) == 10
    assert monthly_equivalent(120, "yearly", 365) == 10


# ----------------------------------------------------------------------------- is_active


@pytest.mark.parametrize(
    ("periodicity", "days", "grace"),
    [
        ("daily", None, 3),
        ("weekly", None, 3),  # 25% of 7 = 1.75 < 3
        ("bi-weekly", None, 4),  # ceil(3.5)
        ("monthly", None, 8),  # ceil(7.6)
        ("quarterly", None, 23),
        ("yearly", None, 92),
        ("other", 40.0, 10),
    ],
)
def test_is_active_grace_boundary(periodicity: str, days: float | None, grace: int) -> None:
    period = PERIOD_DAYS.get(periodicity, days)
    assert grace_days(period) == grace
    expected = D(2024, 5, 1)
    last_active_day = expected + dt.timedelta(days=grace)
    assert is_active(expected, periodicity, days, D(2024, 4, 20))
    assert is_active(expected, periodicity, days, expected)
    assert is_active(expected, periodicity, days, last_active_day)
    assert not is_active(expected, periodicity, days, last_active_day + dt.timedelta(days=1))
    assert not is_active(expected, periodicity, days, D(2026, 1, 1))


def test_is_active_without_next_date_is_inactive() -> None:
    assert not is_active(None, "monthly", None, D(2024, 1, 1))
    assert not is_active(D(2024, 1, 1), "other", None, D(2024, 1, 1))


# ----------------------------------------------------------------------------- property tests

_dates = st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    last=_dates,
    periodicity=st.sampled_from([*PERIODICITIES, "bi_weekly", "semi_monthly", "semi_yearly", "bi_monthly"]),
    days=st.floats(min_value=0.01, max_value=800, allow_nan=False),
    amount=st.floats(min_value=0.01, max_value=1e9, allow_nan=False),
)
def test_properties(last: dt.date, periodicity: str, days: float, amount: float) -> None:
    following = next_expected_date(last, periodicity, days)
    assert following is not None and following > last
    assert monthly_equivalent(amount, periodicity, days) > 0
    assert monthly_equivalent(amount, periodicity, None) > 0
    assert is_active(following, periodicity, days, last)  # the day of the last payment is always active


# ----------------------------------------------------------------------------- recurring_group_rows


def _counterparty(cid: str, name: str, website: str | None, kind: str = "organization") -> dict[str, Any]:
    return {"id": cid, "name": name, "website": website, "logo": None, "mccs": [], "type": kind}


NETFLIX = {
    "id": "g-netflix",
    "start_date": "2024-01-01",
    "end_date": "2024-04-01",
    "total_amount": 71.96,
    "average_amount": 17.99,
    "periodicity_in_days": 30.33,
    "periodicity": "monthly",
    "counterparty": _counterparty("cp-netflix", "Netflix", "netflix.com"),
    "categories": {"general": "entertainment"},
    "transaction_ids": ["n1", "n2", "n3", "n4"],
    "entry_type": "outgoing",
}
SALARY = {
    "id": "g-salary",
    "start_date": "2024-01-05",
    "end_date": "2024-04-12",
    "total_amount": 16000.0,
    "average_amount": 2000.0,
    "periodicity_in_days": 14.0,
    "periodicity": "bi_weekly",
    "counterparty": _counterparty("cp-acme", "Acme Corp", "acme.com"),
    "categories": {"general": "salary", "accounting": None},
    "transaction_ids": [f"s{i}" for i in range(8)],
    "entry_type": "incoming",
}
GYM_NO_ENTRY_TYPE = {
    "id": "g-gym",
    "start_date": "2023-01-10",
    "end_date": "2023-06-10",
    "total_amount": 240.0,
    "average_amount": 40.0,
    "periodicity_in_days": 30.4,
    "periodicity": "monthly",
    "counterparty": _counterparty("cp-gym", "PureGym", "puregym.com"),
    "categories": {"general": "gyms and fitness centers"},
    "transaction_ids": ["g1", "g2", "g3", "g4", "g5", "g6"],
}
BENEFIT_NO_ENTRY_TYPE = {
    "id": "g-ssa",
    "start_date": "2024-01-03",
    "end_date": "2024-04-03",
    "total_amount": 3600.0,
    "average_amount": 900.0,
    "periodicity_in_days": 30.4,
    "periodicity": "monthly",
    "counterparty": _counterparty("cp-ssa", "SSA TREAS 310", None),
    "categories": {"general": "Government Benefits"},
    "transaction_ids": ["b1", "b2", "b3", "b4"],
}
AS_OF = D(2024, 4, 20)


def test_recurring_group_rows_realistic() -> None:
    amounts = {"s5": 1900.0, "s6": 2100.0, "s7": 2300.0, "n1": 17.99}
    currencies = {**{f"s{i}": "USD" for i in range(8)}, "n1": "USD", "n2": "USD"}
    rows, links = recurring_group_rows(
        [NETFLIX, SALARY, GYM_NO_ENTRY_TYPE, BENEFIT_NO_ENTRY_TYPE],
        account_holder_id="ah-1",
        as_of=AS_OF,
        currency_by_tx=currencies,
        amounts_by_tx=amounts,
    )
    assert [r["group_id"] for r in rows] == ["g-netflix", "g-salary", "g-gym", "g-ssa"]
    assert all(set(r) == GROUP_ROW_KEYS for r in rows)
    netflix, salary, gym, ssa = rows

    assert netflix == {
        "group_id": "g-netflix",
        "account_holder_id": "ah-1",
        "start_date": D(2024, 1, 1),
        "end_date": D(2024, 4, 1),
        "total_amount": 71.96,
        "average_amount": 17.99,
        "periodicity": "monthly",
        "periodicity_in_days": 30.33,
        "counterparty_id": "cp-netflix",
        "counterparty_name": "Netflix",
        "counterparty_website": "netflix.com",
        "category_general": "entertainment",
        "category_accounting": None,
        "entry_type": "outgoing",
        "transaction_count": 4,
        "is_active": True,
        "next_expected_date": D(2024, 5, 1),
        "next_expected_amount": 17.99,  # only one known amount
        "monthly_amount": 17.99,
        "currency": "USD",
    }

    assert salary["periodicity"] == "bi-weekly"  # underscore spelling normalised
    assert salary["next_expected_date"] == D(2024, 4, 26)
    assert salary["next_expected_amount"] == 2100.0  # mean of the last 3 known amounts
    assert salary["monthly_amount"] == 4333.33
    assert salary["is_active"] is True
    assert salary["entry_type"] == "incoming"
    assert salary["currency"] == "USD"

    # Missing entry_type: unknown spending category -> None; benefits category -> incoming.
    assert gym["entry_type"] is None
    assert gym["is_active"] is False  # last payment June 2023, next expected July 2023
    assert gym["next_expected_date"] == D(2023, 7, 10)
    assert gym["next_expected_amount"] == 40.0  # no amounts known -> average_amount
    assert gym["currency"] is None
    assert ssa["entry_type"] == "incoming"

    assert len(links) == 4 + 8 + 6 + 4
    assert links[:2] == [
        {"group_id": "g-netflix", "account_holder_id": "ah-1", "transaction_id": "n1", "position": 0},
        {"group_id": "g-netflix", "account_holder_id": "ah-1", "transaction_id": "n2", "position": 1},
    ]
    assert [link["position"] for link in links if link["group_id"] == "g-salary"] == list(range(8))


def test_recurring_group_rows_entry_type_inference_from_signed_amounts_and_transfers() -> None:
    base = {**GYM_NO_ENTRY_TYPE, "total_amount": -240.0, "average_amount": -40.0}
    transfer_in = {**GYM_NO_ENTRY_TYPE, "id": "g-t", "categories": {"general": "transfers in"}}
    transfer_out = {**GYM_NO_ENTRY_TYPE, "id": "g-o", "categories": {"general": "Transfers Out"}}
    explicit = {**GYM_NO_ENTRY_TYPE, "id": "g-x", "entry_type": "INCOMING"}
    rows, _ = recurring_group_rows(
        [base, transfer_in, transfer_out, explicit], account_holder_id="a", as_of=AS_OF
    )
    assert [r["entry_type"] for r in rows] == ["outgoing", "incoming", "outgoing", "incoming"]
    assert rows[0]["monthly_amount"] == 40.0  # monthly amount is a magnitude


def test_recurring_group_rows_majority_currency_and_empty_input() -> None:
    rows, _ = recurring_group_rows(
        [NETFLIX], account_holder_id="a", as_of=AS_OF, currency_by_tx={"n1": "EUR", "n2": "USD", "n3": "USD"}
    )
    assert rows[0]["currency"] == "USD"
    assert recurring_group_rows([], account_holder_id="a", as_of=AS_OF) == ([], [])


# ----------------------------------------------------------------------------- income_source_type


@pytest.mark.parametrize(
    ("category", "name", "intermediaries", "cp_type", "expected"),
    [
        ("salary", None, None, None, "salary"),
        ("Salaries", None, None, None, "salary"),
        ("Payroll", None, None, None, "salary"),
        ("earned income", None, None, None, "salary"),
        ("wages", None, None, None, "salary"),
        ("benefits", None, None, None, "benefits"),
        ("Government Benefits", None, None, None, "benefits"),
        ("unemployment", None, None, None, "benefits"),
        ("rent", None, None, None, "rental"),
        ("Rental Income", None, None, None, "rental"),
        ("pension", None, None, None, "pension"),
        ("retirement income", None, None, None, "pension"),
        ("interest", None, None, None, "investment"),
        ("Dividends", None, None, None, "investment"),
        ("investment income", None, None, None, "investment"),
        ("transfers in", None, None, None, "transfers"),
        ("refunds", None, None, None, "refunds"),
        ("tax refund", None, None, None, "refunds"),
        (None, "ADP PAYROLL 1234", None, None, "salary"),
        ("transfers in", "Acme", ["Gusto"], None, "salary"),
        (None, "Acme Inc", ("Paychex",), None, "salary"),
        ("other income", "DWP UC", None, None, "benefits"),
        (None, "NYS DOL UNEMPLOYMENT", None, None, "benefits"),
        (None, "SSA TREAS 310", None, None, "benefits"),
        (None, "Jane Doe", None, "person", "transfers"),
        (None, "Massachusetts Hospital", None, "organization", "other"),
        ("salary", "Jane Doe", None, "person", "salary"),
        (None, "ADAPTIVE LLC", None, None, "other"),  # 'adp' matches whole words only
    ],
)
def test_income_source_type(
    category: str | None, name: str | None, intermediaries: Any, cp_type: str | None, expected: str
) -> None:
    assert income_source_type(category, name, intermediaries, cp_type) == expected


# ----------------------------------------------------------------------------- income_source_rows

TX_COLUMNS = list(INCOME_TRANSACTION_COLUMNS)


def _tx(
    tid: str, holder: str, day: dt.date, amount: float, name: str | None, cid: str | None, **kw: Any
) -> dict:
    return {
        "transaction_id": tid,
        "account_holder_id": holder,
        "date": day,
        "amount": amount,
        "currency": kw.get("currency", "USD"),
        "counterparty_name": name,
        "counterparty_id": cid,
        "counterparty_website": kw.get("website"),
        "counterparty_type": kw.get("cp_type", "organization"),
        "category_general": kw.get("cat"),
        "intermediary_names": kw.get("via", []),
    }


def _holder_groups(holder: str) -> list[dict[str, Any]]:
    rows, _ = recurring_group_rows(
        [NETFLIX, SALARY, BENEFIT_NO_ENTRY_TYPE],
        account_holder_id=holder,
        as_of=AS_OF,
        currency_by_tx={f"s{i}": "USD" for i in range(8)},
    )
    return rows


def _incoming(h: str) -> pd.DataFrame:
    rows = [
        # salary group's transactions (covered by the group), one with a payroll intermediary
        _tx("s7", h, D(2024, 4, 12), 2000.0, "Acme Corp", "cp-acme", cat="salary", via=["ADP"]),
        # a one-off bonus from the same employer: belongs to the recurring source, no second source
        _tx("bonus", h, D(2024, 3, 29), 500.0, "Acme Corp", "cp-acme", cat="salary"),
        # irregular contract pay without a group, classified through the payroll processor
        _tx("c1", h, D(2024, 1, 20), 800.0, "Initech", "cp-ini", cat="transfers in", via=["Gusto"]),
        _tx("c2", h, D(2024, 3, 10), 1200.0, "Initech", "cp-ini", cat="transfers in", via=["Gusto"]),
        # refunds, even repeated, outside a group are not income
        _tx("r1", h, D(2024, 2, 2), 35.0, "Amazon", "cp-amzn", cat="refunds"),
        _tx("r2", h, D(2024, 3, 2), 12.0, "Amazon", "cp-amzn", cat="refunds"),
        # a one-off transfer from a person is not income either
        _tx("p1", h, D(2024, 2, 14), 50.0, "Jane Doe", None, cat="transfers in", cp_type="person"),
        # a single unemployment payment: needs >= 2 occurrences
        _tx("u1", h, D(2024, 2, 1), 300.0, "NYS DOL", "cp-dol", cat="unemployment"),
    ]
    return pd.DataFrame(rows, columns=TX_COLUMNS)


def test_income_source_rows_single_holder() -> None:
    sources = income_source_rows(_holder_groups("ah-1"), _incoming("ah-1"), as_of=AS_OF)
    assert all(set(s) == SOURCE_ROW_KEYS for s in sources)
    by_type = {s["source_type"]: s for s in sources}
    assert sorted(by_type) == ["benefits", "salary"]
    assert len(sources) == 3  # recurring salary, recurring benefits, irregular salary (Initech)

    salary = next(s for s in sources if s["source_key"] == "g-salary")
    assert salary == {
        "account_holder_id": "ah-1",
        "source_key": "g-salary",
        "source_name": "Acme Corp",
        "source_type": "salary",
        "pay_frequency": "bi-weekly",
        "average_amount": 2000.0,
        "first_date": D(2024, 1, 5),
        "last_date": D(2024, 4, 12),
        "next_expected_date": D(2024, 4, 26),
        "monthly_income": 4333.33,
        "transaction_count": 8,
        "currency": "USD",
        "is_active": True,
    }

    benefits = by_type["benefits"]  # category 'Government Benefits', entry type inferred as incoming
    assert benefits["source_key"] == "g-ssa"
    assert benefits["pay_frequency"] == "monthly"
    assert benefits["monthly_income"] == 900.0
    assert benefits["next_expected_date"] == D(2024, 5, 3)

    irregular = next(s for s in sources if s["pay_frequency"] == "irregular")
    assert irregular["source_key"].startswith("irregular-")
    assert irregular["source_name"] == "Initech"
    assert irregular["source_type"] == "salary"
    assert irregular["next_expected_date"] is None
    assert irregular["first_date"] == D(2024, 1, 20)
    assert irregular["last_date"] == D(2024, 3, 10)
    assert irregular["transaction_count"] == 2
    assert irregular["average_amount"] == 1000.0
    assert irregular["monthly_income"] == round(2000.0 / 3, 2)  # Jan..Mar = 3 observed months
    assert irregular["currency"] == "USD"
    assert irregular["is_active"] is True  # mean gap 50 days: next ~Apr 29 + grace


def test_income_source_types_from_keywords_on_group() -> None:
    group = {
        **BENEFIT_NO_ENTRY_TYPE,
        "id": "g-dwp",
        "counterparty": _counterparty("cp-dwp", "DWP UC", None),
        "categories": {"general": "transfers in"},
        "entry_type": "incoming",
    }
    groups, _ = recurring_group_rows([group], account_holder_id="ah-uk", as_of=AS_OF)
    sources = income_source_rows(groups, pd.DataFrame(columns=TX_COLUMNS), as_of=AS_OF)
    assert [(s["source_key"], s["source_type"]) for s in sources] == [("g-dwp", "benefits")]


def test_income_source_rows_keyword_from_intermediary_of_group_transactions() -> None:
    group = {**SALARY, "id": "g-x", "categories": {"general": "transfers in"}}
    groups, _ = recurring_group_rows([group], account_holder_id="ah-1", as_of=AS_OF)
    tx = _tx("s7", "ah-1", D(2024, 4, 12), 2000.0, "Acme Corp", "cp-acme", via=["Paychex"])
    sources = income_source_rows(groups, pd.DataFrame([tx], columns=TX_COLUMNS), as_of=AS_OF)
    assert [s["source_type"] for s in sources] == ["salary"]


def test_income_source_rows_recurring_refund_kept_and_outgoing_groups_ignored() -> None:
    refund_group = {
        **NETFLIX,
        "id": "g-refund",
        "entry_type": "incoming",
        "categories": {"general": "refunds"},
        "counterparty": _counterparty("cp-ins", "Acme Insurance", None),
    }
    groups, _ = recurring_group_rows([NETFLIX, refund_group], account_holder_id="ah-1", as_of=AS_OF)
    sources = income_source_rows(groups, None, as_of=AS_OF)
    assert [(s["source_key"], s["source_type"]) for s in sources] == [("g-refund", "refunds")]


def test_income_source_rows_two_holders_kept_apart() -> None:
    groups = _holder_groups("ah-1") + [g for g in _holder_groups("ah-2") if g["group_id"] != "g-ssa"]
    frame = pd.concat([_incoming("ah-1"), _incoming("ah-2")], ignore_index=True)
    sources = income_source_rows(groups, frame, as_of=AS_OF)
    ah1 = [s for s in sources if s["account_holder_id"] == "ah-1"]
    ah2 = [s for s in sources if s["account_holder_id"] == "ah-2"]
    assert len(ah1) == 3 and len(ah2) == 2
    assert {s["source_type"] for s in ah2} == {"salary"}
    irregular = [s for s in sources if s["pay_frequency"] == "irregular"]
    assert len(irregular) == 2
    assert irregular[0]["source_key"] != irregular[1]["source_key"]  # key includes the holder
    assert all(s["transaction_count"] == 2 for s in irregular)  # payments of one holder only
    assert [s["account_holder_id"] for s in sources] == sorted(s["account_holder_id"] for s in sources)


def test_income_source_rows_deterministic() -> None:
    groups = _holder_groups("ah-1") + _holder_groups("ah-2")
    frame = pd.concat([_incoming("ah-1"), _incoming("ah-2")], ignore_index=True)
    first = income_source_rows(groups, frame, as_of=AS_OF)
    shuffled = income_source_rows(list(reversed(groups)), frame.sample(frac=1, random_state=7), as_of=AS_OF)
    assert first == shuffled
    assert first == income_source_rows(groups, frame.copy(), as_of=AS_OF)


def test_irregular_benefits_inactive_and_robust_to_missing_columns() -> None:
    frame = pd.DataFrame(
        {
            "transaction_id": ["u1", "u2", "u3"],
            "account_holder_id": ["ah-9"] * 3,
            "date": ["2023-01-05", "2023-02-05", "2023-03-05"],
            "amount": [300.0, 300.0, 300.0],
            "currency": ["GBP"] * 3,
            "counterparty_name": ["DWP", "DWP", "DWP"],
            "category_general": [None, float("nan"), "benefits"],
        }
    )
    [source] = income_source_rows([], frame, as_of=AS_OF)
    assert source["source_type"] == "benefits"
    assert source["pay_frequency"] == "irregular"
    assert source["monthly_income"] == 300.0
    assert source["currency"] == "GBP"
    assert source["is_active"] is False  # last payment more than a year before as_of
    assert income_source_rows([], pd.DataFrame(columns=TX_COLUMNS), as_of=AS_OF) == []


def test_irregular_source_with_identical_payments_on_one_day() -> None:
    same = [_tx(f"d{i}", "ah-1", D(2024, 4, 1), 250.0, "Gusto", None, cat="payroll") for i in range(2)]
    [source] = income_source_rows([], pd.DataFrame(same, columns=TX_COLUMNS), as_of=AS_OF)
    assert (source["transaction_count"], source["monthly_income"], source["is_active"]) == (2, 500.0, True)
