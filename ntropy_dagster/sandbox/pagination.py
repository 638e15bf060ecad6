"""Cursor pagination and datetime query parameters shared by every list endpoint."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from .store import Store

DEFAULT_LIMIT = 100  # ntropy-api.md §6.15: generous default, later SDK pages are sent without a limit
MAX_LIMIT = 1000
# "+00:00" sent unencoded in a query string arrives as " 00:00"
_LOST_PLUS = re.compile(r"^(.*\d)\s(\d{2}:?\d{2})$")


def parse_datetime_param(value: str | None, name: str) -> float | None:
    """Epoch seconds of a datetime query parameter (``T`` or space separator, offset optional, naive=UTC)."""
    if value is None or value == "":
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    match = _LOST_PLUS.match(text)
    if match and (" " in match.group(1) or "T" in match.group(1)):
        text = f"{match.group(1)}+{match.group(2)}"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RequestValidationError(
            [
                {
                    "type": "datetime_from_date_parsing",
                    "loc": ["query", name],
                    "msg": "Input should be a valid datetime",
                    "input": value,
                }
            ]
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


@dataclass(frozen=True)
class PageRequest:
    """A resolved list request: the filters in force, the position after which to read, the page size."""

    resource: str
    filters: Mapping[str, Any]
    before_seq: int | None
    limit: int


def page_request(
    resource: str, cursor: str | None, limit: int | None, filters: Mapping[str, Any]
) -> PageRequest:
    """Combine query parameters and an optional cursor.

    A cursor carries every filter of the first request (the SDK drops some of them on later pages), so
    its filters replace whatever the later request sends.
    """
    if limit is None:
        limit = DEFAULT_LIMIT
    if limit <= 0:
        raise RequestValidationError(
            [
                {
                    "type": "greater_than",
                    "loc": ["query", "limit"],
                    "msg": "Input should be greater than 0",
                    "input": limit,
                    "ctx": {"gt": 0},
                }
            ]
        )
    # Assumption: a limit above the maximum is clamped rather than rejected.
    limit = min(limit, MAX_LIMIT)
    if not cursor:
        return PageRequest(resource, dict(filters), None, limit)
    state = decode_cursor(cursor)
    if state.get("r") != resource:
        raise HTTPException(400, "Invalid cursor: it belongs to another list")
    return PageRequest(resource, state.get("f", {}), int(state["s"]), limit)


def encode_cursor(resource: str, filters: Mapping[str, Any], seq: int) -> str:
    """Opaque cursor string."""
    raw = orjson.dumps({"r": resource, "f": dict(filters), "s": seq})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Inverse of :func:`encode_cursor`; 400 on anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        state = orjson.loads(raw)
        if not isinstance(state, dict) or not isinstance(state.get("s"), int):
            raise ValueError
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise HTTPException(400, "Invalid cursor") from None
    return state


def time_filters(filters: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """SQL conditions for ``created_after`` (inclusive) and ``created_before`` (exclusive)."""
    where: list[str] = []
    params: list[Any] = []
    if filters.get("created_after") is not None:
        where.append("ts >= ?")
        params.append(filters["created_after"])
    if filters.get("created_before") is not None:
        where.append("ts < ?")
        params.append(filters["created_before"])
    return where, params


def fetch_page(
    store: Store,
    req: PageRequest,
    *,
    table: str,
    columns: str,
    api_key: str,
    where: Sequence[str] = (),
    params: Sequence[Any] = (),
) -> tuple[list[tuple[Any, ...]], str | None]:
    """Rows of one page, newest first (``seq`` first in each row), and the next cursor (``None`` at the end).

    One row more than the page is read, so a cursor is only returned when another non-empty page exists.
    """
    conditions = ["api_key = ?", *where]
    values: list[Any] = [api_key, *params]
    if req.before_seq is not None:
        conditions.append("seq < ?")
        values.append(req.before_seq)
    sql = f"SELECT seq, {columns} FROM {table} WHERE {' AND '.join(conditions)} ORDER BY seq DESC LIMIT ?"
    rows = store.query(sql, [*values, req.limit + 1])
    if len(rows) <= req.limit:
        return rows, None
    rows = rows[: req.limit]
    return rows, encode_cursor(req.resource, req.filters, rows[-1][0])
