"""Walk a statement's positioned text lines and collect accounts, summaries and transactions.

The reader knows statement *vocabulary* (column titles, summary labels, "Account number: ..." headings), not
page coordinates: a transaction table starts at a line made only of column titles, its columns are where
those titles are drawn, and it ends at the first vertical gap larger than a row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from ntropy_dagster.sandbox.statements.banks import BANKS
from ntropy_dagster.sandbox.statements.formats import parse_amount, parse_date, parse_period
from ntropy_dagster.sandbox.statements.pdf_text import Chunk, Line, Page

MAX_ROW_GAP = 16.0  # points between table rows; anything further apart ends the table

_GENERIC_TITLES = {
    "date": ("Date", "Posting date", "Transaction date", "Value date"),
    "description": ("Description", "Details", "Transaction details", "Transaction"),
    "debit": ("Withdrawals", "Debits", "Debit", "Money out", "Paid out"),
    "credit": ("Deposits", "Credits", "Credit", "Money in", "Paid in"),
    "amount": ("Amount",),
    "balance": ("Balance", "Running balance"),
}
_GENERIC_SUMMARY = {
    "opening": ("Opening balance", "Beginning balance", "Start balance", "Previous balance"),
    "incoming": ("Total deposits", "Total credits", "Money in", "Paid in", "Payments in"),
    "outgoing": ("Total withdrawals", "Total debits", "Money out", "Paid out", "Payments out"),
    "closing": ("Closing balance", "Ending balance", "End balance", "New balance"),
}


def _vocabulary(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {label.lower(): kind for kind, label in pairs}


TITLE_KINDS = _vocabulary(
    [(k, t) for k, titles in _GENERIC_TITLES.items() for t in titles]
    + [pair for style in BANKS.values() for pair in style.columns]
)
SUMMARY_KINDS = _vocabulary(
    [(k, t) for k, labels in _GENERIC_SUMMARY.items() for t in labels]
    + [pair for style in BANKS.values() for pair in style.summary_labels]
)
_ACCOUNT_RE = re.compile(r"^(?:account number|account no\.?|iban)\s*:\s*(?P<number>\S.*)$", re.IGNORECASE)
_PERIOD_RE = re.compile(r"^(?:statement period|period|statement dates)\s*:?\s*(?P<value>.+)$", re.IGNORECASE)


@dataclass
class ParsedTransaction:
    """One transaction row as read from the page."""

    date: dt.date
    description: str
    amount: Decimal
    entry_type: str
    running_balance: Decimal | None
    page_number: int


@dataclass
class ParsedAccount:
    """An account heading with what was found under it."""

    number: str | None
    product: str | None = None
    summary: dict[str, Decimal] = field(default_factory=dict)
    currency: str | None = None
    transactions: list[ParsedTransaction] = field(default_factory=list)


@dataclass(frozen=True)
class _Column:
    kind: str
    x0: float
    x1: float


def _table_columns(line: Line) -> list[_Column] | None:
    """The columns if ``line`` is a table header (only column titles, including a date and a balance)."""
    kinds = [TITLE_KINDS.get(c.text.lower()) for c in line.chunks]
    if None in kinds or "date" not in kinds or "balance" not in kinds or len(set(kinds)) != len(kinds):
        return None
    return [_Column(k, c.x0, c.x1) for k, c in zip(kinds, line.chunks, strict=True) if k is not None]


def _column_of(chunk: Chunk, columns: list[_Column]) -> str:
    """The column whose title overlaps ``chunk`` most (nearest centre when none overlaps)."""
    best, best_overlap = None, 0.0
    for col in columns:
        overlap = min(chunk.x1, col.x1) - max(chunk.x0, col.x0)
        if overlap > best_overlap:
            best, best_overlap = col.kind, overlap
    if best is not None:
        return best
    centre = (chunk.x0 + chunk.x1) / 2
    return min(columns, key=lambda col: abs((col.x0 + col.x1) / 2 - centre)).kind


class StatementReader:
    """Feed pages in order; read ``accounts`` and ``period`` afterwards."""

    def __init__(self) -> None:
        self.accounts: dict[str | None, ParsedAccount] = {}
        self.current: ParsedAccount | None = None
        self.period: tuple[dt.date, dt.date] | None = None
        self._last_date: dt.date | None = None
        self._open = False  # whether a description continuation line may extend the last transaction

    def _account(self, number: str | None) -> ParsedAccount:
        if number not in self.accounts:
            self.accounts[number] = ParsedAccount(number)
        return self.accounts[number]

    def feed(self, page: Page) -> None:
        """Read one page's lines (tables may continue from the previous page)."""
        columns: list[_Column] | None = None
        prev_y = 0.0
        for line in page.lines:
            if columns is not None:
                if prev_y - line.y <= MAX_ROW_GAP and self._row(line, columns, page.number):
                    prev_y = line.y
                    continue
                columns = None
            header = _table_columns(line)
            if header is not None:
                columns, prev_y, self._open = header, line.y, False
                continue
            self._other(line)

    def _other(self, line: Line) -> None:
        """Headings, summary rows and the statement period."""
        for chunk in line.chunks:
            match = _ACCOUNT_RE.match(chunk.text)
            if match:
                account = self._account(match["number"].strip())
                product = " ".join(c.text for c in line.chunks if c.x0 < chunk.x0)
                product = product.removesuffix("(continued)").strip()
                if product and account.product is None:
                    account.product = product
                self.current, self._open = account, False
                return
        period = _PERIOD_RE.match(line.text)
        if period and self.period is None:
            self.period = parse_period(period["value"])
            return
        kind = SUMMARY_KINDS.get(line.chunks[0].text.rstrip(":").lower())
        parsed = parse_amount(line.chunks[-1].text) if len(line.chunks) >= 2 else None
        if kind and parsed and self.current is not None and kind not in self.current.summary:
            value, currency = parsed
            self.current.summary[kind] = abs(value) if kind in ("incoming", "outgoing") else value
            self.current.currency = self.current.currency or currency

    def _row(self, line: Line, columns: list[_Column], page_number: int) -> bool:
        """Consume one table line; False when it is not a table row after all."""
        cells: dict[str, list[str]] = defaultdict(list)
        for chunk in line.chunks:
            cells[_column_of(chunk, columns)].append(chunk.text)
        when = None
        if cells.get("date"):
            when = parse_date(" ".join(cells["date"]))
            if when is None:
                return False
        money = {}
        for kind in ("amount", "debit", "credit", "balance"):
            if cells.get(kind):
                parsed = parse_amount(" ".join(cells[kind]))
                if parsed is None:
                    return False
                money[kind] = parsed[0]
        description = " ".join(cells.get("description", []))
        signed = money.get("amount", money.get("credit", -money["debit"] if "debit" in money else None))
        if signed is not None:
            when = when or self._last_date
            if when is None:
                return False
            self._last_date = when
            account = self.current or self._account(None)
            self.current = account
            entry = "incoming" if "credit" in money or ("amount" in money and signed >= 0) else "outgoing"
            account.transactions.append(
                ParsedTransaction(when, description, abs(signed), entry, money.get("balance"), page_number)
            )
            self._open = True
        elif description and when is None and "balance" not in money:
            if self._open and self.current is not None and self.current.transactions:
                last = self.current.transactions[-1]
                last.description = f"{last.description} {description}".strip()
        else:
            self._open = False  # a marker row: balance brought/carried forward, beginning/ending balance
        return True
