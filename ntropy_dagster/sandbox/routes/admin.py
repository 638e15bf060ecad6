"""``/_sandbox/...``: health, fault injection and state manipulation for tests and demos.

Every route except ``GET /_sandbox/health`` needs a configured API key. Jobs and reports are looked up by
id across all keys (ids are UUIDs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import orjson
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from ..._version import __version__
from ..context import ApiKey, Ctx
from ..lifecycle import BATCH_COLUMNS, STATEMENT_COLUMNS, batch_view, iso, now_ts, statement_view

router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"])


class FaultsIn(BaseModel):
    """Body of ``PUT /_sandbox/faults``: only the fields present change."""

    model_config = ConfigDict(extra="forbid")

    rate_limit: bool | None = None
    rate_limits: dict[str, float] | None = None
    error_rate: float | None = Field(None, ge=0, le=1)
    error_statuses: list[int] | None = None
    latency_ms: int | None = Field(None, ge=0)
    response_delay_ms: int | None = Field(None, ge=0)
    seed: int | None = None


class BurstIn(BaseModel):
    """Body of ``POST /_sandbox/faults/burst``: answer the next ``count`` API requests with ``status``."""

    status: int = Field(429, ge=400, le=599)
    count: int = Field(1, ge=1)
    retry_after: int | None = Field(1, ge=0)


class FailIn(BaseModel):
    """Body of the ``fail`` routes (all optional)."""

    code: str = "internal_error"
    message: str = "Failure injected by the sandbox"


class ReportStatusIn(BaseModel):
    """Body of ``POST /_sandbox/reports/{id}/status``."""

    status: Literal["open", "pending", "resolved", "rejected"]
    rejection_reason: str | None = None


def _faults_view(ctx: Ctx) -> dict[str, Any]:
    return {**ctx.faults.config.as_dict(), "bursts": ctx.faults.pending_bursts()}


@router.get("/health")
def health(ctx: Ctx) -> dict[str, Any]:
    """Liveness probe (no authentication)."""
    return {"status": "ok", "version": __version__, "db_path": ctx.store.path}


@router.get("/faults")
def get_faults(ctx: Ctx, api_key: ApiKey) -> dict[str, Any]:
    """Fault settings in force and pending bursts."""
    del api_key
    return _faults_view(ctx)


@router.put("/faults")
def put_faults(body: FaultsIn, ctx: Ctx, api_key: ApiKey) -> dict[str, Any]:
    """Change fault settings (fields omitted keep their value)."""
    del api_key
    ctx.faults.update({name: getattr(body, name) for name in body.model_fields_set})
    return _faults_view(ctx)


@router.delete("/faults")
def reset_faults(ctx: Ctx, api_key: ApiKey) -> dict[str, Any]:
    """Back to the fault settings the server started with."""
    del api_key
    ctx.faults.reset()
    return _faults_view(ctx)


@router.post("/faults/burst")
def add_burst(body: BurstIn, ctx: Ctx, api_key: ApiKey) -> dict[str, Any]:
    """The next ``count`` ``/v3`` requests (any key) get ``status`` (with ``Retry-After`` if set)."""
    del api_key
    ctx.faults.add_burst(body.status, body.count, body.retry_after)
    return _faults_view(ctx)


#: Job kinds whose status can be forced: table, columns, view, label.
_JOBS: dict[str, tuple[str, str, Callable[[tuple[Any, ...]], dict[str, Any]], str]] = {
    "batches": ("batches", BATCH_COLUMNS, batch_view, "Batch"),
    "bank_statements": ("bank_statements", STATEMENT_COLUMNS, statement_view, "Bank statement"),
}


def _job_update(
    ctx: Ctx, kind: str, job_id: str, assignments: str, values: tuple[Any, ...]
) -> dict[str, Any]:
    table, columns, view, label = _JOBS[kind]
    if not ctx.store.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", (*values, job_id)):
        raise HTTPException(404, f"{label} with id '{job_id}' not found")
    row = ctx.store.query_one(f"SELECT {columns} FROM {table} WHERE id = ?", (job_id,))
    assert row is not None
    return view(row)


@router.post("/{kind}/{job_id}/fail")
def fail_job(
    kind: Literal["batches", "bank_statements"],
    job_id: str,
    ctx: Ctx,
    api_key: ApiKey,
    body: FailIn | None = None,
) -> dict[str, Any]:
    """Force a batch or bank statement into status ``error`` now, with this code and message.

    Fires ``batches.error`` / ``bank_statements.error``.
    """
    del api_key
    body = body or FailIn()
    return _job_update(
        ctx,
        kind,
        job_id,
        "error_at = ?, error_code = ?, error_message = ?",
        (now_ts(), body.code, body.message),
    )


@router.post("/{kind}/{job_id}/complete")
def complete_job(
    kind: Literal["batches", "bank_statements"], job_id: str, ctx: Ctx, api_key: ApiKey
) -> dict[str, Any]:
    """Finish a processing batch or bank statement now."""
    del api_key
    return _job_update(ctx, kind, job_id, "done_at = MIN(done_at, ?)", (now_ts(),))


@router.post("/reports/{report_id}/status")
def set_report_status(report_id: str, body: ReportStatusIn, ctx: Ctx, api_key: ApiKey) -> dict[str, Any]:
    """Move a report to another status (fires ``reports.<status>``)."""
    del api_key
    with ctx.store.transaction() as conn:
        row = conn.execute("SELECT doc FROM reports WHERE id = ?", (report_id,)).fetchone()
        if row is None:
            raise HTTPException(404, f"Report with id '{report_id}' not found")
        doc = {**orjson.loads(row[0]), "status": body.status, "rejection_reason": body.rejection_reason}
        conn.execute(
            "UPDATE reports SET status = ?, doc = ? WHERE id = ?", (body.status, orjson.dumps(doc), report_id)
        )
    return doc


@router.get("/webhook_deliveries")
def webhook_deliveries(ctx: Ctx, api_key: ApiKey) -> list[dict[str, Any]]:
    """Deliveries of this key's events, oldest first (for debugging webhooks)."""
    rows = ctx.store.query(
        "SELECT e.event_id, e.event_type, d.webhook_id, d.status, d.attempts, d.last_error "
        "FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE e.api_key = ? ORDER BY d.seq",
        (api_key,),
    )
    keys = ("event_id", "event_type", "webhook_id", "status", "attempts", "last_error")
    return [dict(zip(keys, row, strict=True)) for row in rows]


@router.post("/reset")
def reset(ctx: Ctx, api_key: ApiKey) -> dict[str, Any]:
    """Delete all data (every key), restore the start-up fault settings and start new stats."""
    del api_key
    ctx.store.reset()
    ctx.faults.reset()
    _reset_stats(ctx)
    return {"status": "reset"}


def _reset_stats(ctx: Ctx) -> None:
    ctx.rejections.reset()
    if ctx.limits is not None:
        ctx.limits.reset()


@router.get("/stats")
def stats(ctx: Ctx, api_key: ApiKey) -> dict[str, Any]:
    """What the sandbox measured since it started (or since the last ``DELETE /_sandbox/stats``).

    * ``requests_429``: every 429 answered, by endpoint (``"METHOD /path/{param}"``) and reason
      (``credits``, ``concurrent_operations``, ``endpoint_rate_limit``, ``injected``);
    * ``realistic_limits``: the limits in force (``null`` outside the realistic-limits mode);
    * ``keys`` (realistic-limits mode): per API key, ``credits`` (used, available now, capacity, scaled
      refill) and ``operations`` (slots: in flight, peak, ``busy_seconds`` summed over the slots and
      ``busy_share`` = busy seconds / (slots x elapsed seconds), batches started and their transactions).
    """
    del api_key
    limits = ctx.limits
    now = now_ts()
    since = limits.since if limits is not None else ctx.rejections.since
    return {
        "since": iso(since),
        "now": iso(now),
        "elapsed_seconds": now - since,
        "realistic_limits": limits.limits.as_dict() if limits is not None else None,
        "requests_429": ctx.rejections.view(),
        "keys": limits.stats(ctx.config.api_keys) if limits is not None else {},
    }


@router.delete("/stats")
def reset_stats(ctx: Ctx, api_key: ApiKey) -> dict[str, Any]:
    """Start a new measurement window: 429 counts cleared, credit buckets full, credits used 0."""
    del api_key
    _reset_stats(ctx)
    return {"status": "reset"}
