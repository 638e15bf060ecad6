"""Status and progress of batches and bank statements, derived from stored timestamps.

Nothing advances a job in the background: a job stores when it started, when it will be done and, if
it failed, when it failed. Any process reading the database computes the same state at the same time,
so progress never depends on a particular process staying alive.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Literal

PROCESSING = "processing"
COMPLETED = "completed"
ERROR = "error"
JobStatus = Literal["processing", "completed", "error"]


def now_ts() -> float:
    """Current time as epoch seconds."""
    return time.time()


def iso(ts: float) -> str:
    """``datetime.now(timezone.utc).isoformat()``-style rendering of an epoch timestamp."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat()


def utc_now() -> tuple[float, str]:
    """Epoch seconds and ISO string of one instant."""
    moment = dt.datetime.now(dt.timezone.utc)
    return moment.timestamp(), moment.isoformat()


def status_at(done_at: float, error_at: float | None, now: float) -> str:
    """Derived status of a job at ``now``."""
    if error_at is not None and error_at <= now:
        return ERROR
    if done_at <= now:
        return COMPLETED
    return PROCESSING


def status_sql(status: str) -> tuple[str, list[Any]]:
    """SQL condition selecting jobs in ``status`` at the current time (columns ``done_at``, ``error_at``)."""
    now = now_ts()
    if status == ERROR:
        return "(error_at IS NOT NULL AND error_at <= ?)", [now]
    live = "(error_at IS NULL OR error_at > ?)"
    if status == COMPLETED:
        return f"({live} AND done_at <= ?)", [now, now]
    return f"({live} AND done_at > ?)", [now, now]


BATCH_COLUMNS = "id, created_at, operation, priority, total, started, rate, done_at, error_at"


def batch_view(row: tuple[Any, ...], now: float | None = None) -> dict[str, Any]:
    """The ``Batch`` object for a row selected with :data:`BATCH_COLUMNS`."""
    batch_id, created_at, operation, priority, total, started, rate, done_at, error_at = row
    now = now_ts() if now is None else now
    status = status_at(done_at, error_at, now)
    until = min(now, error_at) if status == ERROR else now
    if until >= done_at:
        progress = total
    elif rate is None:
        progress = 0
    else:
        progress = min(total, max(0, int((until - started) * rate)))
    if status == COMPLETED:
        updated = done_at
    elif status == ERROR:
        updated = error_at
    else:
        updated = started + progress / rate if rate else started
    return {
        "id": batch_id,
        "operation": operation,
        "status": status,
        "priority": priority,
        "created_at": created_at,
        "updated_at": iso(max(updated, started)),
        "progress": progress,
        "total": total,
    }


STATEMENT_COLUMNS = "id, name, created_at, size, no_pages, done_at, error_at, error_code, error_message"


def statement_view(row: tuple[Any, ...], now: float | None = None) -> dict[str, Any]:
    """The ``BankStatementJob`` object for a row selected with :data:`STATEMENT_COLUMNS`."""
    stmt_id, name, created_at, size, no_pages, done_at, error_at, code, message = row
    status = status_at(done_at, error_at, now_ts() if now is None else now)
    return {
        "id": stmt_id,
        "name": name,
        "status": status,
        "created_at": created_at,
        "file": {"no_pages": no_pages, "size": size},
        "error": {"code": code, "message": message} if status == ERROR else None,
    }
