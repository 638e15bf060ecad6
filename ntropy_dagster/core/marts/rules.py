"""Pure derivation logic for the analytic marts (recurring groups and income sources).

Ntropy v3 returns recurrence groups (``POST /v3/account_holders/{id}/recurring_groups``) but, unlike v2,
no ``is_active`` / next-expected-payment fields and no income endpoint. This module derives them from the
groups and the enriched incoming transactions. It is plain Python (pandas only for the transactions frame
handed in): no dagster, no sqlalchemy, no HTTP, so the Dagster assets can call it directly.

Rules (all dates are ``datetime.date``, all money rounded to 2 dp in the output rows):

* **Periodicity** is normalised to the hyphenated spelling of SDK 5.7.0 (``bi_weekly`` -> ``bi-weekly``);
  unknown values become ``other``.
* **Next expected date** is the date after the group's last transaction, calendar-aware (see
  :func:`next_expected_date`). It is not rolled forward past ``as_of``: for an inactive group it stays in
  the past, which is what makes the group inactive.
* **Active**: ``as_of <= next_expected_date + grace`` with ``grace = max(3, ceil(0.25 * period_days))``
  days, i.e. a payment may be up to a quarter period late (at least 3 days) before the group is inactive.
* **Monthly equivalent**: amount x occurrences per month (weekly 52/12, bi-weekly 26/12, daily 365/12, ...).
* **Income sources**: incoming recurring groups become recurring sources; incoming transactions outside any
  incoming group that are classified salary, benefits or pension and come >= 2 times from one counterparty
  become ``irregular`` sources. Refunds and transfers only count when they recur (as a group).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "INCOME_TRANSACTION_COLUMNS",
    "PERIODICITIES",
    "PERIOD_DAYS",
    "SOURCE_TYPES",
    "grace_days",
    "income_source_rows",
    "income_source_type",
    "is_active",
    "monthly_equivalent",
    "next_expected_date",
    "normalise_periodicity",
    "recurring_group_rows",
]

#: Nominal length in days of one period, per (hyphenated) periodicity. ``other`` has no nominal length:
#: the group's own ``periodicity_in_days`` is used instead.
PERIOD_DAYS: dict[str, float] = {
    "daily": 1.0,
    "weekly": 7.0,
    "bi-weekly": 14.0,
    "semi-monthly": 365.25 / 24,
    "monthly": 365.25 / 12,
    "bi-monthly": 365.25 / 6,
    "quarterly": 365.25 / 4,
    "semi-yearly": 365.25 / 2,
    "yearly": 365.25,
}

#: All periodicities the API may return (SDK 5.7.0 spelling).
PERIODICITIES: tuple[str, ...] = (*PERIOD_DAYS, "other")

# Occurrences per month. Weekly-based schedules use 52 weeks a year (weekly 100 -> 100 * 52 / 12).
_PER_MONTH: dict[str, float] = {
    "daily": 365 / 12,
    "weekly": 52 / 12,
    "bi-weekly": 26 / 12,
    "semi-monthly": 2.0,
    "monthly": 1.0,
    "bi-monthly": 1 / 2,
    "quarterly": 1 / 3,
    "semi-yearly": 1 / 6,
    "yearly": 1 / 12,
}

_MONTH_STEPS: dict[str, int] = {"monthly": 1, "bi-monthly": 2, "quarterly": 3, "semi-yearly": 6, "yearly": 12}
_DAY_STEPS: dict[str, int] = {"daily": 1, "weekly": 7, "bi-weekly": 14}

# Spellings seen in older SDKs / v2 docs / hand-written data, after lowercasing and '_'/' ' -> '-'.
_PERIODICITY_ALIASES: dict[str, str] = {
    "biweekly": "bi-weekly",
    "fortnightly": "bi-weekly",
    "semimonthly": "semi-monthly",
    "twice-monthly": "semi-monthly",
    "bimonthly": "bi-monthly",
    "semiyearly": "semi-yearly",
    "semi-annual": "semi-yearly",
    "semi-annually": "semi-yearly",
    "half-yearly": "semi-yearly",
    "annual": "yearly",
    "annually": "yearly",
}

SOURCE_TYPES: tuple[str, ...] = (
    "salary",
    "benefits",
    "rental",
    "pension",
    "investment",
    "transfers",
    "refunds",
    "other",
)

# Source types that may form an ``irregular`` (non-recurring) income source.
_IRREGULAR_TYPES: tuple[str, ...] = ("salary", "benefits", "pension")

# Category label phrases -> source type, checked in this order on the normalised label (lowercase, words
# singularised), so "tax refunds" is a refund and "retirement benefits" a pension.
_CATEGORY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("refunds", ("refund", "reimbursement", "chargeback")),
    ("salary", ("salary", "payroll", "earned income", "wage", "paycheck", "employment income")),
    ("pension", ("pension", "retirement", "annuity")),
    ("benefits", ("benefit", "unemployment", "social security", "welfare", "government")),
    ("rental", ("rent", "rental", "rental income")),
    ("investment", ("interest", "dividend", "investment", "capital gain")),
    ("transfers", ("transfer",)),
)

# Keyword fallbacks on the counterparty / intermediary names (payroll processors, benefit payers).
_NAME_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("salary", ("adp", "gusto", "paychex", "payroll", "salary", "wage", "rippling")),
    ("benefits", ("ssa", "dwp", "unemployment", "social security", "benefit")),
    ("pension", ("pension", "retirement", "annuity")),
)


# --------------------------------------------------------------------------------------------- dates


def _to_date(value: Any) -> dt.date | None:
    """Coerce an API/pandas date value (``date``, ``datetime``, Timestamp, ISO string) to ``date``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # includes pandas.Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    if not text or text in {"NaT", "nan", "None"}:
        return None
    return dt.date.fromisoformat(text[:10])


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the end of the target month."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def _semi_monthly_next(last: dt.date) -> dt.date:
    """Next payday of a twice-a-month schedule.

    Rule: a payday in the first half of the month (day <= 15) is followed by the second payday of the same
    month, 15 days later (clamped to the month end; the 15th is followed by the month's last day, the common
    "15th and last day" schedule). A payday in the second half (day > 15) is followed by the next month's
    first payday: the 15th if ``last`` was the month's last day, otherwise ``day - 15`` (16th -> 1st).
    For a "1st and 15th" schedule this is off by a day or two, well within the activity grace.
    """
    month_end = calendar.monthrange(last.year, last.month)[1]
    if last.day <= 15:
        day = month_end if last.day == 15 else min(last.day + 15, month_end)
        return last.replace(day=day)
    first_of_next = _add_months(last.replace(day=1), 1)
    return first_of_next.replace(day=15 if last.day == month_end else last.day - 15)


def normalise_periodicity(value: Any) -> str:
    """Normalise a periodicity to the hyphenated SDK 5.7.0 spelling; unknown or missing -> ``"other"``."""
    if value is None:
        return "other"
    text = re.sub(r"[\s_]+", "-", str(getattr(value, "value", value)).strip().lower())
    text = _PERIODICITY_ALIASES.get(text, text)
    return text if text in PERIODICITIES else "other"


def _period_days(periodicity: str, periodicity_in_days: float | None) -> float | None:
    """Length of one period in days: nominal for known periodicities, the group's estimate for ``other``."""
    nominal = PERIOD_DAYS.get(periodicity)
    if nominal is not None:
        return nominal
    if periodicity_in_days is None or not math.isfinite(periodicity_in_days) or periodicity_in_days <= 0:
        return None
    return float(periodicity_in_days)


def next_expected_date(last: dt.date, periodicity: str, periodicity_in_days: float | None) -> dt.date | None:
    """The date the payment after ``last`` is expected, calendar-aware.

    monthly / bi-monthly / quarterly / semi-yearly / yearly add 1 / 2 / 3 / 6 / 12 calendar months, clamped
    to the month end (Jan 31 -> Feb 28/29, Feb 29 -> Feb 28 next year); daily / weekly / bi-weekly add 1 / 7
    / 14 days; semi-monthly follows :func:`_semi_monthly_next`; ``other`` (and unknown spellings) add
    ``round(periodicity_in_days)`` days (at least 1), or return ``None`` without a usable estimate.
    """
    periodicity = normalise_periodicity(periodicity)
    if periodicity in _MONTH_STEPS:
        return _add_months(last, _MONTH_STEPS[periodicity])
    if periodicity in _DAY_STEPS:
        return last + dt.timedelta(days=_DAY_STEPS[periodicity])
    if periodicity == "semi-monthly":
        return _semi_monthly_next(last)
    days = _period_days(periodicity, periodicity_in_days)
    if days is None:
        return None
    return last + dt.timedelta(days=max(1, round(days)))


def monthly_equivalent(amount: float, periodicity: str, periodicity_in_days: float | None) -> float:
    """``amount`` paid once per period, expressed per month (unrounded).

    weekly 100 -> 100 * 52 / 12; monthly 10 -> 10; yearly 120 -> 10. ``other`` uses
    ``365.25 / 12 / periodicity_in_days`` occurrences a month. Assumption: an ``other`` group without a
    usable ``periodicity_in_days`` counts once a month (the API always sends the estimate in practice).
    """
    periodicity = normalise_periodicity(periodicity)
    per_month = _PER_MONTH.get(periodicity)
    if per_month is None:
        days = _period_days(periodicity, periodicity_in_days)
        per_month = 1.0 if days is None else PERIOD_DAYS["monthly"] / days
    return float(amount) * per_month


def grace_days(period_days: float) -> int:
    """Days a payment may be late before its source counts as inactive: ``max(3, ceil(period / 4))``."""
    return max(3, math.ceil(0.25 * period_days))


def is_active(
    next_expected: dt.date | None, periodicity: str, periodicity_in_days: float | None, as_of: dt.date
) -> bool:
    """Whether a recurring series is still running on ``as_of``: ``as_of <= next_expected + grace``.

    Assumption: a series whose next date cannot be derived (``other`` without a period estimate) is inactive.
    """
    days = _period_days(normalise_periodicity(periodicity), periodicity_in_days)
    if next_expected is None or days is None:
        return False
    return as_of <= next_expected + dt.timedelta(days=grace_days(days))


# ------------------------------------------------------------------------------------ classification


def _words(text: str) -> str:
    """Lowercase, keep letters/digits, singularise plural words: ``"Government Benefits"`` -> ``"government
    benefit"``, padded with spaces so phrases can be matched on word boundaries."""
    return f" {' '.join(_singular(t) for t in re.findall(r'[a-z0-9]+', text.lower()))} "


def _singular(word: str) -> str:
    """Crude English singular: salaries -> salary, benefits -> benefit; keeps 'ss' words and short ones."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _match(text: str, rules: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    words = _words(text)
    for source_type, phrases in rules:
        if any(f" {_words(p).strip()} " in words for p in phrases):
            return source_type
    return None


@lru_cache(maxsize=4096)
def _classify(category: str, names: tuple[str, ...], counterparty_type: str) -> str:
    by_category = _match(category, _CATEGORY_RULES) if category else None
    if by_category not in (None, "transfers"):
        return by_category
    for name in names:
        by_name = _match(name, _NAME_RULES)
        if by_name is not None:
            return by_name
    if by_category == "transfers" or counterparty_type == "person":
        return "transfers"
    return "other"


def income_source_type(
    category_general: str | None,
    counterparty_name: str | None = None,
    intermediary_names: Iterable[str] | None = None,
    counterparty_type: str | None = None,
) -> str:
    """Classify an income source into one of :data:`SOURCE_TYPES`.

    The category label decides first (robust to case and plurals: "Salaries", "payroll", "earned income",
    "government benefits", "rental income", "dividends", "transfers in", "refunds", ...). If it says nothing
    or only "transfer", keywords in the counterparty / intermediary names decide (ADP, Gusto, Paychex,
    PAYROLL, SALARY -> salary; SSA, DWP, UNEMPLOYMENT -> benefits; pension). A transfer, or a person
    counterparty, is ``transfers``; anything else is ``other``.
    """
    names = tuple(n for n in (counterparty_name, *(intermediary_names or ())) if isinstance(n, str) and n)
    return _classify(category_general or "", names, (counterparty_type or "").lower())


def _infer_entry_type(group: Mapping[str, Any], amounts: Sequence[float]) -> str | None:
    """Entry type of a group missing ``entry_type``.

    Assumption: Ntropy amounts are non-negative, so only negative amounts (a signed source) prove
    ``outgoing``; otherwise an income-like category (salary, benefits, pension, rental, investment, refunds,
    "... income", "transfers in") means ``incoming`` and "transfers out" means ``outgoing``; else ``None``.
    """
    signed = [a for a in (group.get("total_amount"), group.get("average_amount"), *amounts) if a is not None]
    if signed and all(float(a) < 0 for a in signed):
        return "outgoing"
    label = str((group.get("categories") or {}).get("general") or "")
    words = _words(label)
    if " out " in words:
        return "outgoing"
    kind = _match(label, _CATEGORY_RULES)
    if kind not in (None, "transfers") or " income " in words or (kind == "transfers" and " in " in words):
        return "incoming"
    return None


# ----------------------------------------------------------------------------------- recurring groups


def _money(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, 2)


def _most_common(values: Iterable[Any]) -> Any:
    """Most frequent non-empty value; ties go to the smallest (deterministic). ``None`` if there is none."""
    counts = Counter(v for v in values if v is not None and v == v and v != "")
    if not counts:
        return None
    top = max(counts.values())
    return min(v for v, c in counts.items() if c == top)


def recurring_group_rows(
    groups: Sequence[Mapping[str, Any]],
    *,
    account_holder_id: str,
    as_of: dt.date,
    currency_by_tx: Mapping[str, str] | None = None,
    amounts_by_tx: Mapping[str, float] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Flatten one account holder's RecurrenceGroups into mart rows, with the derived v2-style fields.

    Returns ``(group_rows, group_transaction_rows)`` in input order. ``group_rows`` carry ``is_active``,
    ``next_expected_date``, ``next_expected_amount`` and ``monthly_amount`` (see the module docstring);
    ``group_transaction_rows`` link each transaction id to its group with its 0-based ``position``.

    * ``next_expected_amount``: the mean absolute amount of the group's last 3 transactions found in
      ``amounts_by_tx``, else ``average_amount``. Assumption: ``transaction_ids`` are in date order
      (oldest first), as the API lists them.
    * ``currency``: the most common currency of the group's transactions in ``currency_by_tx`` (ties: the
      alphabetically first), else a ``currency`` key on the group, else ``None``.
    * ``entry_type`` missing: inferred by :func:`_infer_entry_type`, possibly ``None``.
    """
    currency_by_tx = currency_by_tx or {}
    amounts_by_tx = amounts_by_tx or {}
    group_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    for group in groups:
        group_id = str(group["id"])
        tx_ids = [str(t) for t in group.get("transaction_ids") or ()]
        periodicity = normalise_periodicity(group.get("periodicity"))
        raw_days = group.get("periodicity_in_days")
        days = None if raw_days is None else float(raw_days)
        start, end = _to_date(group.get("start_date")), _to_date(group.get("end_date"))
        average = _money(group.get("average_amount"))
        amounts = [float(amounts_by_tx[t]) for t in tx_ids if t in amounts_by_tx]
        next_date = next_expected_date(end, periodicity, days) if end is not None else None
        next_amount = _money(sum(abs(a) for a in amounts[-3:]) / len(amounts[-3:])) if amounts else average
        counterparty = group.get("counterparty") or {}
        categories = group.get("categories") or {}
        entry_type = group.get("entry_type")
        entry_type = str(entry_type).lower() if entry_type else _infer_entry_type(group, amounts)
        currency = _most_common(currency_by_tx.get(t) for t in tx_ids) or group.get("currency")
        group_rows.append(
            {
                "group_id": group_id,
                "account_holder_id": account_holder_id,
                "start_date": start,
                "end_date": end,
                "total_amount": _money(group.get("total_amount")),
                "average_amount": average,
                "periodicity": periodicity,
                "periodicity_in_days": _money(days),
                "counterparty_id": counterparty.get("id"),
                "counterparty_name": counterparty.get("name"),
                "counterparty_website": counterparty.get("website"),
                "category_general": categories.get("general"),
                "category_accounting": categories.get("accounting"),
                "entry_type": entry_type,
                "transaction_count": len(tx_ids),
                "is_active": is_active(next_date, periodicity, days, as_of),
                "next_expected_date": next_date,
                "next_expected_amount": next_amount,
                "monthly_amount": round(monthly_equivalent(abs(average or 0.0), periodicity, days), 2),
                "currency": currency,
            }
        )
        link_rows.extend(
            {"group_id": group_id, "account_holder_id": account_holder_id, "transaction_id": t, "position": i}
            for i, t in enumerate(tx_ids)
        )
    return group_rows, link_rows


# ------------------------------------------------------------------------------------ income sources

#: Columns :func:`income_source_rows` reads from the incoming-transactions frame (missing ones: empty).
INCOME_TRANSACTION_COLUMNS: tuple[str, ...] = (
    "transaction_id",
    "account_holder_id",
    "date",
    "amount",
    "currency",
    "counterparty_name",
    "counterparty_id",
    "counterparty_website",
    "counterparty_type",
    "category_general",
    "intermediary_names",
)


def _text(value: Any) -> str | None:
    """A non-empty string, or ``None`` for missing values (None, NaN, empty)."""
    return value if isinstance(value, str) and value.strip() else None


def _names(value: Any) -> tuple[str, ...]:
    """Intermediary names from a list/array cell, a single string, or nothing (None/NaN)."""
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if value is None or isinstance(value, float):
        return ()
    return tuple(n for n in value if _text(n))


@lru_cache(maxsize=65536)
def _name_key(name: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", name.lower()))


def _counterparty_keys(counterparty_id: Any, name: Any) -> list[str]:
    """Keys a counterparty is recognised by: its id and its normalised name (either may be missing)."""
    keys: list[str] = []
    if _text(counterparty_id):
        keys.append(f"id:{counterparty_id}")
    if _text(name) and _name_key(name):
        keys.append(f"name:{_name_key(name)}")
    return keys


def _payer_key(tx: Mapping[str, Any]) -> str | None:
    """The key an irregular source is grouped by: counterparty id, else name, website, first intermediary."""
    keys: list[str] = tx["keys"]
    if keys:
        return keys[0]
    if _text(tx.get("counterparty_website")):
        return f"web:{tx['counterparty_website'].lower()}"
    intermediaries = _names(tx.get("intermediary_names"))
    return f"via:{_name_key(intermediaries[0])}" if intermediaries else None


def _transaction_records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Rows of the frame that have an account holder, as dicts with their counterparty ``keys`` added.

    Built from whole columns (``tolist``), which is several times faster than ``to_dict("records")``.
    """
    if frame is None or len(frame) == 0:
        return []
    missing = [None] * len(frame)
    columns = [frame[c].tolist() if c in frame.columns else missing for c in INCOME_TRANSACTION_COLUMNS]
    records = []
    for values in zip(*columns, strict=True):
        tx = dict(zip(INCOME_TRANSACTION_COLUMNS, values, strict=True))
        if _text(tx["account_holder_id"]):
            tx["keys"] = _counterparty_keys(tx["counterparty_id"], tx["counterparty_name"])
            records.append(tx)
    return records


def _tx_source_type(tx: Mapping[str, Any]) -> str:
    return income_source_type(
        _text(tx.get("category_general")),
        _text(tx.get("counterparty_name")),
        _names(tx.get("intermediary_names")),
        _text(tx.get("counterparty_type")),
    )


def _recurring_source(group: Mapping[str, Any], matched: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    intermediaries = [n for tx in matched for n in _names(tx.get("intermediary_names"))]
    source_type = income_source_type(
        group.get("category_general"),
        group.get("counterparty_name"),
        intermediaries,
        _most_common(_text(tx.get("counterparty_type")) for tx in matched),
    )
    average = _money(group.get("average_amount"))
    return {
        "account_holder_id": group["account_holder_id"],
        "source_key": str(group["group_id"]),
        "source_name": group.get("counterparty_name") or group.get("counterparty_website"),
        "source_type": source_type,
        "pay_frequency": normalise_periodicity(group.get("periodicity")),
        "average_amount": None if average is None else abs(average),
        "first_date": _to_date(group.get("start_date")),
        "last_date": _to_date(group.get("end_date")),
        "next_expected_date": _to_date(group.get("next_expected_date")),
        "monthly_income": _money(group.get("monthly_amount")),
        "transaction_count": int(group.get("transaction_count") or 0),
        "currency": group.get("currency"),
        "is_active": bool(group.get("is_active")),
    }


def _irregular_source(
    holder: str, payer: str, source_type: str, txs: Sequence[Mapping[str, Any]], as_of: dt.date
) -> dict[str, Any] | None:
    """An ``irregular`` source from >= 2 dated, non-recurring payments of one payer.

    ``monthly_income`` = total received / calendar months from the first to the last payment's month
    (inclusive), so two payments in January and March count over 3 months. Activity: the mean gap between
    payments (at least 30 days) is treated as the period, with the usual grace (see :func:`is_active`).
    """
    dated = [
        (d, abs(float(tx["amount"])), tx)
        for tx in txs
        if (d := _to_date(tx.get("date"))) is not None and _money(tx.get("amount")) is not None
    ]
    dated.sort(key=lambda item: item[:2])  # never compares the tx dicts
    if len(dated) < 2:
        return None
    first, last = dated[0][0], dated[-1][0]
    total = sum(amount for _, amount, _ in dated)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    period = max((last - first).days / (len(dated) - 1), 30.0)
    payments = [tx for _, _, tx in dated]
    name = _most_common(_text(tx.get("counterparty_name")) for tx in payments) or _most_common(
        _text(tx.get("counterparty_website")) for tx in payments
    )
    digest = hashlib.sha1(f"{holder}\x1f{payer}".encode()).hexdigest()[:16]
    return {
        "account_holder_id": holder,
        "source_key": f"irregular-{digest}",
        "source_name": name or payer.split(":", 1)[1],
        "source_type": source_type,
        "pay_frequency": "irregular",
        "average_amount": _money(total / len(dated)),
        "first_date": first,
        "last_date": last,
        "next_expected_date": None,
        "monthly_income": _money(total / months),
        "transaction_count": len(dated),
        "currency": _most_common(_text(tx.get("currency")) for tx in payments),
        "is_active": is_active(next_expected_date(last, "other", period), "other", period, as_of),
    }


def income_source_rows(
    group_rows: Sequence[Mapping[str, Any]], incoming_transactions: pd.DataFrame | None, *, as_of: dt.date
) -> list[dict[str, Any]]:
    """Income sources per account holder, sorted by ``(account_holder_id, source_key)``.

    * Every ``incoming`` group row (from :func:`recurring_group_rows`) is a recurring source keyed by its
      group id, typed by :func:`income_source_type` on its category and counterparty, with the keyword
      fallback also looking at the intermediaries / counterparty type of the holder's incoming transactions
      from the same counterparty. Recurring refunds and transfers are kept (typed as such).
    * Incoming transactions whose counterparty (id or normalised name) is not that of an incoming group of
      the same holder are grouped per holder and payer; a payer with >= 2 payments classified salary,
      benefits or pension becomes an ``irregular`` source (keyed by a hash of holder + payer) of the type
      most of its payments have. One-off transfers, refunds, interest etc. outside groups are not sources.
      Assumption: one-off payments from a counterparty that already has an incoming group belong to that
      source (e.g. a bonus from the employer) and do not form a second, irregular source.
    """
    txs = _transaction_records(incoming_transactions)
    by_counterparty: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for tx in txs:
        for key in tx["keys"]:
            by_counterparty[(tx["account_holder_id"], key)].append(tx)

    rows: list[dict[str, Any]] = []
    covered: set[tuple[str, str]] = set()
    for group in group_rows:
        if group.get("entry_type") != "incoming":
            continue
        holder = group["account_holder_id"]
        keys = [
            (holder, k)
            for k in _counterparty_keys(group.get("counterparty_id"), group.get("counterparty_name"))
        ]
        covered.update(keys)
        matched = list({id(tx): tx for key in keys for tx in by_counterparty.get(key, ())}.values())
        rows.append(_recurring_source(group, matched))

    payers: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for tx in txs:
        holder = tx["account_holder_id"]
        payer = _payer_key(tx)
        if payer is None or any((holder, k) in covered for k in tx["keys"]):
            continue
        source_type = _tx_source_type(tx)
        if source_type in _IRREGULAR_TYPES:
            payers[(holder, payer)][source_type].append(tx)
    for (holder, payer), by_type in payers.items():
        source_type = max(by_type, key=lambda t: (len(by_type[t]), -_IRREGULAR_TYPES.index(t)))
        row = _irregular_source(holder, payer, source_type, by_type[source_type], as_of)
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda r: (r["account_holder_id"], r["source_key"]))
    return rows
