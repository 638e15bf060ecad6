"""``/v3/bank_statements``: PDF upload (multipart part ``file``), status, results, verify, delete.

The PDF is parsed at upload time; the job stays ``processing`` for the configured delay and then shows
``completed`` or ``error`` (with the parser's error code), derived from stored timestamps.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, HTTPException, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from ..context import ApiKey, Ctx, SandboxContext
from ..lifecycle import ERROR, PROCESSING, STATEMENT_COLUMNS, JobStatus, statement_view, utc_now
from ..listing import ListQuery, list_response, load_one
from ..responses import no_content, raw_json
from ..statements import StatementError, count_pages, parse_statement, verify_statement

log = logging.getLogger(__name__)
router = APIRouter(tags=["bank_statements"])


def _parse(data: bytes) -> tuple[int, bytes | None, str | None, str | None]:
    """Pages, serialised results or the error code and message."""
    try:
        pages = count_pages(data)
    except Exception:  # an unreadable file has no countable pages; parse_statement reports why
        pages = 0
    try:
        results = parse_statement(data)
    except StatementError as exc:
        return pages, None, exc.code, exc.message
    except Exception as exc:
        log.exception("bank statement parsing failed")
        return pages, None, "corrupted_file", f"The file could not be processed: {exc}"
    return pages, orjson.dumps(results), None, None


def _submit(ctx: SandboxContext, api_key: str, data: bytes, name: str | None) -> dict[str, Any]:
    pages, results, code, message = _parse(data)
    ts, created_at = utc_now()
    delay = ctx.config.statement_delay or 0.0
    done_at = ts + delay
    statement_id = str(uuid.uuid4())
    ctx.store.execute(
        "INSERT INTO bank_statements (api_key, id, ts, created_at, name, size, no_pages, done_at, error_at, "
        "error_code, error_message, results, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            api_key,
            statement_id,
            ts,
            created_at,
            name,
            len(data),
            pages,
            done_at,
            done_at if code else None,
            code,
            message,
            results,
            data,
        ),
    )
    row = (statement_id, name, created_at, len(data), pages, done_at, None, None, None)
    view = statement_view(row, now=ts)
    view["status"] = PROCESSING  # the upload answer always shows the initial state
    return view


def _load(
    ctx: SandboxContext, api_key: str, statement_id: str, columns: str = STATEMENT_COLUMNS
) -> tuple[Any, ...]:
    return load_one(
        ctx.store,
        api_key,
        table="bank_statements",
        columns=columns,
        item_id=statement_id,
        label="Bank statement",
    )


@router.post("/v3/bank_statements")
async def create_bank_statement(file: Annotated[UploadFile, File()], ctx: Ctx, api_key: ApiKey) -> Response:
    """Upload a PDF statement for processing."""
    data = await file.read()
    view = await run_in_threadpool(_submit, ctx, api_key, data, file.filename)
    return raw_json(orjson.dumps(view))


@router.get("/v3/bank_statements")
def list_bank_statements(
    ctx: Ctx, api_key: ApiKey, params: ListQuery, status: JobStatus | None = None
) -> Response:
    """Page of statement jobs, newest first."""
    return list_response(
        ctx.store,
        api_key,
        params,
        resource="bank_statements",
        table="bank_statements",
        columns=STATEMENT_COLUMNS,
        job_status=status,
        render=statement_view,
    )


@router.get("/v3/bank_statements/{statement_id}")
def get_bank_statement(statement_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """One statement job."""
    return raw_json(orjson.dumps(statement_view(_load(ctx, api_key, statement_id))))


@router.get("/v3/bank_statements/{statement_id}/results")
def bank_statement_results(statement_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Accounts and transactions of a completed statement (409 while processing, 400 after an error)."""
    row = _load(ctx, api_key, statement_id, f"{STATEMENT_COLUMNS}, results")
    view = statement_view(row[:-1])
    if view["status"] == PROCESSING:
        raise HTTPException(409, f"Bank statement '{statement_id}' is still processing")
    if view["status"] == ERROR:
        error = view["error"]
        raise HTTPException(
            400, f"Bank statement '{statement_id}' failed ({error['code']}): {error['message']}"
        )
    return raw_json(row[-1])


@router.post("/v3/bank_statements/{statement_id}/verify")
def verify_bank_statement(statement_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Fast first-page information (institution, period, holder, accounts).

    Assumption: an unreadable file answers 400 with the parser's code and message.
    """
    (data,) = _load(ctx, api_key, statement_id, "data")
    try:
        info = verify_statement(data)
    except StatementError as exc:
        raise HTTPException(400, f"{exc.code}: {exc.message}") from None
    return raw_json(orjson.dumps(info))


@router.delete("/v3/bank_statements/{statement_id}", status_code=204)
def delete_bank_statement(statement_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Delete a statement job and its file."""
    if not ctx.store.execute(
        "DELETE FROM bank_statements WHERE api_key = ? AND id = ?", (api_key, statement_id)
    ):
        raise HTTPException(404, f"Bank statement with id '{statement_id}' not found")
    return no_content()
