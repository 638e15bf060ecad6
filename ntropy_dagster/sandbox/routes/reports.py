"""``/v3/reports``: report a wrong enrichment result; create, get, list, delete."""

from __future__ import annotations

import uuid

import orjson
from fastapi import APIRouter, HTTPException, Response
from fastapi.exceptions import RequestValidationError

from ..context import ApiKey, Ctx
from ..lifecycle import utc_now
from ..models import ReportIn
from ..pagination import fetch_page, page_request, parse_datetime_param, time_filters
from ..responses import no_content, page, raw_json

router = APIRouter(tags=["reports"])

REPORT_STATUSES = ("open", "pending", "resolved", "rejected")


@router.post("/v3/reports")
def create_report(body: ReportIn, ctx: Ctx, api_key: ApiKey) -> Response:
    """File a report; it starts ``open`` (``/_sandbox/reports/{id}/status`` moves it on).

    Assumption: the transaction id is not checked against stored transactions.
    """
    ts, created_at = utc_now()
    doc = {
        "id": str(uuid.uuid4()),
        "created_at": created_at,
        "status": "open",
        "rejection_reason": None,
        "transaction_id": body.transaction_id,
        "description": body.description,
        "fields": body.fields,
    }
    ctx.store.execute(
        "INSERT INTO reports (api_key, id, ts, status, doc) VALUES (?, ?, ?, ?, ?)",
        (api_key, doc["id"], ts, "open", orjson.dumps(doc)),
    )
    return raw_json(orjson.dumps(doc))


@router.get("/v3/reports")
def list_reports(
    ctx: Ctx,
    api_key: ApiKey,
    created_before: str | None = None,
    created_after: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Response:
    """Page of reports, newest first."""
    if status is not None and status not in REPORT_STATUSES:
        raise RequestValidationError(
            [
                {
                    "type": "enum",
                    "loc": ["query", "status"],
                    "msg": f"Input should be one of {REPORT_STATUSES}",
                    "input": status,
                }
            ]
        )
    filters = {
        "created_after": parse_datetime_param(created_after, "created_after"),
        "created_before": parse_datetime_param(created_before, "created_before"),
        "status": status,
    }
    req = page_request("reports", cursor, limit, filters)
    where, params = time_filters(req.filters)
    if req.filters.get("status"):
        where.append("status = ?")
        params.append(req.filters["status"])
    rows, next_cursor = fetch_page(
        ctx.store, req, table="reports", columns="doc", api_key=api_key, where=where, params=params
    )
    return page([row[1] for row in rows], next_cursor)


@router.get("/v3/reports/{report_id}")
def get_report(report_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """One report."""
    row = ctx.store.query_one("SELECT doc FROM reports WHERE api_key = ? AND id = ?", (api_key, report_id))
    if row is None:
        raise HTTPException(404, f"Report with id '{report_id}' not found")
    return raw_json(row[0])


@router.delete("/v3/reports/{report_id}", status_code=204)
def delete_report(report_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Delete a report."""
    if not ctx.store.execute("DELETE FROM reports WHERE api_key = ? AND id = ?", (api_key, report_id)):
        raise HTTPException(404, f"Report with id '{report_id}' not found")
    return no_content()
