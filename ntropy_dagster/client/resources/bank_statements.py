"""``/v3/bank_statements``: upload PDF statements and fetch the extracted accounts and transactions."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Literal

from ntropy_dagster.client._base import Op, RequestSpec, path_segment
from ntropy_dagster.client._resource import (
    C,
    Resource,
    endpoint,
    page_request,
    paginated,
    parse_model,
    parse_none,
)
from ntropy_dagster.client.errors import BankStatementFailedError
from ntropy_dagster.client.models import BankStatementJob, BankStatementResults, StatementInfo
from ntropy_dagster.client.pagination import PageRequest

__all__ = ["BankStatements"]

_DEFAULT_FILENAME = "statement.pdf"


def _read_file(file: bytes | str | os.PathLike[str] | BinaryIO, filename: str | None) -> tuple[str, bytes]:
    # The content is read into memory so the request can be rebuilt for a retry.
    if isinstance(file, (bytes, bytearray, memoryview)):
        return filename or _DEFAULT_FILENAME, bytes(file)
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        return filename or path.name, path.read_bytes()
    content = file.read()
    name = getattr(file, "name", None)
    default = os.path.basename(name) if isinstance(name, str) and name else _DEFAULT_FILENAME
    return filename or default, content


def _statement_finished(job: BankStatementJob) -> bool:
    if job.status == "error":
        code = job.error.code if job.error else None
        message = job.error.message if job.error else None
        raise BankStatementFailedError(job.id, code, message)
    return job.status == "completed"


class BankStatements(Resource[C]):
    """Upload bank statements, wait for extraction, read the results."""

    @endpoint
    def upload(
        self, file: bytes | str | os.PathLike[str] | BinaryIO, *, filename: str | None = None
    ) -> Op[BankStatementJob]:
        """Upload a PDF (``POST /v3/bank_statements``, multipart part ``file``); returns the new job.

        ``file`` is the PDF's bytes, a path, or a binary file object. Not retried once the upload may
        have reached the server (a retry would create a second job).
        """
        name, content = _read_file(file, filename)
        return self._request(
            "POST",
            "/v3/bank_statements",
            parse_model(BankStatementJob),
            files={"file": (name, content, "application/pdf")},
            idempotent=False,
        )

    @endpoint
    def get(self, statement_id: str) -> Op[BankStatementJob]:
        """The job's status (``GET /v3/bank_statements/{id}``)."""
        path = f"/v3/bank_statements/{path_segment(statement_id)}"
        return self._request("GET", path, parse_model(BankStatementJob))

    @endpoint
    def results(self, statement_id: str) -> Op[BankStatementResults]:
        """Accounts and transactions of a completed job (``GET /v3/bank_statements/{id}/results``)."""
        path = f"/v3/bank_statements/{path_segment(statement_id)}/results"
        return self._request("GET", path, parse_model(BankStatementResults))

    @endpoint
    def verify(self, statement_id: str) -> Op[StatementInfo]:
        """Fast first-page extraction (``POST /v3/bank_statements/{id}/verify``); read-only, so retried."""
        path = f"/v3/bank_statements/{path_segment(statement_id)}/verify"
        return self._request("POST", path, parse_model(StatementInfo), idempotent=True)

    @endpoint
    def delete(self, statement_id: str) -> Op[None]:
        """Delete a job (``DELETE /v3/bank_statements/{id}``)."""
        path = f"/v3/bank_statements/{path_segment(statement_id)}"
        return self._request("DELETE", path, parse_none)

    @endpoint
    def wait(
        self, statement_id: str, *, timeout: float = 3600, poll_interval: float = 5.0
    ) -> Op[BankStatementJob]:
        """Poll the job until it completes and return it.

        Raises :class:`BankStatementFailedError` (with the job's error ``code`` and ``message``) on status
        ``error`` and :class:`WaitTimeoutError` after ``timeout`` seconds.
        """
        spec = RequestSpec(
            "GET", f"/v3/bank_statements/{path_segment(statement_id)}", parse_model(BankStatementJob)
        )
        return self._client.poll(
            spec,
            finished=_statement_finished,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=None,
            describe=("bank statement", statement_id),
        )

    @paginated
    def list(
        self,
        *,
        status: Literal["processing", "completed", "error"] | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        limit: int | None = None,
    ) -> PageRequest[BankStatementJob]:
        """Every job matching the filters, newest first (``GET /v3/bank_statements``)."""
        return page_request(
            "/v3/bank_statements",
            BankStatementJob,
            status=status,
            created_after=created_after,
            created_before=created_before,
            limit=limit,
        )
