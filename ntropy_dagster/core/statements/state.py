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
from dataclasses import dataclass
from typing import Any

from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.state import COMPLETED, ERROR, PROCESSING, WarehouseState

__all__ = [
    "COMPLETED",
    "DISCOVERED",
    "ERROR",
    "FINAL_JOB_STATES",
    "PROCESSING",
    "REJECTED",
    "UPLOADING",
    "StatementRow",
    "StatementState",
]

DISCOVERED = "discovered"
UPLOADING = "uploading"
REJECTED = "rejected"
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


class StatementState(WarehouseState[StatementRow]):
    """Reads and writes the ``bank_statements`` table of a warehouse."""

    logical = "bank_statements"
    row_type = StatementRow
    order_by = ("statement_key",)

    def get(self, statement_key: str) -> StatementRow | None:
        """The row of one statement, or None if it was never seen."""
        rows = self._select(self._where(statement_key=statement_key))
        return rows[0] if rows else None

    def all(self) -> list[StatementRow]:
        """Every statement row, by key."""
        return self._select()

    def with_status(self, statuses: Sequence[str], *, unhandled: bool = False) -> list[StatementRow]:
        """Rows in any of ``statuses`` (with a job id); ``unhandled``: whose run has not handled them."""
        t = self._t
        where = t.c.status.in_(list(statuses)) & t.c.job_id.is_not(None)
        if unhandled:
            where = where & t.c.handled_at.is_(None)
        return self._select(where)

    def known_job_ids(self) -> set[str]:
        """Every job id a statement row records."""
        return self._recorded("job_id")

    def write(self, statement_key: str, **values: Any) -> None:
        """Upsert the given columns of one statement's row (other columns keep their values)."""
        self._upsert([{"statement_key": statement_key, **values}])

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
