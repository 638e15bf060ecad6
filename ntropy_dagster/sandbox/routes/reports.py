"""``/v3/reports``: report a wrong enrichment result; create, get, list, delete."""

from __future__ import annotations

import uuid
from typing import Literal

import orjson
from fastapi import APIRouter, HTTPException, Response

from ..context import ApiKey, Ctx
from ..lifecycle import utc_now
from ..listing import ListQuery, list_response, load_one
from ..models import ReportIn
from ..responses import no_content, raw_json

router = APIRouter(tags=["reports"])

ReportStatus = Literal["open", "pending", "resolved", "rejected"]


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
    ctx: Ctx, api_key: ApiKey, params: ListQuery, status: ReportStatus | None = None
) -> Response:
    """Page of reports, newest first."""
    return list_response(
        ctx.store, api_key, params, resource="reports", table="reports", equal={"status": status}
    )


@router.get("/v3/reports/{report_id}")
def get_report(report_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """One report."""
    row = load_one(ctx.store, api_key, table="reports", columns="doc", item_id=report_id, label="Report")
    return raw_json(row[0])


@router.delete("/v3/reports/{report_id}", status_code=204)
def delete_report(report_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Delete a report."""
    if not ctx.store.execute("DELETE FROM reports WHERE api_key = ? AND id = ?", (api_key, report_id)):
        raise HTTPException(404, f"Report with id '{report_id}' not found")
    return no_content()
