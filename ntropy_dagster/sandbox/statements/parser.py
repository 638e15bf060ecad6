"""Public parsing API: results (``parse_statement``), first-page info (``verify_statement``), page count."""

from __future__ import annotations

import hashlib
import re
import uuid
from decimal import Decimal
from typing import Any

from ntropy_dagster.sandbox.statements.banks import COUNTRY_NAMES
from ntropy_dagster.sandbox.statements.errors import StatementError
from ntropy_dagster.sandbox.statements.pdf_text import Page, open_pdf, read_pages
from ntropy_dagster.sandbox.statements.reader import ParsedAccount, StatementReader

#: Namespace of the deterministic transaction ids (uuid5 of "<sha256 of the file>:<index>").
TRANSACTION_ID_NAMESPACE = uuid.UUID("6f1c2a4e-8b1d-5e7a-9c3f-0d2b4a6e8f10")
RECONCILE_TOLERANCE = Decimal("0.01")
# Assumption: when no currency symbol is printed anywhere, amounts are in US dollars.
DEFAULT_CURRENCY = "USD"

_COMPANY_RE = re.compile(r"\b(LLC|L\.L\.C\.|Inc\.?|Ltd\.?|Limited|Corp\.?|Co\.|GmbH|PLC|LLP)$", re.IGNORECASE)
_US_CITY_RE = re.compile(r"^(?P<city>.+?),\s*(?P<state>[A-Z]{2})\s+(?P<postcode>\d{5}(?:-\d{4})?)$")
_UK_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$")
_EU_CITY_RE = re.compile(r"^(?P<postcode>\d{4,5})\s+(?P<city>.+)$")
_COUNTRY_CODES = {name.lower(): code for code, name in COUNTRY_NAMES.items()}
_HOLDER_LINE_GAP = 14.0


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def account_type(product: str | None) -> str | None:
    """Map a printed product name to an account type ("checking", "savings", ...)."""
    if not product:
        return None
    text = product.lower()
    for needle, kind in (
        ("credit card", "credit_card"),
        ("money market", "money_market"),
        ("saving", "savings"),
        ("saver", "savings"),
        ("money manager", "savings"),
        ("pot", "savings"),
        ("checking", "checking"),
        ("current", "checking"),
        ("banking", "checking"),
        ("personal account", "checking"),
    ):
        if needle in text:
            return kind
    return text


def _institution(page: Page) -> str | None:
    chunks = [c for line in page.lines for c in line.chunks]
    if not chunks:
        return None
    biggest = max(chunks, key=lambda c: (c.size, c.y))
    return biggest.text if biggest.size >= 12 else None


def _holder_lines(page: Page) -> list[str]:
    """First block of 2+ single-run, label-free lines on the left of page one, below the bank name."""
    chunks = [c for line in page.lines for c in line.chunks]
    top = max(chunks, key=lambda c: (c.size, c.y)).y if chunks else page.width
    block: list[str] = []
    prev_y = None
    for line in page.lines:
        left = [c for c in line.chunks if c.x0 < page.width * 0.45]
        if not left:
            continue  # only right-hand content (bank address, statement details) on this line
        text = " ".join(c.text for c in left)
        eligible = line.y < top - 5 and len(left) == 1 and ":" not in text
        if eligible and (not block or (prev_y is not None and prev_y - line.y <= _HOLDER_LINE_GAP)):
            block.append(text)
            prev_y = line.y
            continue
        if len(block) >= 2:
            return block
        block, prev_y = ([text], line.y) if eligible else ([], None)
    return block if len(block) >= 2 else []


def parse_address(lines: list[str]) -> dict[str, str | None]:
    """Split printed address lines into street, postcode, city, state and country (ISO alpha-2)."""
    lines = list(lines)
    address: dict[str, str | None] = dict.fromkeys(("street", "postcode", "city", "state", "country"))
    if lines and lines[-1].lower() in _COUNTRY_CODES:
        address["country"] = _COUNTRY_CODES[lines.pop().lower()]
    if not lines:
        return address
    last = lines[-1]
    if match := _US_CITY_RE.match(last):
        address.update(city=match["city"], state=match["state"], postcode=match["postcode"])
        address["country"] = address["country"] or "US"
        rest = lines[:-1]
    elif _UK_POSTCODE_RE.match(last) and len(lines) >= 3:
        address.update(postcode=last, city=lines[1])
        address["state"] = ", ".join(lines[2:-1]) or None
        address["country"] = address["country"] or "GB"
        rest = lines[:1]
    elif match := _EU_CITY_RE.match(last):
        address.update(city=match["city"], postcode=match["postcode"])
        rest = lines[:-1]
    else:
        rest = lines
    address["street"] = ", ".join(rest) or None
    return address


def _info(pages: list[Page], reader: StatementReader) -> dict[str, Any]:
    first = pages[0]
    holder = _holder_lines(first)
    name = holder[0] if holder else None
    products = " ".join(a.product or "" for a in reader.accounts.values()).lower()
    if name is None:
        holder_type = "unknown"
    elif "business" in products or _COMPANY_RE.search(name):
        holder_type = "business"
    else:
        holder_type = "consumer"
    period = reader.period
    return {
        "institution": _institution(first),
        "start_date": period[0].isoformat() if period else None,
        "end_date": period[1].isoformat() if period else None,
        "account_holder": {"type": holder_type, "name": name, "address": parse_address(holder[1:])},
        "accounts": [
            {
                "type": account_type(acc.product),
                "number": acc.number,
                "opening_balance": _money(acc.summary.get("opening")),
                "closing_balance": _money(acc.summary.get("closing")),
                "iso_currency_code": acc.currency,
            }
            for acc in reader.accounts.values()
        ],
    }


def _read(data: bytes, *, first_only: bool) -> tuple[list[Page], StatementReader]:
    pages = read_pages(open_pdf(data), first_only=first_only)
    reader = StatementReader()
    for page in pages:
        reader.feed(page)
    return pages, reader


def verify_statement(data: bytes) -> dict[str, Any]:
    """``StatementInfo`` from the first page only (institution, period, holder, account balances)."""
    pages, reader = _read(data, first_only=True)
    if reader.period is None and not reader.accounts:
        raise StatementError("unparseable_statement", "no bank statement found on the first page")
    return _info(pages, reader)


def _account_result(
    acc: ParsedAccount, reader: StatementReader, file_hash: str, start: int
) -> dict[str, Any]:
    currency = acc.currency or next((a.currency for a in reader.accounts.values() if a.currency), None)
    currency = currency or DEFAULT_CURRENCY
    incoming = sum((t.amount for t in acc.transactions if t.entry_type == "incoming"), Decimal("0.00"))
    outgoing = sum((t.amount for t in acc.transactions if t.entry_type == "outgoing"), Decimal("0.00"))
    opening, closing = acc.summary.get("opening"), acc.summary.get("closing")
    reconciled = None
    if opening is not None and closing is not None:
        reconciled = abs(opening + incoming - outgoing - closing) <= RECONCILE_TOLERANCE
    period = reader.period
    return {
        "number": acc.number,
        "opening_balance": _money(opening),
        "closing_balance": _money(closing),
        "start_date": period[0].isoformat() if period else None,
        "end_date": period[1].isoformat() if period else None,
        "is_balance_reconciled": reconciled,
        "total_incoming": _money(acc.summary.get("incoming", incoming)),
        "total_outgoing": _money(acc.summary.get("outgoing", outgoing)),
        "transactions": [
            {
                "id": str(uuid.uuid5(TRANSACTION_ID_NAMESPACE, f"{file_hash}:{start + i}")),
                "description": t.description,
                "date": t.date.isoformat(),
                "amount": float(t.amount),
                "entry_type": t.entry_type,
                "currency": currency,
                "running_balance": _money(t.running_balance),
                "page_number": t.page_number,
            }
            for i, t in enumerate(acc.transactions)
        ],
    }


def parse_statement(data: bytes) -> dict[str, Any]:
    """The ``/results`` body: ``{"accounts": [BankStatementAccount...], "info": StatementInfo}``.

    ``info`` is what :func:`verify_statement` returns, but read from the whole document (an extra key the
    SDK ignores). Transaction ids are ``uuid5(TRANSACTION_ID_NAMESPACE, "<sha256 of file>:<index>")``.
    """
    pages, reader = _read(data, first_only=False)
    accounts = [a for a in reader.accounts.values() if a.transactions or a.summary]
    if not accounts:
        raise StatementError("unparseable_statement", "no bank statement accounts or transactions found")
    file_hash = hashlib.sha256(bytes(data)).hexdigest()
    results, start = [], 0
    for acc in accounts:
        results.append(_account_result(acc, reader, file_hash, start))
        start += len(acc.transactions)
    return {"accounts": results, "info": _info(pages, reader)}


def count_pages(data: bytes) -> int:
    """Number of pages of a readable PDF (no statement content required)."""
    return len(open_pdf(data).pages)
