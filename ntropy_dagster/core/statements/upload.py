"""Upload one statement file exactly once: read it, check it, upload it (or adopt an interrupted upload's
job), record the job id and, optionally, the fast verification.

The intent (status ``uploading``) is written before the POST, so a run that dies after it finds the job
(:func:`~ntropy_dagster.core.adoption.find_orphan`) instead of uploading and paying again; a statement
whose row records a job id is re-attached, never uploaded again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ntropy_dagster.client import NtropyClient, NtropyError
from ntropy_dagster.client.models import BankStatementJob
from ntropy_dagster.core.adoption import ADOPTION_PAGE_SIZE, find_orphan
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.statements.errors import StatementUnavailableError
from ntropy_dagster.core.statements.extract import verify_columns
from ntropy_dagster.core.statements.files import (
    FileProblem,
    StatementFolder,
    check_statement_bytes,
    content_hash_of,
    statement_partition_key,
)
from ntropy_dagster.core.statements.state import (
    PROCESSING,
    REJECTED,
    UPLOADING,
    StatementRow,
    StatementState,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatementContent:
    """A statement file as read for its upload."""

    path: str
    name: str
    data: bytes

    @property
    def columns(self) -> dict[str, Any]:
        """The ``bank_statements`` columns that describe the file."""
        return {
            "file_path": self.path,
            "content_hash": content_hash_of(self.data),
            "file_size": len(self.data),
        }


@dataclass(frozen=True)
class SubmittedStatement:
    """What :func:`submit_statement` left in the state: the row, and whether it was already uploaded."""

    row: StatementRow
    reattached: bool


def read_statement_file(
    folder: StatementFolder, statement_key: str, row: StatementRow | None
) -> StatementContent:
    """The file of ``statement_key``: the recorded path if its content still gives the key, else the file
    of the folder that does. Raises :class:`StatementUnavailableError` when none does any more."""
    if row is not None and row.file_path:
        try:
            data: bytes | None = folder.read(row.file_path)
        except FileNotFoundError:
            data = None
        name = row.file_path.replace("\\", "/").rsplit("/", 1)[-1]
        if data is not None and statement_partition_key(name, content_hash_of(data)) == statement_key:
            return StatementContent(row.file_path, name, data)
    found = folder.find(statement_key)
    if found is None:
        raise StatementUnavailableError(
            f"No file in {folder.location} has the content of statement {statement_key} any more "
            "(moved, deleted or changed; a changed file is discovered again under a new key)"
        )
    return StatementContent(found.path, found.name, folder.read(found.path))


def submit_statement(
    client: NtropyClient,
    state: StatementState,
    folder: StatementFolder,
    statement_key: str,
    *,
    max_file_bytes: int,
    verify: bool,
    default_account_holder_type: str,
    run_id: str | None = None,
    log: logging.Logger | Any = logger,
) -> SubmittedStatement:
    """Upload the statement unless its row already records a job; a rejected file is recorded, not raised.

    ``verify``: call fast verification after the upload (its failure is recorded, not raised: the job's
    own status says whether the file can be read).
    """
    row = state.get(statement_key)
    if row is not None and row.job_id is not None:
        log.info(
            f"Statement {statement_key} is job {row.job_id} ({row.status}): re-attached, nothing uploaded"
        )
        return SubmittedStatement(row, reattached=True)
    content = read_statement_file(folder, statement_key, row)
    problem = check_statement_bytes(content.data, max_bytes=max_file_bytes)
    if problem is not None:
        _reject(state, statement_key, content, problem, run_id=run_id, log=log)
    else:
        job = _upload_once(client, state, statement_key, row, content, run_id=run_id, log=log)
        if verify:
            verify_statement(client, state, statement_key, job.id, default_account_holder_type, log=log)
    submitted = state.get(statement_key)
    assert submitted is not None
    return SubmittedStatement(submitted, reattached=False)


def _reject(
    state: StatementState,
    statement_key: str,
    content: StatementContent,
    problem: FileProblem,
    *,
    run_id: str | None,
    log: logging.Logger | Any,
) -> None:
    """Record a file that is not uploaded (empty, too large, not a PDF) as ``rejected``, with the reason."""
    state.write(
        statement_key,
        **content.columns,
        status=REJECTED,
        error_code=problem.code,
        error_message=problem.message,
        completed_at=utcnow(),
        handled_at=utcnow(),
        run_id=run_id,
    )
    log.error(f"Rejected {content.path}: {problem.code}: {problem.message}")


def _upload_once(
    client: NtropyClient,
    state: StatementState,
    statement_key: str,
    row: StatementRow | None,
    content: StatementContent,
    *,
    run_id: str | None,
    log: logging.Logger | Any,
) -> BankStatementJob:
    """Adopt the job of an interrupted upload, or record the intent and upload; record the job id."""
    job = adopt_orphan_job(client, state, row, content) if row and row.status == UPLOADING else None
    if job is not None:
        log.info(f"Re-attached {content.path} to job {job.id}, uploaded by an interrupted run")
    else:
        # Written before the POST: a run that dies after it finds the job instead of uploading again.
        state.write(statement_key, **content.columns, status=UPLOADING, submitted_at=utcnow(), run_id=run_id)
        job = client.bank_statements.upload(content.data, filename=content.name)
        log.info(f"Uploaded {content.path} ({len(content.data):,} bytes) as bank statement job {job.id}")
    state.write(
        statement_key,
        **content.columns,
        job_id=job.id,
        status=PROCESSING,
        page_count=job.file.no_pages if job.file else None,
        error_code=None,
        error_message=None,
        handled_at=None,
        run_id=run_id,
    )
    return job


def adopt_orphan_job(
    client: NtropyClient, state: StatementState, row: StatementRow, content: StatementContent
) -> BankStatementJob | None:
    """The job an interrupted run uploaded for ``row`` after recording its intent, if any.

    The rule is :func:`~ntropy_dagster.core.adoption.find_orphan`'s; here the match is a job with the
    file's name and size.
    """
    size = len(content.data)
    return find_orphan(
        lambda since: client.bank_statements.list(created_after=since, limit=ADOPTION_PAGE_SIZE),
        intent_at=row.submitted_at,
        known_ids=state.known_job_ids(),
        matches=lambda job: job.name == content.name and job.file is not None and job.file.size == size,
    )


def verify_statement(
    client: NtropyClient,
    state: StatementState,
    statement_key: str,
    job_id: str,
    default_account_holder_type: str,
    *,
    log: logging.Logger | Any = logger,
) -> None:
    """Record what fast verification reads on the first page (institution, holder, accounts), or why it
    could not (``verify_error``; not fatal)."""
    try:
        info = client.bank_statements.verify(job_id)
    except NtropyError as exc:
        log.warning(f"Fast verification of statement {statement_key} (job {job_id}) failed: {exc}")
        state.write(statement_key, verify_error=str(exc)[:2000])
    else:
        state.write(statement_key, **verify_columns(info, default_account_holder_type), verify_error=None)
