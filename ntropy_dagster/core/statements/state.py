"""The durable state of each statement file: one row per partition in the ``bank_statements`` table.

The life of a row (column ``status``)::

    discovered (sensor saw the file) -> uploading (written *before* the POST)
        -> processing (job id recorded) -> completed | error (from the API, by the status sensor)
    discovered -> rejected (empty, too large or not a PDF: never uploaded)

``handled_at`` is set once ``bank_statement_transactions`` stored the results or reported the error, so
the status sensor knows which finished jobs still need their run. Everything lives in the warehouse, so
the sensor daemon, runs in other processes and re-runs after a crash see the same state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.warehouse import Warehouse

DISCOVERED = "discovered"
UPLOADING = "uploading"
REJECTED = "rejected"
PROCESSING = "processing"
COMPLETED = "completed"
ERROR = "error"
#: Remote statuses that end a job.
FINAL_JOB_STATES = frozenset({COMPLETED, ERROR})


@dataclass(frozen=True)
class StatementRow:
    """The columns of a ``bank_statements`` row that drive the pipeline."""

    statement_key: str
    file_path: str | None
    content_hash: str | None
    job_id: str | None
    status: str | None
    error_code: str | None
    error_message: str | None
    institution: str | None
    account_holder_id: str | None
    account_holder_name: str | None
    account_holder_type: str | None
    submitted_at: dt.datetime | None
    handled_at: dt.datetime | None


class StatementState:
    """Reads and writes the ``bank_statements`` table of a warehouse."""

    def __init__(self, warehouse: Warehouse) -> None:
        self._wh = warehouse

    @property
    def _t(self) -> sa.Table:
        return self._wh.tables.bank_statements

    def _select(self, where: sa.ColumnElement[bool]) -> list[StatementRow]:
        t = self._t
        query = sa.select(*(t.c[f.name] for f in fields(StatementRow))).where(where)
        with self._wh.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query.order_by(t.c.statement_key))]
        return [StatementRow(**_aware(r)) for r in rows]

    def get(self, statement_key: str) -> StatementRow | None:
        """The row of one statement, or None if it was never seen."""
        rows = self._select(self._t.c.statement_key == statement_key)
        return rows[0] if rows else None

    def all(self) -> list[StatementRow]:
        """Every statement row, by key."""
        return self._select(sa.true())

    def with_status(self, statuses: Sequence[str], *, unhandled: bool = False) -> list[StatementRow]:
        """Rows in any of ``statuses`` (with a job id); ``unhandled``: whose run has not handled them."""
        t = self._t
        where = t.c.status.in_(list(statuses)) & t.c.job_id.is_not(None)
        if unhandled:
            where = where & t.c.handled_at.is_(None)
        return self._select(where)

    def write(self, statement_key: str, **values: Any) -> None:
        """Upsert the given columns of one statement's row (other columns keep their values)."""
        self._wh.upsert("bank_statements", [{"statement_key": statement_key, **values}])

    def record_discovered(self, statement_key: str, file_path: str, content_hash: str, size: int) -> None:
        """The discovery sensor saw a new file (no-op for a key already past discovery)."""
        if self.get(statement_key) is None:
            self.write(
                statement_key,
                file_path=file_path,
                content_hash=content_hash,
                file_size=size,
                status=DISCOVERED,
            )

    def record_job_status(
        self, statement_key: str, status: str, *, code: str | None = None, message: str | None = None
    ) -> None:
        """Record the remote status of a job; a final status stamps ``completed_at``."""
        values: dict[str, Any] = {"status": status}
        if status in FINAL_JOB_STATES:
            values["completed_at"] = utcnow()
        if status == ERROR:
            values |= {"error_code": code, "error_message": message}
        self.write(statement_key, **values)

    def mark_handled(self, statement_key: str) -> None:
        """The results are stored (or the error reported): the status sensor is done with this row."""
        self.write(statement_key, handled_at=utcnow())


def _aware(values: dict[str, Any]) -> dict[str, Any]:
    """SQLite hands timestamps back naive; every timestamp was written in UTC."""
    return {
        name: value.replace(tzinfo=dt.timezone.utc)
        if isinstance(value, dt.datetime) and value.tzinfo is None
        else value
        for name, value in values.items()
    }
