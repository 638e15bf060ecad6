"""Follow a statement's job on Ntropy: poll the jobs in flight, wait for one, store its results.

* :func:`refresh_jobs` records the remote status of the jobs in flight (what the status sensor runs);
* :func:`fetch_statement_results` waits for one job and writes the statement row (masked account numbers,
  balances, totals, period) and its transactions in one transaction; a job in ``error`` is recorded
  and raised as :class:`~ntropy_dagster.core.statements.errors.StatementJobFailedError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ntropy_dagster.client import BankStatementFailedError, NotFoundError, NtropyClient, NtropyError
from ntropy_dagster.client.models import BankStatementJob
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.statements.errors import StatementJobFailedError, StatementUnavailableError
from ntropy_dagster.core.statements.extract import derive_account_holder_id, extract_statement, reconciliation
from ntropy_dagster.core.statements.state import (
    COMPLETED,
    ERROR,
    FINAL_JOB_STATES,
    PROCESSING,
    REJECTED,
    StatementRow,
    StatementState,
)
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobsRefresh:
    """What one :func:`refresh_jobs` call did."""

    in_flight: int
    checked: int


@dataclass(frozen=True)
class StatementResults:
    """A finished job's results as stored: the statement row, its transactions and per-account balances."""

    row: StatementRow
    job: BankStatementJob
    transactions: int
    accounts: list[dict[str, Any]]


def submitted_row(state: StatementState, statement_key: str) -> StatementRow:
    """The row of an uploaded statement; raises :class:`StatementUnavailableError` for a statement that
    was rejected before upload or has not been uploaded."""
    row = state.get(statement_key)
    if row is not None and row.status == REJECTED:
        raise StatementUnavailableError(
            f"Statement {row.file_path or statement_key} was rejected before upload: "
            f"{row.error_code}: {row.error_message}",
            code=row.error_code,
        )
    if row is None or row.job_id is None:
        raise StatementUnavailableError(
            f"Statement {statement_key} has not been uploaded: materialize submitted_bank_statements first"
        )
    return row


def refresh_jobs(
    client: NtropyClient,
    state: StatementState,
    rows: Sequence[StatementRow] | None = None,
    *,
    deadline: float,
    log: logging.Logger | Any = logger,
) -> JobsRefresh:
    """Record the remote status of the jobs in flight (``rows``, default: every ``processing`` row) until
    ``deadline`` (``time.monotonic()``); a job the API no longer knows is recorded as ``error``, a poll
    that fails is tried again at the next call."""
    in_flight = state.with_status([PROCESSING]) if rows is None else rows
    checked = 0
    for row in in_flight:
        if time.monotonic() > deadline:
            break
        assert row.job_id is not None
        checked += 1
        try:
            job = client.bank_statements.get(row.job_id)
        except NotFoundError:
            state.record_job_status(
                row.statement_key, ERROR, code="job_not_found", message=f"job {row.job_id} is gone"
            )
            continue
        except NtropyError as exc:  # transient: try again next time
            log.warning(f"Could not poll job {row.job_id}: {exc}")
            continue
        if job.status in FINAL_JOB_STATES:
            _record_final(state, row, job, log)
    return JobsRefresh(in_flight=len(in_flight), checked=checked)


def _record_final(
    state: StatementState, row: StatementRow, job: BankStatementJob, log: logging.Logger | Any
) -> None:
    error = job.error
    code, message = (error.code, error.message) if error else (None, None)
    state.record_job_status(row.statement_key, job.status, code=code, message=message)
    if job.status == ERROR:
        log.error(f"Bank statement {row.file_path} (job {job.id}) failed: {code or '?'}: {message or '?'}")


def wait_for_job(
    client: NtropyClient, state: StatementState, row: StatementRow, *, options: PipelineOptions
) -> BankStatementJob:
    """Wait (``options.blocking_timeout``, polling every ``options.poll_interval``) for the statement's
    job to complete. A job in ``error`` is recorded as handled and raised as
    :class:`StatementJobFailedError` with the API's code and message."""
    assert row.job_id is not None
    try:
        return client.bank_statements.wait(
            row.job_id, timeout=options.blocking_timeout, poll_interval=options.poll_interval
        )
    except BankStatementFailedError as exc:
        state.record_job_status(row.statement_key, ERROR, code=exc.code, message=exc.message)
        state.mark_handled(row.statement_key)
        raise StatementJobFailedError(
            f"Bank statement {row.file_path or row.statement_key} failed on Ntropy "
            f"(job {row.job_id}): {exc.code}: {exc.message}",
            job_id=row.job_id,
            code=exc.code,
        ) from None


def fetch_statement_results(
    client: NtropyClient,
    warehouse: Warehouse,
    statement_key: str,
    *,
    account_holder_id: str | None,
    options: PipelineOptions,
    log: logging.Logger | Any = logger,
) -> StatementResults:
    """Wait for the uploaded statement's job, store its results and reconcile its balances.

    ``account_holder_id``: the account holder of every statement (None: derived from the holder's name
    and first account number).
    """
    state = StatementState(warehouse)
    row = submitted_row(state, statement_key)
    job = wait_for_job(client, state, row, options=options)
    count, accounts = store_statement_results(
        client, warehouse, row, job, account_holder_id=account_holder_id, log=log
    )
    stored = state.get(statement_key)
    assert stored is not None
    transactions = warehouse.read_frame("bank_statement_transactions", statement_key=statement_key)
    return StatementResults(stored, job, count, reconciliation(accounts, transactions))


def store_statement_results(
    client: NtropyClient,
    warehouse: Warehouse,
    row: StatementRow,
    job: BankStatementJob,
    *,
    account_holder_id: str | None,
    log: logging.Logger | Any = logger,
) -> tuple[int, str]:
    """Write the statement row and its transactions in one transaction; return (count, accounts JSON)."""
    assert row.job_id is not None
    started = time.monotonic()
    results = client.bank_statements.results(row.job_id)
    extracted = extract_statement(row.statement_key, results)
    first_number = results.accounts[0].number if results.accounts else None
    holder_id = account_holder_id or derive_account_holder_id(row.account_holder_name, first_number)
    now = utcnow()
    statement = {
        "statement_key": row.statement_key,
        **extracted.columns,
        "account_holder_id": holder_id,
        "status": COMPLETED,
        "page_count": job.file.no_pages if job.file else None,
        "completed_at": now,
        "handled_at": now,
    }
    with warehouse.begin() as conn:
        warehouse.delete_where("bank_statement_transactions", statement_key=row.statement_key, conn=conn)
        if extracted.transactions:
            warehouse.upsert("bank_statement_transactions", extracted.transactions, conn=conn)
        warehouse.upsert("bank_statements", [statement], conn=conn)
    log.info(
        f"Statement {row.statement_key}: {len(extracted.accounts)} account(s), "
        f"{len(extracted.transactions)} transactions stored in {time.monotonic() - started:.1f}s"
    )
    accounts: str = extracted.columns["accounts"]
    return len(extracted.transactions), accounts
