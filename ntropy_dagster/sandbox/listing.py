"""The shared implementation of every ``GET`` collection endpoint (filters, cursor, page body)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, HTTPException, Response

from .lifecycle import status_sql
from .pagination import fetch_page, page_request, parse_datetime_param, time_filters
from .responses import page
from .store import Store


@dataclass
class ListParams:
    """Query parameters common to the list endpoints."""

    created_before: str | None = None
    created_after: str | None = None
    cursor: str | None = None
    limit: int | None = None


ListQuery = Annotated[ListParams, Depends()]


def list_response(
    store: Store,
    api_key: str,
    params: ListParams,
    *,
    resource: str,
    table: str,
    columns: str = "doc",
    equal: Mapping[str, Any] | None = None,
    job_status: str | None = None,
    render: Callable[[tuple[Any, ...]], dict[str, Any]] | None = None,
) -> Response:
    """One page of ``table`` for ``api_key``, newest first.

    ``equal`` holds column filters (``None`` values are ignored); ``job_status`` filters on the status
    derived from ``done_at``/``error_at``. All filters travel inside the cursor. Rows are sent as stored
    (``columns="doc"``) or through ``render``.
    """
    filters: dict[str, Any] = {
        "created_after": parse_datetime_param(params.created_after, "created_after"),
        "created_before": parse_datetime_param(params.created_before, "created_before"),
        **(equal or {}),
    }
    if job_status is not None:
        filters["job_status"] = job_status
    req = page_request(resource, params.cursor, params.limit, filters)
    where, values = time_filters(req.filters)
    for name, value in req.filters.items():
        if value is None or name in ("created_after", "created_before"):
            continue
        if name == "job_status":
            condition, extra = status_sql(value)
            where.append(condition)
            values.extend(extra)
        else:
            where.append(f"{name} = ?")
            values.append(value)
    rows, next_cursor = fetch_page(
        store, req, table=table, columns=columns, api_key=api_key, where=where, params=values
    )
    if render is None:
        return page([row[1] for row in rows], next_cursor)
    return page([orjson.dumps(render(row[1:])) for row in rows], next_cursor)


def load_one(
    store: Store, api_key: str, *, table: str, columns: str, item_id: str, label: str
) -> tuple[Any, ...]:
    """``columns`` of the key's row with this id, or a 404 ``"<label> with id '<id>' not found"``."""
    row = store.query_one(f"SELECT {columns} FROM {table} WHERE api_key = ? AND id = ?", (api_key, item_id))
    if row is None:
        raise HTTPException(404, f"{label} with id '{item_id}' not found")
    return row
