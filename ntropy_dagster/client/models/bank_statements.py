"""Bank statement models (contract §2.4)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ntropy_dagster.client.models._common import EntryType, IsoDate, ResponseModel
from ntropy_dagster.client.models.transactions import Location, TransactionInput

__all__ = [
    "BankStatementAccount",
    "BankStatementError",
    "BankStatementFile",
    "BankStatementJob",
    "BankStatementResults",
    "BankStatementTransaction",
    "StatementAccountHolder",
    "StatementAccountInfo",
    "StatementAddress",
    "StatementInfo",
]


class BankStatementFile(ResponseModel):
    """The uploaded file."""

    no_pages: int | None = None
    size: int | None = None


class BankStatementError(ResponseModel):
    """Why a bank statement job failed."""

    code: str | None = None
    message: str | None = None


class BankStatementJob(ResponseModel):
    """An uploaded bank statement being (or done being) extracted."""

    id: str
    name: str | None = None
    status: str
    created_at: datetime | None = None
    file: BankStatementFile | None = None
    error: BankStatementError | None = None


class BankStatementTransaction(ResponseModel):
    """A transaction extracted from a statement."""

    id: str
    description: str
    date: IsoDate
    amount: float = Field(ge=0)
    entry_type: EntryType
    currency: str
    running_balance: float | None = None
    page_number: int | None = None

    def to_transaction_input(
        self, *, account_holder_id: str | None = None, location: Location | None = None
    ) -> TransactionInput:
        """This transaction as an input for enrichment."""
        return TransactionInput(
            id=self.id,
            description=self.description,
            date=self.date,
            amount=self.amount,
            entry_type=self.entry_type,
            currency=self.currency,
            account_holder_id=account_holder_id,
            location=location,
        )


class BankStatementAccount(ResponseModel):
    """One account found in a statement, with its transactions."""

    number: str | None = None
    opening_balance: float | None = None
    closing_balance: float | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    is_balance_reconciled: bool | None = None
    total_incoming: float | None = None
    total_outgoing: float | None = None
    transactions: list[BankStatementTransaction] = Field(default_factory=list)


class BankStatementResults(ResponseModel):
    """``GET /v3/bank_statements/{id}/results``."""

    accounts: list[BankStatementAccount] = Field(default_factory=list)


class StatementAddress(ResponseModel):
    """A postal address in a statement header."""

    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


class StatementAccountHolder(ResponseModel):
    """The account holder named on a statement."""

    type: str | None = None
    name: str | None = None
    address: StatementAddress | None = None


class StatementAccountInfo(ResponseModel):
    """An account summary from the first page of a statement."""

    type: str | None = None
    number: str | None = None
    opening_balance: float | None = None
    closing_balance: float | None = None
    iso_currency_code: str | None = None


class StatementInfo(ResponseModel):
    """``POST /v3/bank_statements/{id}/verify``: fast extraction from the first page."""

    institution: str | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    account_holder: StatementAccountHolder | None = None
    accounts: list[StatementAccountInfo] = Field(default_factory=list)
