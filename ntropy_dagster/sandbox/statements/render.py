"""Lay out and draw a bank statement PDF with reportlab."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ntropy_dagster.sandbox.statements.banks import (
    BankStyle,
    address_lines,
    get_bank,
    printed_account_number,
    product_name,
)
from ntropy_dagster.sandbox.statements.fake_data import random_statement_spec
from ntropy_dagster.sandbox.statements.formats import CURRENCY_SYMBOLS, format_amount, format_period
from ntropy_dagster.sandbox.statements.spec import StatementAccountSpec, StatementAddress, StatementSpec

REGULAR, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
ROW_SIZE = 8.5
ROW_STEP = 12.0  # leading of table rows; the parser ends a table at a larger gap
MARGIN = 40.0
BOTTOM = 70.0  # lowest baseline of a table row
GREY = "#F0F1F3"
# Printed when a spec has no address (the holder lives in the bank's country).
DEFAULT_ADDRESSES = {
    "US": StatementAddress(
        street="1 Main St", postcode="62701", city="Springfield", state="IL", country="US"
    ),
    "GB": StatementAddress(street="1 High Street", postcode="SW1A 1AA", city="London", country="GB"),
    "DE": StatementAddress(street="Hauptstraße 1", postcode="10115", city="Berlin", country="DE"),
}
INK = "#1B1F24"


@dataclass
class _Text:
    x: float
    y: float
    text: str
    font: str = REGULAR
    size: float = 9.0
    align: str = "left"
    color: str = INK


@dataclass
class _Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str


@dataclass
class _Column:
    kind: str
    title: str
    x: float  # left edge for text columns, right edge for money columns
    align: str


@dataclass
class _Layout:
    """Pages of drawing operations; the page count is known only when layout ends."""

    style: BankStyle
    spec: StatementSpec
    width: float
    height: float
    pages: list[list[_Text | _Rect]] = field(default_factory=list)
    y: float = 0.0

    @property
    def ops(self) -> list[_Text | _Rect]:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append([])
        self.y = self.height - MARGIN

    def text(self, x: float, text: str, **kwargs: Any) -> None:
        self.ops.append(_Text(x, self.y, text, **kwargs))

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        self.ops.append(_Rect(x, y, w, h, fill))

    @property
    def right(self) -> float:
        return self.width - MARGIN


def _money_text(style: BankStyle, value: Decimal, currency: str, *, signed: bool = False) -> str:
    return format_amount(
        value,
        style=style.number_style,
        symbol=CURRENCY_SYMBOLS.get(currency, "") if currency else "",
        plus_sign=signed and style.plus_sign,
    )


def _wrap(text: str, width: float, size: float = ROW_SIZE) -> list[str]:
    """Break at spaces so every line fits ``width`` (a single over-long word stays whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and stringWidth(candidate, REGULAR, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines


def _sort_code(number: str) -> str:
    digest = hashlib.sha256(number.encode()).digest()
    return "-".join(f"{b % 100:02d}" for b in digest[:3])


def _first_page_header(lay: _Layout, accounts: list[StatementAccountSpec]) -> None:
    style, spec = lay.style, lay.spec
    brand = style.color
    if style.country == "US":
        lay.rect(MARGIN, lay.height - 78, lay.right - MARGIN, 2.5, brand)
        lay.y = lay.height - 62
        lay.text(MARGIN, style.name, font=BOLD, size=22, color=brand)
        legal_color = INK
    else:
        lay.rect(0, lay.height - 86, lay.width, 86, brand)
        lay.y = lay.height - 58
        lay.text(MARGIN, style.name, font=BOLD, size=22, color="#FFFFFF")
        legal_color = "#FFFFFF"
    lay.y = lay.height - 36
    for line in style.legal_lines:
        lay.text(lay.right, line, size=7.5, align="right", color=legal_color)
        lay.y -= 9.5

    top = lay.height - 126
    # Holder block (left): name, then the address in the holder's local format.
    lay.y = top
    lay.text(MARGIN, spec.account_holder_name, font=BOLD, size=10)
    address = spec.address or DEFAULT_ADDRESSES.get(style.country, DEFAULT_ADDRESSES["US"])
    for line in address_lines(address, style.country):
        lay.y -= 12
        lay.text(MARGIN, line, size=9.5)
    holder_bottom = lay.y

    # Details block (right half): title, period, account number(s), service phone.
    mid = lay.width / 2 + 20
    lay.y = top
    lay.text(lay.right, "Account statement", font=BOLD, size=12, align="right", color=brand)
    details = [("Statement period", format_period(spec.period_start, spec.period_end, style.period_format))]
    if len(accounts) == 1:
        details.append((style.account_label, printed_account_number(style, accounts[0].account_number)))
        if style.sort_code:
            details.append(("Sort code", _sort_code(accounts[0].account_number)))
    details.append(("Customer service", "1-800-935-9935" if style.country == "US" else "0345 734 5345"))
    for label, value in details:
        lay.y -= 14
        lay.text(mid, label, font=BOLD, size=8.5)
        lay.text(lay.right, value, size=8.5, align="right")
    lay.y = min(holder_bottom, lay.y) - 34


def _section_title(lay: _Layout, title: str) -> None:
    lay.text(MARGIN, title, font=BOLD, size=11.5, color=lay.style.color)
    lay.y -= 20


def _account_heading(lay: _Layout, account: StatementAccountSpec, *, continued: bool = False) -> None:
    style = lay.style
    product = product_name(style, account.account_type, lay.spec.account_holder_type)
    number = printed_account_number(style, account.account_number)
    lay.text(MARGIN, product + (" (continued)" if continued else ""), font=BOLD, size=10)
    lay.text(lay.right, f"{style.account_label}: {number}", size=9, align="right")
    lay.y -= 6
    lay.rect(MARGIN, lay.y, lay.right - MARGIN, 0.8, style.color)
    lay.y -= 14


def _summary(lay: _Layout, account: StatementAccountSpec, currency: str) -> None:
    style = lay.style
    values = {
        "opening": account.opening_balance,
        "incoming": account.total_incoming,
        "outgoing": -account.total_outgoing if style.country == "US" else account.total_outgoing,
        "closing": account.printed_closing_balance,
    }
    _account_heading(lay, account)
    box_right = MARGIN + 320
    lay.rect(
        MARGIN, lay.y - 13 * len(style.summary_labels) + 9, box_right - MARGIN, 13 * len(values) + 4, GREY
    )
    for kind, label in style.summary_labels:
        bold = kind == "closing"
        lay.text(MARGIN + 8, label, font=BOLD if bold else REGULAR, size=9)
        lay.text(
            box_right - 8,
            _money_text(style, values[kind], currency),
            font=BOLD if bold else REGULAR,
            size=9,
            align="right",
        )
        lay.y -= 13
    lay.y -= 20


def _columns(style: BankStyle, lay: _Layout) -> list[_Column]:
    money_kinds = [kind for kind, _ in style.columns if kind not in ("date", "description")]
    cols: list[_Column] = []
    right = lay.right - 2
    rights: dict[str, float] = {}
    for kind, title in reversed([c for c in style.columns if c[0] in money_kinds]):
        rights[kind] = right
        right -= max(72.0, stringWidth(title, BOLD, ROW_SIZE) + 14)
    date_width = max(stringWidth(t, BOLD, ROW_SIZE) for k, t in style.columns if k == "date")
    date_width = max(date_width, stringWidth("28 Sep 2025", REGULAR, ROW_SIZE))
    for kind, title in style.columns:
        if kind == "date":
            cols.append(_Column(kind, title, MARGIN + 2, "left"))
        elif kind == "description":
            cols.append(_Column(kind, title, MARGIN + 2 + date_width + 12, "left"))
        else:
            cols.append(_Column(kind, title, rights[kind], "right"))
    return cols


class _TableWriter:
    """Writes one account's transaction table, breaking pages with repeated headers."""

    def __init__(self, lay: _Layout, account: StatementAccountSpec, currency: str, page_header: Any) -> None:
        self.lay, self.account, self.currency = lay, account, currency
        self.style = lay.style
        self.cols = _columns(self.style, lay)
        self.by_kind = {c.kind: c for c in self.cols}
        first_money = min(
            c.x - max(72.0, stringWidth(c.title, BOLD, ROW_SIZE) + 14)
            for c in self.cols
            if c.align == "right"
        )
        self.desc_width = first_money - self.by_kind["description"].x - 8
        self.page_header = page_header
        self.last_date: object = None

    def header_row(self) -> None:
        lay = self.lay
        lay.rect(MARGIN, lay.y - 4, lay.right - MARGIN, 14, GREY)
        for col in self.cols:
            lay.text(col.x, col.title, font=BOLD, size=ROW_SIZE, align=col.align)
        lay.y -= 15
        self.last_date = None

    def row(self, cells: dict[str, str]) -> None:
        for kind, value in cells.items():
            col = self.by_kind[kind]
            self.lay.text(col.x, value, size=ROW_SIZE, align=col.align)
        self.lay.y -= ROW_STEP

    def marker(self, label: str, balance: Decimal) -> None:
        self.row({"description": label, "balance": self._num(balance)})

    def _num(self, value: Decimal, *, signed: bool = False) -> str:
        return format_amount(value, style=self.style.number_style, plus_sign=signed and self.style.plus_sign)

    def _break_page(self, balance: Decimal) -> None:
        lay = self.lay
        if self.style.uk_markers:
            self.marker("Balance carried forward", balance)
        else:
            lay.y -= 10
            lay.text(lay.right, "continued on next page", font=ITALIC, size=8, align="right")
        lay.new_page()
        self.page_header(lay)
        _account_heading(lay, self.account, continued=True)
        self.header_row()
        if self.style.uk_markers:
            self.marker("Balance brought forward", balance)

    def write(self) -> None:
        style, account = self.style, self.account
        _account_heading(self.lay, account)
        self.header_row()
        self.marker(
            "Balance brought forward" if style.uk_markers else "Beginning balance", account.opening_balance
        )
        balance = account.opening_balance
        txns = account.transactions
        for i, txn in enumerate(txns):
            lines = _wrap(txn.description, self.desc_width)
            reserve = ROW_STEP * (len(lines) + (1 if style.uk_markers else 0))
            if self.lay.y - reserve < BOTTOM:
                self._break_page(balance)
            balance += txn.signed_amount
            cells = {"description": lines[0]}
            if not style.date_once_per_day or txn.date != self.last_date:
                cells["date"] = txn.date.strftime(style.date_format)
                self.last_date = txn.date
            if style.amount_mode == "signed":
                cells["amount"] = self._num(txn.signed_amount, signed=True)
            else:
                cells["credit" if txn.entry_type == "incoming" else "debit"] = self._num(txn.amount)
            end_of_day = i + 1 == len(txns) or txns[i + 1].date != txn.date
            if not style.balance_end_of_day or end_of_day:
                cells["balance"] = self._num(balance)
            self.row(cells)
            for extra in lines[1:]:
                self.row({"description": extra})
        if self.lay.y - ROW_STEP < BOTTOM:
            self._break_page(balance)
        self.marker(
            "Closing balance" if style.uk_markers else "Ending balance", account.printed_closing_balance
        )
        self.lay.y -= 26


def _continuation_header(lay: _Layout) -> None:
    style, spec = lay.style, lay.spec
    lay.y = lay.height - 50
    lay.text(MARGIN, style.name, font=BOLD, size=14, color=style.color)
    lay.text(
        lay.right,
        format_period(spec.period_start, spec.period_end, style.period_format),
        size=8,
        align="right",
    )
    lay.y -= 8
    lay.rect(MARGIN, lay.y, lay.right - MARGIN, 1.2, style.color)
    lay.y -= 26


def layout_statement(spec: StatementSpec) -> _Layout:
    """Place every text and box of the statement on pages."""
    style = get_bank(spec.bank)
    width, height = letter if style.page == "letter" else A4
    lay = _Layout(style, spec, width, height)
    lay.new_page()
    accounts = spec.accounts()
    _first_page_header(lay, accounts)
    _section_title(lay, "Account summary")
    currencies = [acc.currency or spec.currency or style.currency for acc in accounts]
    for account, currency in zip(accounts, currencies, strict=True):
        _summary(lay, account, currency)
    _section_title(lay, "Transaction details")
    for account, currency in zip(accounts, currencies, strict=True):
        if lay.y - 80 < BOTTOM:
            lay.new_page()
            _continuation_header(lay)
        _TableWriter(lay, account, currency, _continuation_header).write()
    return lay


def _draw_page(canvas: Canvas, ops: list[_Text | _Rect]) -> None:
    """Backgrounds first, then one small text object per run (keeps runs apart for text extraction)."""
    for op in ops:
        if isinstance(op, _Rect):
            canvas.setFillColor(HexColor(op.fill))
            canvas.rect(op.x, op.y, op.w, op.h, stroke=0, fill=1)
    color, font = None, None
    for op in ops:
        if isinstance(op, _Rect):
            continue
        if op.color != color:
            canvas.setFillColor(white if op.color == "#FFFFFF" else HexColor(op.color))
            color = op.color
        x = op.x - stringWidth(op.text, op.font, op.size) if op.align == "right" else op.x
        text = canvas.beginText(x, op.y)
        if (op.font, op.size) != font:  # the text font persists across text objects; set it on change only
            text.setFont(op.font, op.size)
            font = (op.font, op.size)
        text.textOut(op.text)
        canvas.drawText(text)


def render_statement(spec: StatementSpec) -> bytes:
    """The PDF bytes of ``spec`` (deterministic: no timestamps or random document ids)."""
    lay = layout_statement(spec)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(lay.width, lay.height), invariant=1)
    canvas.setTitle(f"{lay.style.name} statement")
    canvas.setAuthor(lay.style.name)
    total = len(lay.pages)
    for number, ops in enumerate(lay.pages, start=1):
        _draw_page(canvas, ops)
        canvas.setFillColor(HexColor("#6A7079"))
        canvas.setFont(REGULAR, 7)
        canvas.drawString(MARGIN, 30, lay.style.footer)
        canvas.drawRightString(lay.right, 30, f"Page {number} of {total}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def make_statement_pdf(
    spec: StatementSpec | None = None,
    *,
    seed: int = 0,
    path: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> bytes:
    """Generate a statement PDF.

    Without ``spec``, a realistic random statement is drawn from ``seed`` (see
    :func:`random_statement_spec`; ``overrides`` may hold its options such as ``n_transactions``,
    ``months``, ``n_accounts`` or any :class:`StatementSpec` field). With ``spec``, ``overrides`` replace
    its fields. The bytes are also written to ``path`` when given.
    """
    if spec is None:
        spec = random_statement_spec(seed, **overrides)
    elif overrides:
        spec = dataclasses.replace(spec, **overrides)
    pdf = render_statement(spec)
    if path is not None:
        with open(path, "wb") as handle:
            handle.write(pdf)
    return pdf
