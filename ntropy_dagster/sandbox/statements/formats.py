"""Money and date text, both directions (the generator prints with these, the parser reads with these)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

CURRENCY_SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€"}
SYMBOL_CURRENCIES = {symbol: code for code, symbol in CURRENCY_SYMBOLS.items()}

_AMOUNT_RE = re.compile(
    r"^(?P<sign1>[+-])?\s*(?P<sym1>[$£€])?\s*(?P<sign2>[+-])?\s*"
    r"(?P<num>\d{1,3}(?:[,. ]\d{3})*[.,]\d{2}|\d+[.,]\d{2})"
    r"\s*(?P<sym2>[€$£]|USD|GBP|EUR)?\s*(?P<suffix>CR|DR|-)?$"
)

# Every date format any layout prints (no dd/mm/yyyy, which would be ambiguous with the US format).
DATE_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%y",
    "%d %b %Y",
    "%d %b %y",
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%B %d, %Y",
    "%d %B %Y",
)
_PERIOD_SPLIT = re.compile(r"\s+(?:to|through|until|-|\u2013)\s+", re.IGNORECASE)


def format_amount(
    value: Decimal,
    *,
    style: str = "us",
    symbol: str = "",
    plus_sign: bool = False,
) -> str:
    """``1234.5`` -> ``"1,234.50"`` (us) or ``"1.234,50"`` (eu); a symbol goes before (us) or after (eu)."""
    sign = "-" if value < 0 else ("+" if plus_sign and value > 0 else "")
    text = f"{abs(value):,.2f}"
    if style == "eu":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
        return f"{sign}{text} {symbol}".strip()
    return f"{sign}{symbol}{text}"


def parse_amount(text: str) -> tuple[Decimal, str | None] | None:
    """Read a printed amount: ``(signed value, ISO currency or None)``; None when it is not an amount."""
    match = _AMOUNT_RE.match(text.strip())
    if match is None:
        return None
    digits = re.sub(r"\D", "", match["num"])
    value = Decimal(digits) / 100
    if "-" in (match["sign1"], match["sign2"]) or match["suffix"] in ("DR", "-"):
        value = -value
    symbol = match["sym1"] or match["sym2"]
    currency = SYMBOL_CURRENCIES.get(symbol, symbol) if symbol else None
    return value, currency


def parse_date(text: str) -> dt.date | None:
    """Read a date printed in any of :data:`DATE_FORMATS`; None when it is not a date."""
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def format_period(start: dt.date, end: dt.date, fmt: str) -> str:
    """``"January 01, 2025 to January 31, 2025"``."""
    return f"{start.strftime(fmt)} to {end.strftime(fmt)}"


def parse_period(text: str) -> tuple[dt.date, dt.date] | None:
    """Read a period printed by :func:`format_period` (also accepts ``through`` and dashes)."""
    parts = _PERIOD_SPLIT.split(text.strip(), maxsplit=1)
    if len(parts) != 2:
        return None
    start, end = parse_date(parts[0]), parse_date(parts[1])
    if start is None or end is None:
        return None
    return start, end
