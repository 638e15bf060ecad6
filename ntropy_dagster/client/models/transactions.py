"""Transaction input and enriched transaction models (contract §2.1, §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ntropy_dagster.client.models._common import (
    CountryCode,
    CurrencyCode,
    EntryType,
    Identifier,
    InputModel,
    IsoDate,
    ResponseModel,
)
from ntropy_dagster.client.models.entities import Entity

__all__ = [
    "Categories",
    "Counterparty",
    "EnrichedTransaction",
    "Entities",
    "Intermediary",
    "Location",
    "LocationOutput",
    "StructuredLocation",
    "Transaction",
    "TransactionError",
    "TransactionInput",
]


class Location(InputModel):
    """Where a transaction happened, as sent with the input."""

    raw_address: str | None = None
    country: CountryCode | None = None


class TransactionInput(InputModel):
    """One transaction to enrich: the body of ``POST /v3/transactions`` and each item of a batch.

    Validated client side as the contract says: ``amount`` finite and >= 0, ``description`` up to 1024
    characters, ``date`` as ``YYYY-MM-DD``, ``currency`` an uppercase ISO 4217 code, ``entry_type``
    ``incoming``/``outgoing`` (``credit``/``debit`` are mapped), ``id`` 1..256 characters without control
    characters.
    """

    id: Identifier
    description: str = Field(max_length=1024)
    date: IsoDate
    amount: float = Field(ge=0, allow_inf_nan=False)
    entry_type: EntryType
    currency: CurrencyCode
    # Assumption: account holder ids follow the account holder rule (an Identifier).
    account_holder_id: Identifier | None = None
    location: Location | None = None


class Counterparty(Entity):
    """The other party of a transaction."""

    type: Literal["person", "organization"] | None = None


class Intermediary(Entity):
    """A payment processor or delivery app acting for the account holder."""


class Entities(ResponseModel):
    """Entities found in a transaction."""

    counterparty: Counterparty | None = None
    intermediaries: list[Intermediary] = Field(default_factory=list)


class Categories(ResponseModel):
    """The categories of a transaction (``accounting`` only for business account holders)."""

    general: str | None = None
    accounting: str | None = None


class StructuredLocation(ResponseModel):
    """A parsed address."""

    street: str | None = None
    city: str | None = None
    state: str | None = None
    postcode: str | None = None
    country_code: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    google_maps_url: str | None = None
    apple_maps_url: str | None = None
    store_number: str | None = None
    house_number: str | None = None


class LocationOutput(ResponseModel):
    """The location of an enriched transaction."""

    raw_address: str | None = None
    structured: StructuredLocation | None = None


class TransactionError(ResponseModel):
    """A per-transaction failure (``account_holder_not_found``, ``internal_error``)."""

    code: str
    message: str | None = None


class EnrichedTransaction(ResponseModel):
    """The enrichment of one transaction (``POST /v3/transactions``, batch results)."""

    id: str
    created_at: datetime | None = None
    entities: Entities | None = None
    categories: Categories | None = None
    location: LocationOutput | None = None
    error: TransactionError | None = None


class Transaction(EnrichedTransaction):
    """A stored transaction: input fields plus enrichment (``GET /v3/transactions[/{id}]``)."""

    description: str | None = None
    date: IsoDate | None = None
    amount: float | None = None
    entry_type: EntryType | None = None
    currency: str | None = None
    account_holder_id: str | None = None
