"""``/v3/batches``: asynchronous enrichment of up to 24,960 transactions.

Items are validated and enriched when the batch is submitted; the stored row records when processing
"started" and when it will be done (``total / rate``, or the modelled processing time in the
realistic-limits mode), so status and progress are derived on read.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ..context import ApiKey, Ctx, SandboxContext
from ..faults import Fault
from ..lifecycle import BATCH_COLUMNS, ERROR, PROCESSING, JobStatus, batch_view, now_ts, utc_now
from ..limits import BATCH_ENDPOINT, Admission
from ..listing import ListQuery, list_response, load_one
from ..models import TRANSACTION_LIST, validation_errors
from ..responses import error_response, raw_json

router = APIRouter(tags=["batches"])

MAX_BATCH_ITEMS = 24_960
OPERATION = "POST /v3/transactions"
PRIORITIES = ("default", "low")


def _body_error(loc: list[Any], msg: str, value: Any, type_: str = "value_error") -> RequestValidationError:
    return RequestValidationError([{"type": type_, "loc": ["body", *loc], "msg": msg, "input": value}])


def parse_batch_body(raw: bytes) -> tuple[str, str, list[dict[str, Any]]]:
    """Validate operation, priority and every item (422 naming index and field; 413 if too many)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _body_error([exc.pos], "JSON decode error", None, "json_invalid") from None
    if not isinstance(body, dict):
        raise _body_error([], "Input should be a valid dictionary", body, "model_attributes_type")
    operation = body.get("operation") or OPERATION
    if operation != OPERATION:
        raise _body_error(["operation"], f"Input should be '{OPERATION}'", operation, "literal_error")
    priority = body.get("priority") or "default"
    if priority not in PRIORITIES:
        raise _body_error(["priority"], "Input should be 'default' or 'low'", priority, "enum")
    data = body.get("data")
    if not isinstance(data, list):
        raise _body_error(
            ["data"], "Field required" if data is None else "Input should be a valid list", data
        )
    if len(data) > MAX_BATCH_ITEMS:
        raise HTTPException(413, f"A batch holds at most {MAX_BATCH_ITEMS} transactions, got {len(data)}")
    if not data:
        # Assumption: an empty batch is rejected (nothing to process).
        raise _body_error(["data"], "List should have at least 1 item after validation", data, "too_short")
    try:
        items = TRANSACTION_LIST.validate_python(data)
    except ValidationError as exc:
        raise RequestValidationError(validation_errors(exc, ("body", "data"))) from None
    return operation, priority, [item.to_input() for item in items]


def _load_batch(ctx: SandboxContext, api_key: str, batch_id: str) -> tuple[Any, ...]:
    return load_one(
        ctx.store, api_key, table="batches", columns=BATCH_COLUMNS, item_id=batch_id, label="Batch"
    )


def _submit(ctx: SandboxContext, api_key: str, raw: bytes) -> dict[str, Any] | Fault:
    """Validate, admit (realistic-limits mode: a slot and the credits, else the 429 to answer), enrich, store."""
    operation, priority, inputs = parse_batch_body(raw)
    admission: Admission | None = None
    if ctx.limits is not None:
        outcome = ctx.limits.admit(api_key, len(inputs))
        if isinstance(outcome, Fault):
            ctx.rejections.record(BATCH_ENDPOINT, outcome.reason)
            return outcome
        admission = outcome
    try:
        return _enrich_and_store(ctx, api_key, operation, priority, inputs, admission)
    finally:
        if admission is not None and ctx.limits is not None:
            ctx.limits.release(admission)


def _enrich_and_store(
    ctx: SandboxContext,
    api_key: str,
    operation: str,
    priority: str,
    inputs: list[dict[str, Any]],
    admission: Admission | None,
) -> dict[str, Any]:
    _, created_at = utc_now()
    enriched, docs = ctx.processor.enrich(api_key, inputs, created_at=created_at)
    results = orjson.dumps(enriched)
    batch_id = str(uuid.uuid4())
    rate = ctx.config.rate
    storing = (
        ctx.limits.storing(admission) if admission is not None and ctx.limits is not None else nullcontext()
    )
    with storing, ctx.store.transaction() as conn:
        ctx.processor.store_transactions(conn, api_key, now_ts(), docs)
        started = now_ts()
        done_at = started if rate is None else started + len(inputs) / rate
        if admission is not None and ctx.limits is not None:
            # Realistic limits: the operation runs from its admission for the modelled processing time.
            started = admission.admitted_at
            done_at = ctx.limits.done_at(admission, now_ts())
            rate = len(inputs) / (done_at - started) if done_at > started else None
        conn.execute(
            "INSERT INTO batches (api_key, id, ts, created_at, operation, priority, total, started, rate, "
            "done_at, results) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                api_key,
                batch_id,
                started,
                created_at,
                operation,
                priority,
                len(inputs),
                started,
                rate,
                done_at,
                results,
            ),
        )
    row = (batch_id, created_at, operation, priority, len(inputs), started, rate, done_at, None)
    view = batch_view(row, now=started)
    # The submit answer always shows the initial state, even in instant mode.
    view.update(status=PROCESSING, progress=0)
    return view


@router.post("/v3/batches")
async def create_batch(request: Request, ctx: Ctx, api_key: ApiKey) -> Response:
    """Submit a batch; answers the ``Batch`` in status ``processing``.

    In the realistic-limits mode a batch needs a free operation slot and one credit per transaction,
    else the answer is ``429`` with ``Retry-After`` (nothing is created, nothing is charged).
    """
    raw = await request.body()
    view = await run_in_threadpool(_submit, ctx, api_key, raw)
    if isinstance(view, Fault):
        return error_response(view.status, view.detail, view.retry_after)
    return raw_json(orjson.dumps(view))


@router.get("/v3/batches")
def list_batches(ctx: Ctx, api_key: ApiKey, params: ListQuery, status: JobStatus | None = None) -> Response:
    """Page of batches, newest first, optionally by (derived) status."""
    return list_response(
        ctx.store,
        api_key,
        params,
        resource="batches",
        table="batches",
        columns=BATCH_COLUMNS,
        job_status=status,
        render=batch_view,
    )


@router.get("/v3/batches/{batch_id}")
def get_batch(batch_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """One batch with its derived status and progress."""
    return raw_json(orjson.dumps(batch_view(_load_batch(ctx, api_key, batch_id))))


@router.get("/v3/batches/{batch_id}/results")
def batch_results(batch_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Results of a completed batch, in input order (409 while processing, 400 after an error)."""
    view = batch_view(_load_batch(ctx, api_key, batch_id))
    if view["status"] == PROCESSING:
        raise HTTPException(
            409,
            f"Batch '{batch_id}' is still processing ({view['progress']}/{view['total']}); "
            "results are available once it is completed",
        )
    if view["status"] == ERROR:
        raise HTTPException(400, f"Batch '{batch_id}' ended with an error; results are not available")
    row = ctx.store.query_one("SELECT results FROM batches WHERE id = ?", (batch_id,))
    assert row is not None
    head = orjson.dumps({"id": batch_id, "total": view["total"], "status": view["status"]})
    return raw_json(head[:-1] + b',"results":' + row[0] + b"}")
