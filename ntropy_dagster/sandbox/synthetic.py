"""Deterministic synthetic raw bank transactions, for the example project, tests and benchmarks.

Every account holder has a life of its own that repeats across days: a salary (bi-weekly or monthly),
rent, streaming subscriptions, a phone bill, and everyday purchases at real merchants written the
way banks write them (processor prefixes, store numbers, cities). The same (day, seed) always gives
the same rows, so daily partitions can be re-generated for backfills and tests.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ntropy_dagster.core.validation import REQUIRED_COLUMNS

RAW_COLUMNS = (*REQUIRED_COLUMNS, "account_holder_id", "account_holder_type")

EVERYDAY_PURCHASES: Sequence[tuple[str, float, float]] = (
    ("SQ *STARBUCKS 10 UNION SQ NEW YORK NY", 3.5, 9.0),
    ("STARBUCKS STORE 08921 SEATTLE WA", 3.5, 9.0),
    ("WHOLEFDS MKT #10234 AUSTIN TX", 25.0, 180.0),
    ("TRADER JOE'S #552 QPS BROOKLYN NY", 20.0, 120.0),
    ("WAL-MART #1234 BENTONVILLE AR", 15.0, 200.0),
    ("TARGET 00012345 MINNEAPOLIS MN", 10.0, 150.0),
    ("AMZN Mktp US*2K4LL7Q80", 8.0, 250.0),
    ("UBER *TRIP HELP.UBER.COM CA", 7.0, 60.0),
    ("LYFT *RIDE SUN 9PM", 7.0, 45.0),
    ("SHELL OIL 57442 HOUSTON TX", 25.0, 80.0),
    ("CHEVRON 0209871 SAN JOSE CA", 25.0, 85.0),
    ("MCDONALD'S F1234 CHICAGO IL", 5.0, 20.0),
    ("CHIPOTLE 1022 DENVER CO", 9.0, 30.0),
    ("DD *DOORDASH CHIPOTLE", 15.0, 50.0),
    ("CVS/PHARMACY #07321 BOSTON MA", 5.0, 60.0),
    ("WALGREENS #1549 MIAMI FL", 5.0, 60.0),
    ("HOME DEPOT #0613 ATLANTA GA", 15.0, 400.0),
    ("COSTCO WHSE #0113 ISSAQUAH WA", 40.0, 350.0),
    ("APPLE.COM/BILL 866-712-7753 CA", 0.99, 9.99),
    ("BEST BUY 00015 RICHFIELD MN", 20.0, 900.0),
)
"""(description, min amount, max amount) of everyday card purchases."""


@dataclass(frozen=True)
class _Recurring:
    description: str
    amount: float
    entry_type: str
    cadence: str  # "monthly:<day>", "biweekly:<anchor ordinal>"
    jitter: float = 0.0


def _holder_plan(holder_index: int, seed: int) -> list[_Recurring]:
    rng = random.Random(f"{seed}:{holder_index}:plan")
    employer = rng.choice(("ACME CORP PAYROLL", "GUSTO PAYROLL GLOBEX INC", "ADP PAYROLL INITECH"))
    plan = [
        _Recurring(
            f"NETFLIX.COM {rng.choice(('CA', 'LOS GATOS CA'))}",
            15.49,
            "outgoing",
            f"monthly:{rng.randint(1, 28)}",
        ),
        _Recurring("SPOTIFY USA", 10.99, "outgoing", f"monthly:{rng.randint(1, 28)}"),
        _Recurring(
            "VERIZON WIRELESS PAYMENT",
            round(rng.uniform(55, 95), 2),
            "outgoing",
            f"monthly:{rng.randint(1, 28)}",
            6.0,
        ),
        _Recurring("RENT PAYMENT AVALON APTS", round(rng.uniform(1200, 2600), 0), "outgoing", "monthly:1"),
    ]
    if rng.random() < 0.5:
        anchor = dt.date(2024, 1, 5).toordinal() + rng.randint(0, 13)
        plan.append(_Recurring(employer, round(rng.uniform(1500, 3500), 2), "incoming", f"biweekly:{anchor}"))
    else:
        plan.append(_Recurring(employer, round(rng.uniform(3000, 7000), 2), "incoming", "monthly:28"))
    return plan


def _occurs(cadence: str, day: dt.date) -> bool:
    kind, _, arg = cadence.partition(":")
    if kind == "monthly":
        return day.day == int(arg)
    if kind == "biweekly":
        return (day.toordinal() - int(arg)) % 14 == 0
    raise ValueError(cadence)


def synthetic_transactions(
    day: dt.date | str,
    *,
    n: int = 100,
    account_holders: int = 10,
    seed: int = 0,
    currency: str = "USD",
) -> pd.DataFrame:
    """Raw transactions booked on ``day``: the recurring ones due that day plus everyday purchases.

    Returns a DataFrame with :data:`RAW_COLUMNS`; ids are ``<yyyymmdd>-<n>`` so they are unique across
    days. ``n`` is the number of rows (recurring rows due that day count toward it; when more than ``n``
    are due, all of them are returned).
    """
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    rng = random.Random(f"{seed}:{day.isoformat()}")
    rows: list[dict[str, object]] = []
    for holder_index in range(account_holders):
        holder_id = f"ah-{holder_index:04d}"
        for item in _holder_plan(holder_index, seed):
            if _occurs(item.cadence, day):
                amount = item.amount + (rng.uniform(-item.jitter, item.jitter) if item.jitter else 0.0)
                rows.append(
                    _row(day, len(rows), item.description, amount, item.entry_type, currency, holder_id)
                )
    while len(rows) < n:
        description, low, high = rng.choice(EVERYDAY_PURCHASES)
        holder_id = f"ah-{rng.randrange(account_holders):04d}"
        rows.append(
            _row(day, len(rows), description, rng.uniform(low, high), "outgoing", currency, holder_id)
        )
    return pd.DataFrame(rows, columns=list(RAW_COLUMNS))


def _row(
    day: dt.date, index: int, description: str, amount: float, entry_type: str, currency: str, holder_id: str
) -> dict[str, object]:
    return {
        "id": f"{day:%Y%m%d}-{index:06d}",
        "description": description,
        "date": day.isoformat(),
        "amount": round(amount, 2),
        "entry_type": entry_type,
        "currency": currency,
        "account_holder_id": holder_id,
        "account_holder_type": "consumer",
    }
