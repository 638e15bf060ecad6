"""Input model of the statement generator: what a statement should contain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

EntryType = Literal["incoming", "outgoing"]
HolderType = Literal["consumer", "business"]
CENT = Decimal("0.01")


def to_money(value: Decimal | float | int | str) -> Decimal:
    """Round any numeric value to a cent-exact :class:`~decimal.Decimal`."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def to_date(value: dt.date | str) -> dt.date:
    """Accept a ``date`` or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def clean_text(text: str) -> str:
    """Collapse whitespace and drop characters the PDF's standard fonts cannot show.

    Assumption: statements use the PDF standard fonts (WinAnsi / cp1252), so other characters become ``?``;
    runs of whitespace become one space. The parser therefore returns descriptions in this normal form.
    """
    encodable = "".join(ch if ch.encode("cp1252", "ignore") else "?" for ch in text)
    return " ".join(encodable.split())


@dataclass(frozen=True)
class StatementAddress:
    """A postal address; ``country`` is an ISO 3166-1 alpha-2 code ("US", "GB", "DE", ...)."""

    street: str
    postcode: str
    city: str
    state: str | None = None
    country: str = "US"


@dataclass(frozen=True)
class StatementTransactionSpec:
    """One statement line: ``amount`` is never negative, the direction is ``entry_type``."""

    date: dt.date
    description: str
    amount: Decimal
    entry_type: EntryType

    def __post_init__(self) -> None:
        object.__setattr__(self, "date", to_date(self.date))
        object.__setattr__(self, "amount", to_money(self.amount))
        object.__setattr__(self, "description", clean_text(self.description))
        if self.amount < 0:
            raise ValueError(f"amount must be >= 0, got {self.amount}")
        if self.entry_type not in ("incoming", "outgoing"):
            raise ValueError(f"entry_type must be incoming or outgoing, got {self.entry_type!r}")
        if not self.description:
            raise ValueError("description must not be empty")

    @property
    def signed_amount(self) -> Decimal:
        """Positive for incoming, negative for outgoing."""
        return self.amount if self.entry_type == "incoming" else -self.amount


@dataclass(frozen=True)
class StatementAccountSpec:
    """One account section of a statement.

    ``misprint_closing_balance`` is added to the *printed* closing balance only, so a non-zero value
    produces a statement that does not reconcile (``is_balance_reconciled`` False).
    """

    account_number: str
    account_type: str = "checking"
    opening_balance: Decimal = Decimal("0.00")
    transactions: Sequence[StatementTransactionSpec] = ()
    currency: str | None = None
    misprint_closing_balance: Decimal = Decimal("0.00")

    def __post_init__(self) -> None:
        object.__setattr__(self, "opening_balance", to_money(self.opening_balance))
        object.__setattr__(self, "misprint_closing_balance", to_money(self.misprint_closing_balance))
        # Statements list lines in date order; the sort is stable, so same-day lines keep their order.
        object.__setattr__(self, "transactions", tuple(sorted(self.transactions, key=lambda t: t.date)))

    @property
    def total_incoming(self) -> Decimal:
        return sum((t.amount for t in self.transactions if t.entry_type == "incoming"), Decimal("0.00"))

    @property
    def total_outgoing(self) -> Decimal:
        return sum((t.amount for t in self.transactions if t.entry_type == "outgoing"), Decimal("0.00"))

    @property
    def closing_balance(self) -> Decimal:
        """The true closing balance: opening + incoming - outgoing."""
        return self.opening_balance + self.total_incoming - self.total_outgoing

    @property
    def printed_closing_balance(self) -> Decimal:
        return self.closing_balance + self.misprint_closing_balance

    def running_balances(self) -> list[Decimal]:
        """The balance after each transaction, in statement order."""
        balance, out = self.opening_balance, []
        for txn in self.transactions:
            balance += txn.signed_amount
            out.append(balance)
        return out


@dataclass(frozen=True)
class StatementSpec:
    """Everything printed on a statement.

    The first account is described by the flat fields (``account_number`` ... ``transactions``), further
    accounts by ``additional_accounts``; :meth:`accounts` returns them all. ``currency`` is the default
    for every account (None = the bank's home currency).
    """

    bank: str = "Chase"
    account_holder_name: str = "Jordan Avery"
    account_holder_type: HolderType = "consumer"
    address: StatementAddress | None = None
    account_number: str = "000000123456789"
    account_type: str = "checking"
    currency: str | None = None
    period_start: dt.date = dt.date(2025, 1, 1)
    period_end: dt.date = dt.date(2025, 1, 31)
    opening_balance: Decimal = Decimal("0.00")
    transactions: Sequence[StatementTransactionSpec] = ()
    misprint_closing_balance: Decimal = Decimal("0.00")
    additional_accounts: Sequence[StatementAccountSpec] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "period_start", to_date(self.period_start))
        object.__setattr__(self, "period_end", to_date(self.period_end))
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        if self.account_holder_type not in ("consumer", "business"):
            raise ValueError(
                f"account_holder_type must be consumer or business: {self.account_holder_type!r}"
            )

    def accounts(self) -> list[StatementAccountSpec]:
        """All account sections, the flat-field account first."""
        first = StatementAccountSpec(
            account_number=self.account_number,
            account_type=self.account_type,
            opening_balance=self.opening_balance,
            transactions=self.transactions,
            currency=self.currency,
            misprint_closing_balance=self.misprint_closing_balance,
        )
        return [first, *self.additional_accounts]
