"""Account holder and recurrence models (contract §2.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Field

from ntropy_dagster.client.models._common import (
    AccountHolderType,
    EntryType,
    Identifier,
    InputModel,
    IsoDate,
    ResponseModel,
)
from ntropy_dagster.client.models.transactions import Categories, Counterparty

__all__ = ["AccountHolder", "AccountHolderCreate", "Periodicity", "RecurrenceGroup"]


class AccountHolderCreate(InputModel):
    """Body of ``POST /v3/account_holders``."""

    id: Identifier
    type: AccountHolderType
    name: str | None = None
    category_id: str | None = None


class AccountHolder(ResponseModel):
    """The owner of transactions; its ``type`` selects the category set."""

    id: str
    type: str
    name: str | None = None
    category_id: str | None = None
    created_at: datetime | None = None


def _hyphenate(value: Any) -> Any:
    return value.replace("_", "-") if isinstance(value, str) else value


PeriodicityValue = Literal[
    "daily",
    "weekly",
    "bi-weekly",
    "semi-monthly",
    "monthly",
    "bi-monthly",
    "quarterly",
    "semi-yearly",
    "yearly",
    "other",
]
"""Every periodicity value of the v3 contract, hyphenated as the API (and SDK 5.7.0) spells them."""

PERIODICITIES: tuple[str, ...] = get_args(PeriodicityValue)
"""The values of :data:`PeriodicityValue`, in contract order."""

Periodicity = Annotated[PeriodicityValue, BeforeValidator(_hyphenate)]
"""How often a recurrence repeats; ``bi_weekly`` style spellings (SDK <= 5.5) are normalised to hyphens."""


class RecurrenceGroup(ResponseModel):
    """A group of recurring transactions with one counterparty."""

    id: str
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    total_amount: float | None = None
    average_amount: float | None = None
    periodicity_in_days: float | None = None
    periodicity: Periodicity | None = None
    counterparty: Counterparty | None = None
    categories: Categories | None = None
    transaction_ids: list[str] = Field(default_factory=list)
    entry_type: EntryType | None = None
