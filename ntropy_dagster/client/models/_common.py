"""Shared model bases and field types.

Responses use :class:`ResponseModel`: unknown fields are kept (``extra="allow"``) so a newer API never
breaks parsing, and the id of the request that produced the object is available as ``.request_id``.
Request bodies use :class:`InputModel`: unknown fields are rejected so typos surface before sending.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
)
from pydantic_core import PydanticCustomError

from ntropy_dagster.client.models._currencies import ISO_4217_CURRENCIES

__all__ = [
    "AccountHolderType",
    "CountryCode",
    "CurrencyCode",
    "EntryType",
    "Identifier",
    "InputModel",
    "IsoDate",
    "Page",
    "ResponseModel",
]


class ResponseModel(BaseModel):
    """Base of every response model: tolerant of unknown fields, carries the response's request id."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    _request_id: str | None = PrivateAttr(default=None)

    @property
    def request_id(self) -> str | None:
        """The ``X-Request-ID`` of the HTTP response this object was parsed from."""
        return self._request_id


class InputModel(BaseModel):
    """Base of request bodies: strict about unknown fields, serialised without unset optionals."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _to_date(value: Any) -> Any:
    if isinstance(value, datetime):
        raise PydanticCustomError("date_type", "Input should be a date in YYYY-MM-DD format, not a datetime")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date_format", "Input should be a valid date in YYYY-MM-DD format")


IsoDate = Annotated[
    date,
    BeforeValidator(_to_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json"),
]
"""A calendar date given as ``datetime.date`` or a ``YYYY-MM-DD`` string."""


def _to_currency(value: Any) -> Any:
    if not isinstance(value, str) or value not in ISO_4217_CURRENCIES:
        raise PydanticCustomError(
            "currency", "Input should be an ISO 4217 currency code of 3 uppercase letters"
        )
    return value


CurrencyCode = Annotated[str, BeforeValidator(_to_currency)]
"""An ISO 4217 alphabetic currency code (``USD``, ``EUR``...), uppercase."""

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]
"""An ISO 3166-1 alpha-2 country, optionally with an ISO 3166-2 subdivision (``US``, ``US-CA``)."""

_ENTRY_ALIASES = {"credit": "incoming", "debit": "outgoing"}


def _to_entry_type(value: Any) -> Any:
    return _ENTRY_ALIASES.get(value, value) if isinstance(value, str) else value


EntryType = Annotated[Literal["incoming", "outgoing"], BeforeValidator(_to_entry_type)]
"""``incoming`` or ``outgoing``; the legacy ``credit``/``debit`` are accepted and mapped to them."""

AccountHolderType = Literal["consumer", "business"]


#: The Unicode category Cc ("control"): C0 controls, DEL and C1 controls.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


def _no_control_characters(value: str) -> str:
    found = _CONTROL_CHARACTER.search(value)  # one C-level scan: ids are validated by the hundred thousand
    if found is not None:
        raise PydanticCustomError(
            "control_character",
            "Input should not contain control characters (found {code} at position {position})",
            {"code": f"U+{ord(found.group()):04X}", "position": found.start()},
        )
    return value


Identifier = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_no_control_characters)]
"""An id the caller chooses (transaction, account holder): 1 to 256 characters, no control characters.

Assumption: the contract limits ids to 1-256 characters and says nothing of their characters. An id with a
newline or another control character is accepted by the API's create endpoints but breaks every later
call that puts it in a URL path (``/v3/account_holders/{id}/...`` answers 404), so it is rejected here,
before anything is sent, with the position of the character.
"""

T = TypeVar("T")


class Page(ResponseModel, Generic[T]):
    """One page of a list endpoint: ``data`` and the ``next_cursor`` (None on the last page)."""

    next_cursor: str | None = None
    data: list[T] = Field(default_factory=list)
