"""Seeded, realistic random statement content (holders, addresses, merchants, salary, bills)."""

from __future__ import annotations

import calendar
import datetime as dt
import random
from decimal import Decimal
from typing import Any

from ntropy_dagster.sandbox.statements.banks import BankStyle, get_bank
from ntropy_dagster.sandbox.statements.spec import (
    StatementAccountSpec,
    StatementAddress,
    StatementSpec,
    StatementTransactionSpec,
    to_money,
)

_FIRST = (
    "James",
    "Maria",
    "Olivia",
    "Liam",
    "Sophia",
    "Noah",
    "Emma",
    "Ava",
    "Ethan",
    "Chloe",
    "Priya",
    "Mateo",
)
_LAST = ("Smith", "Johnson", "Garcia", "Brown", "Patel", "Nguyen", "Williams", "Okafor", "Müller", "Taylor")
_BUSINESS = ("Bluebird Bakery", "Northwind Design", "Summit Plumbing", "Red Fox Studio", "Harbor Analytics")
_EMPLOYERS = (
    "ACME CORP",
    "GLOBEX INC",
    "INITECH",
    "UMBRELLA HEALTH",
    "STARK INDUSTRIES",
    "WAYNE ENTERPRISES",
)

_PLACES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    # (street, city, state, postcode)
    "US": (
        ("1208 Barton Springs Rd Apt 4", "Austin", "TX", "78704"),
        ("55 Water St", "Brooklyn", "NY", "11201"),
        ("742 Evergreen Ter", "Springfield", "IL", "62704"),
        ("1600 Pike Pl Unit 12", "Seattle", "WA", "98101"),
        ("88 Mission St", "San Francisco", "CA", "94105"),
    ),
    "GB": (
        ("Flat 3, 14 Camden Road", "London", "", "NW1 9DP"),
        ("22 Deansgate", "Manchester", "", "M3 2BW"),
        ("7 Rose Street", "Edinburgh", "", "EH2 2PR"),
        ("101 Broad Street", "Bristol", "", "BS1 2HD"),
    ),
    "DE": (
        ("Kastanienallee 12", "Berlin", "", "10435"),
        ("Sendlinger Str. 7", "München", "", "80331"),
        ("Schanzenstraße 40", "Hamburg", "", "20357"),
    ),
}

_CURRENCY_COUNTRY = {"USD": "US", "GBP": "GB", "EUR": "DE"}


def _pick(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[rng.randrange(len(options))]


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return to_money(rng.uniform(low, high))


def _person(rng: random.Random) -> str:
    return f"{_pick(rng, _FIRST)} {_pick(rng, _LAST)}"


def _spend_templates(country: str, city: str, state: str) -> list[tuple[str, float, float, int]]:
    """(template, low, high, weight); ``{n}`` = store number, ``{p}`` = a person, ``{c}`` = a code."""
    if country == "US":
        loc = f"{city.upper()} {state}"
        return [
            (f"WHOLEFDS MKT #{{n}} {loc}", 18, 185, 6),
            (f"TRADER JOE'S #{{n}} {loc}", 12, 120, 5),
            (f"STARBUCKS STORE {{n}} {loc}", 3.5, 14, 8),
            ("UBER *TRIP HELP.UBER.COM CA", 8, 48, 6),
            ("UBER *EATS HELP.UBER.COM CA", 14, 62, 4),
            ("AMAZON MKTPL*{c} AMZN.COM/BILL WA", 6, 140, 6),
            (f"SHELL OIL 57442{{n}} {loc}", 25, 70, 3),
            (f"CVS/PHARMACY #{{n}} {loc}", 5, 60, 3),
            (f"TARGET T-{{n}} {loc}", 10, 160, 3),
            ("VENMO PAYMENT {c} TO {p}", 10, 120, 3),
            ("Zelle payment to {p} Conf# {c}", 20, 300, 2),
            (f"ATM WITHDRAWAL 00{{n}} {loc}", 20, 200, 2),
            ("DOORDASH*CHIPOTLE SAN FRANCISCO CA", 12, 45, 3),
            ("APPLE.COM/BILL 866-712-7753 CA", 0.99, 12.99, 2),
        ]
    if country == "GB":
        loc = city.upper()
        return [
            (f"TESCO STORES {{n}} {loc}", 6, 95, 7),
            (f"SAINSBURYS S/MKTS {loc}", 8, 110, 5),
            (f"PRET A MANGER {loc}", 3, 12, 6),
            ("TFL TRAVEL CH TFL.GOV.UK/CP", 2.8, 9.5, 7),
            ("UBER* TRIP HELP.UBER.COM", 7, 35, 4),
            ("AMAZON.CO.UK*{c} AMAZON.CO.UK", 5, 90, 5),
            ("DELIVEROO {c} LONDON", 15, 40, 3),
            ("BOOTS {n} " + loc, 4, 35, 3),
            ("FASTER PAYMENT TO {p} REF DINNER", 10, 150, 2),
            (f"CASH MACHINE {{n}} {loc}", 20, 100, 2),
        ]
    return [
        ("REWE Markt GmbH {n} " + city, 8, 95, 7),
        ("LIDL DIENSTL {n} " + city, 6, 70, 5),
        ("Deutsche Bahn DB Fernverkehr {c}", 19, 120, 3),
        ("Rossmann {n} " + city, 4, 35, 3),
        ("Lieferando.de {c}", 15, 40, 3),
        ("Überweisung an {p}", 10, 150, 2),
        ("Bargeldauszahlung {n} " + city, 20, 200, 2),
    ]


def _scheduled(
    country: str, holder_type: str, rng: random.Random, people: list[str]
) -> list[tuple[int, str, Decimal, str]]:
    """Monthly items: (day of month, description, amount, entry_type)."""
    employer = _pick(rng, _EMPLOYERS)
    if holder_type == "business":
        rows = [
            (3, "STRIPE TRANSFER ST-{c}", _money(rng, 2500, 9000), "incoming"),
            (17, "STRIPE TRANSFER ST-{c}", _money(rng, 2500, 9000), "incoming"),
            (10, "SQUARE INC DEP {c}", _money(rng, 800, 3000), "incoming"),
            (15, "GUSTO PAYROLL NET {c}", _money(rng, 3000, 7000), "outgoing"),
            (1, "OFFICE LEASE RENT WEB PMTS", _money(rng, 1500, 4000), "outgoing"),
            (6, "AMAZON WEB SERVICES AWS.AMAZON.CO WA", _money(rng, 80, 600), "outgoing"),
            (20, "GOOGLE *GSUITE CC@GOOGLE.COM", Decimal("72.00"), "outgoing"),
        ]
    elif country == "US":
        pay = _money(rng, 1800, 3600)
        rows = [
            (1, f"{employer} PAYROLL PPD ID: 91{rng.randrange(10**7):07d}", pay, "incoming"),
            (15, f"{employer} PAYROLL PPD ID: 91{rng.randrange(10**7):07d}", pay, "incoming"),
            (2, "AVALON COMMUNITIES RENT WEB PMTS", _money(rng, 1400, 2800), "outgoing"),
            (8, "AUSTIN ENERGY UTILITY WEB PAY", _money(rng, 60, 190), "outgoing"),
            (12, "COMCAST CABLE COMM 800-266-2278 PA", Decimal("79.99"), "outgoing"),
            (18, "NETFLIX.COM 866-579-7172 CA", Decimal("15.49"), "outgoing"),
            (22, "SPOTIFY USA 877-778-1161 NY", Decimal("11.99"), "outgoing"),
            (
                25,
                "ORIG CO NAME:GEICO ORIG ID:5301120214 DESC DATE: CO ENTRY DESCR:AUTOPAY SEC:PPD "
                f"TRACE#:0210000{rng.randrange(10**8):08d} IND NAME:{people[0].upper()}",
                _money(rng, 90, 180),
                "outgoing",
            ),
        ]
    elif country == "GB":
        rows = [
            (25, f"{employer} LTD SALARY BGC", _money(rng, 2200, 4200), "incoming"),
            (1, "STANDING ORDER FOXTONS RENT", _money(rng, 1100, 2100), "outgoing"),
            (5, "DIRECT DEBIT THAMES WATER", _money(rng, 25, 60), "outgoing"),
            (9, "DIRECT DEBIT OCTOPUS ENERGY", _money(rng, 60, 160), "outgoing"),
            (14, "NETFLIX.COM", Decimal("10.99"), "outgoing"),
            (20, "DIRECT DEBIT COUNCIL TAX CAMDEN", _money(rng, 120, 190), "outgoing"),
        ]
    else:
        rows = [
            (28, f"Gehalt {employer.title()} GmbH", _money(rng, 2400, 4200), "incoming"),
            (1, "Miete Wohnung Dauerauftrag", _money(rng, 800, 1600), "outgoing"),
            (4, "Vattenfall Europe Sales GmbH", _money(rng, 50, 120), "outgoing"),
            (15, "Netflix International B.V.", Decimal("13.99"), "outgoing"),
        ]
    return rows


def _fill(template: str, rng: random.Random, people: list[str]) -> str:
    code = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9))
    return template.format(n=rng.randrange(1000, 99999), c=code, p=_pick(rng, tuple(people)))


def _month_starts(start: dt.date, months: int) -> list[dt.date]:
    out, year, month = [], start.year, start.month
    for _ in range(months):
        out.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def random_transactions(
    rng: random.Random,
    *,
    country: str,
    holder_type: str,
    start: dt.date,
    end: dt.date,
    n_transactions: int | None,
    address: StatementAddress,
) -> list[StatementTransactionSpec]:
    """Scheduled bills and salary plus random card spending between ``start`` and ``end``."""
    people = [_person(rng) for _ in range(4)]
    span = (end - start).days + 1
    scheduled: list[StatementTransactionSpec] = []
    for month_start in _month_starts(start, (end.year - start.year) * 12 + end.month - start.month + 1):
        last_day = calendar.monthrange(month_start.year, month_start.month)[1]
        for day, template, amount, entry in _scheduled(country, holder_type, rng, people):
            when = month_start.replace(day=min(day, last_day))
            if start <= when <= end:
                scheduled.append(StatementTransactionSpec(when, _fill(template, rng, people), amount, entry))
    target = n_transactions if n_transactions is not None else max(len(scheduled) + 8, span * 4 // 3)
    if target < len(scheduled):
        scheduled = rng.sample(scheduled, target)
    templates = _spend_templates(country, address.city, address.state or "")
    weights = [w for *_, w in templates]
    spending = []
    for _ in range(target - len(scheduled)):
        template, low, high, _w = rng.choices(templates, weights=weights)[0]
        when = start + dt.timedelta(days=rng.randrange(span))
        spending.append(
            StatementTransactionSpec(when, _fill(template, rng, people), _money(rng, low, high), "outgoing")
        )
    return sorted(scheduled + spending, key=lambda t: t.date)


def _account_number(rng: random.Random, style: BankStyle) -> str:
    if style.account_label == "IBAN":
        digits = f"{rng.randrange(10**18):018d}"
        raw = f"DE{rng.randrange(10, 99)}{digits}"
        return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    if style.country == "GB":
        return f"{rng.randrange(10**8):08d}"
    number = f"{rng.randrange(10**12):012d}"
    return f"****{number[-4:]}" if style.mask_account else number


def random_statement_spec(
    seed: int = 0,
    *,
    n_transactions: int | None = None,
    months: int = 1,
    n_accounts: int = 1,
    **fields: Any,
) -> StatementSpec:
    """A realistic statement: salary, rent, utilities, subscriptions and card spending.

    ``n_transactions`` fixes the first account's line count (further accounts get a few savings lines);
    ``months`` sets the period length; any :class:`StatementSpec` field in ``fields`` overrides the draw.
    """
    rng = random.Random(seed)
    style = get_bank(
        fields.get("bank") or _pick(rng, ("Chase", "Bank of America", "Wells Fargo", "Barclays"))
    )
    holder_type = fields.get("account_holder_type") or ("business" if rng.random() < 0.2 else "consumer")
    currency = fields.get("currency") or style.currency
    country = _CURRENCY_COUNTRY.get(currency, style.country)
    street, city, state, postcode = _PLACES[style.country][rng.randrange(len(_PLACES[style.country]))]
    address = fields.get("address") or StatementAddress(
        street=street, postcode=postcode, city=city, state=state or None, country=style.country
    )
    start = fields.get("period_start") or dt.date(2025, rng.randrange(1, 13), 1)
    months_list = _month_starts(start.replace(day=1), months)
    last = months_list[-1]
    end = fields.get("period_end") or last.replace(day=calendar.monthrange(last.year, last.month)[1])
    name = (
        _person(rng)
        if holder_type == "consumer"
        else f"{_pick(rng, _BUSINESS)} {'LLC' if country == 'US' else 'Ltd'}"
    )
    transactions = random_transactions(
        rng,
        country=country,
        holder_type=holder_type,
        start=start,
        end=end,
        n_transactions=n_transactions,
        address=address,
    )
    extra = []
    for _ in range(n_accounts - 1):
        lines = [
            StatementTransactionSpec(
                start + dt.timedelta(days=rng.randrange((end - start).days + 1)), d, a, e
            )
            for d, a, e in (
                ("ONLINE TRANSFER FROM CHK ...", _money(rng, 100, 900), "incoming"),
                ("INTEREST PAYMENT", _money(rng, 0.5, 12), "incoming"),
                ("ONLINE TRANSFER TO CHK ...", _money(rng, 50, 300), "outgoing"),
            )
        ]
        extra.append(
            StatementAccountSpec(
                account_number=_account_number(rng, style),
                account_type="savings",
                opening_balance=_money(rng, 2000, 25000),
                transactions=lines,
            )
        )
    defaults: dict[str, Any] = {
        "bank": style.name,
        "account_holder_name": name,
        "account_holder_type": holder_type,
        "address": address,
        "account_number": _account_number(rng, style),
        "account_type": "checking",
        "currency": currency,
        "period_start": start,
        "period_end": end,
        "opening_balance": _money(rng, 1500, 9000) if holder_type == "consumer" else _money(rng, 8000, 40000),
        "transactions": transactions,
        "additional_accounts": tuple(extra),
    }
    defaults.update(fields)
    return StatementSpec(**defaults)
