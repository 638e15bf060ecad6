"""Request bodies accepted by the sandbox (pydantic; unknown fields ignored, explicit nulls accepted)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from ntropy_dagster.client.models._currencies import ISO_4217_CURRENCIES
from ntropy_dagster.client.models.webhooks import WebhookEvent

#: ISO 4217 codes accepted as ``currency``: the client's list, so client and server enforce one contract.
# Assumption: the live API validates against the ISO 4217 list; the exact enum is not published.
ISO_4217 = ISO_4217_CURRENCIES

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LocationIn(_Body):
    """Location hint of a transaction."""

    raw_address: str | None = None
    country: str | None = Field(None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


class TransactionIn(_Body):
    """One transaction to enrich (``POST /v3/transactions`` and each batch item)."""

    # Assumption: ids are limited to 256 characters like account-holder ids (the contract names no bound).
    id: str = Field(min_length=1, max_length=256)
    description: str = Field(max_length=1024)
    date: str
    amount: float = Field(ge=0, allow_inf_nan=False)
    entry_type: Literal["incoming", "outgoing", "credit", "debit"]
    currency: str
    account_holder_id: str | None = Field(None, min_length=1, max_length=256)
    location: LocationIn | None = None

    @field_validator("date")
    @classmethod
    def _valid_date(cls, value: str) -> str:
        if not _DATE_RE.match(value):
            raise ValueError("date must be formatted as YYYY-MM-DD")
        dt.date.fromisoformat(value)
        return value

    @field_validator("currency")
    @classmethod
    def _valid_currency(cls, value: str) -> str:
        if value not in ISO_4217:
            raise ValueError("currency must be an ISO 4217 currency code")
        return value

    def to_input(self) -> dict[str, Any]:
        """Plain dict handed to the enrichment engine; ``credit``/``debit`` become ``incoming``/``outgoing``.

        Assumption: the legacy aliases are normalised (credit = money in, debit = money out).
        """
        entry_type = {"credit": "incoming", "debit": "outgoing"}.get(self.entry_type, self.entry_type)
        return {
            "id": self.id,
            "description": self.description,
            "date": self.date,
            "amount": self.amount,
            "entry_type": entry_type,
            "currency": self.currency,
            "account_holder_id": self.account_holder_id,
            "location": self.location.model_dump() if self.location is not None else None,
        }


TRANSACTION_LIST = TypeAdapter(list[TransactionIn])


class AccountHolderIn(_Body):
    """Body of ``POST /v3/account_holders``."""

    id: str = Field(min_length=1, max_length=256)
    type: Literal["consumer", "business"]
    name: str | None = None
    category_id: str | None = Field(None, min_length=1, max_length=256)


class AssignIn(_Body):
    """Body of ``POST /v3/transactions/{id}/assign``."""

    account_holder_id: str = Field(min_length=1, max_length=256)


class EntityResolveIn(_Body):
    """Body of ``POST /v3/entities/resolve``."""

    name: str | None = None
    website: str | None = None
    location: str | None = None


class WebhookIn(_Body):
    """Body of ``POST /v3/webhooks``."""

    url: str = Field(min_length=1, max_length=1024)
    events: list[WebhookEvent] = Field(min_length=1)
    token: str | None = Field(None, max_length=128)
    hmac_secret: str | None = Field(None, max_length=1024)

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        if not _URL_RE.match(value):
            raise ValueError("url must be an absolute http(s) URL")
        return value


class WebhookPatch(_Body):
    """Body of ``PATCH /v3/webhooks/{id}`` (only the fields present are changed)."""

    url: str | None = Field(None, min_length=1, max_length=1024)
    events: list[WebhookEvent] | None = Field(None, min_length=1)
    token: str | None = Field(None, max_length=128)
    enabled: bool | None = None
    hmac_secret: str | None = Field(None, max_length=1024)

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        if value is not None and not _URL_RE.match(value):
            raise ValueError("url must be an absolute http(s) URL")
        return value


class ReportIn(_Body):
    """Body of ``POST /v3/reports``."""

    transaction_id: str = Field(min_length=1)
    description: str
    fields: list[str]


class CategorySetIn(_Body):
    """Body of ``POST /v3/categories/{id}``."""

    incoming: list[str]
    outgoing: list[str]


def validation_errors(exc: ValidationError, prefix: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """FastAPI-style error items (``loc`` prefixed, e.g. ``("body", "data")``) from a pydantic error."""
    items: list[dict[str, Any]] = []
    for err in exc.errors(include_url=False):
        item: dict[str, Any] = {
            "type": err["type"],
            "loc": [*prefix, *err["loc"]],
            "msg": err["msg"],
            "input": err.get("input"),
        }
        ctx = err.get("ctx")
        if ctx:
            item["ctx"] = {
                k: (v if isinstance(v, (str, int, float, bool)) else str(v)) for k, v in ctx.items()
            }
        items.append(item)
    return items
