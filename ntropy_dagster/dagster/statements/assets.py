"""The bank-statement assets (one partition per file): submitted -> transactions -> enriched.

* ``submitted_bank_statements`` checks the file (empty, too large, not a PDF -> ``rejected``, no upload),
  uploads it, records the job id (re-running re-attaches instead of uploading again) and, optionally,
  the fast verification (institution, holder, accounts).
* ``bank_statement_transactions`` reads a finished job's results into the statement row (masked account
  numbers, balances, totals, period) and its transactions; a job in ``error`` fails the run with the
  API's code and message.
* ``bank_statement_enriched_transactions`` sends the statement's transactions through the transaction
  pipeline (validation, account holder, batches, blocking wait) into the shared enriched table with
  ``source = 'bank_statement'``.
"""

# No `from __future__ import annotations`: Dagster reads the `context` annotations at definition time.

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import dagster as dg
import sqlalchemy as sa
from dagster import AssetExecutionContext

from ntropy_dagster.client import BankStatementFailedError, NtropyClient, NtropyError
from ntropy_dagster.client.models import BankStatementJob
from ntropy_dagster.core.account_holders import ensure_account_holders
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.enrichment import submit_wait_and_store
from ntropy_dagster.core.rejected import write_rejected
from ntropy_dagster.core.statements.extract import (
    derive_account_holder_id,
    enrichment_frame,
    extract_statement,
    reconciliation,
    verify_columns,
)
from ntropy_dagster.core.statements.files import (
    check_statement_bytes,
    content_hash_of,
    statement_partition_key,
)
from ntropy_dagster.core.statements.state import (
    COMPLETED,
    ERROR,
    PROCESSING,
    REJECTED,
    UPLOADING,
    StatementRow,
    StatementState,
)
from ntropy_dagster.core.status import CLOCK_SLACK
from ntropy_dagster.core.validation import ValidatedInput, validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.dagster.assets import NTROPY_POOL, table_metadata
from ntropy_dagster.dagster.statements.options import GROUP_NAME, SOURCE, BankStatementOptions, submission_key

_KINDS = {"ntropy", "pdf", "table"}

_DESCRIPTIONS = {
    "submitted": "Bank-statement PDFs uploaded to Ntropy, one partition per file. Empty files, files over the "
    "size limit and files that are not PDFs are recorded as rejected (with the reason) and not uploaded. "
    "The job id is recorded in the bank_statements table, so a re-run re-attaches instead of paying twice.",
    "transactions": "Accounts and transactions Ntropy extracted from each statement: institution, masked "
    "account numbers, opening/closing balances, totals, period, reconciliation flag; transactions with "
    "running balance and page number. A statement whose job failed fails this run with the API's reason.",
    "enriched": "The statement's transactions enriched by Ntropy (same pipeline and table as the raw "
    "transactions, with source = 'bank_statement'): counterparty, category, location, per-item error.",
}


#: The in-step check of each asset: (name, description).
_CHECKS = {
    "submitted": ("file_accepted", "The file is a non-empty PDF within the upload size limit."),
    "transactions": (
        "balances_reconcile",
        "Per account: opening balance + incoming - outgoing (summed over the extracted transactions) "
        "equals the closing balance within a cent.",
    ),
    "enriched": (
        "all_transactions_enriched",
        "Every transaction extracted from the statement is in the enriched table (source bank_statement).",
    ),
}


def _statement_asset(opts: BankStatementOptions, key: dg.AssetKey, kind: str, deps: list[dg.AssetKey]) -> Any:
    """The ``multi_asset`` decorator of one statement asset: spec, its check, partitions, pool."""
    check_name, check_description = _CHECKS[kind]
    return dg.multi_asset(
        name=_op_name(key),
        specs=[
            dg.AssetSpec(
                key=key,
                description=_DESCRIPTIONS[kind],
                group_name=GROUP_NAME,
                kinds=_KINDS,
                deps=deps,
            )
        ],
        check_specs=[dg.AssetCheckSpec(check_name, asset=key, description=check_description)],
        partitions_def=opts.partitions_def,
        required_resource_keys=opts.resource_keys,
        pool=NTROPY_POOL,
    )


def _statement_metadata(row: StatementRow | None) -> dict[str, Any]:
    if row is None:
        return {}
    values = {
        "ntropy/status": row.status,
        "ntropy/job_id": row.job_id,
        "ntropy/file": row.file_path,
        "ntropy/institution": row.institution,
        "ntropy/account_holder_id": row.account_holder_id,
        "ntropy/error_code": row.error_code,
        "ntropy/error_message": row.error_message,
    }
    return {name: value for name, value in values.items() if value is not None}


def build_statement_assets(opts: BankStatementOptions) -> list[dg.AssetsDefinition]:
    """The three partitioned assets of the bank-statement path."""
    keys = opts.keys

    @_statement_asset(opts, keys.submitted, "submitted", [])
    def submitted_bank_statements(context: AssetExecutionContext) -> Iterator[Any]:
        ntropy, warehouse = opts.resources(context)
        key = context.partition_key
        state = StatementState(warehouse)
        row = state.get(key)
        reattached = row is not None and row.job_id is not None
        if reattached:
            context.log.info(
                f"Statement {key} is job {row.job_id} ({row.status}): re-attached, nothing uploaded"
            )
        else:
            _upload(context, opts, state, ntropy.get_client(), key, row)
        row = state.get(key)
        assert row is not None
        yield dg.MaterializeResult(
            metadata=table_metadata(
                warehouse,
                "bank_statements",
                warehouse.count("bank_statements", statement_key=key),
                **_statement_metadata(row),
                **{"ntropy/reattached": reattached},
            )
        )
        rejected = row.status == REJECTED
        yield dg.AssetCheckResult(
            check_name="file_accepted",
            passed=not rejected,
            description=f"{row.error_code}: {row.error_message}" if rejected else None,
            metadata={"file": row.file_path or "", "error_code": row.error_code or ""},
        )

    @_statement_asset(opts, keys.transactions, "transactions", [keys.submitted])
    def bank_statement_transactions(context: AssetExecutionContext) -> Iterator[Any]:
        ntropy, warehouse = opts.resources(context)
        key = context.partition_key
        state = StatementState(warehouse)
        row = _submitted_row(state, key)
        client = ntropy.get_client()
        try:
            job = client.bank_statements.wait(
                row.job_id, timeout=opts.blocking_timeout, poll_interval=opts.poll_interval
            )
        except BankStatementFailedError as exc:
            state.record_job_status(key, ERROR, code=exc.code, message=exc.message)
            state.mark_handled(key)
            raise dg.Failure(
                description=f"Bank statement {row.file_path or key} failed on Ntropy "
                f"(job {row.job_id}): {exc.code}: {exc.message}",
                metadata={"ntropy/job_id": row.job_id, "ntropy/error_code": exc.code or ""},
                allow_retries=False,
            ) from None
        count, accounts = _store_results(context, opts, warehouse, client, row, job)
        row = state.get(key)
        assert row is not None
        transactions = warehouse.read_frame("bank_statement_transactions", statement_key=key)
        checked = reconciliation(accounts, transactions)
        yield dg.MaterializeResult(
            metadata=table_metadata(
                warehouse,
                "bank_statement_transactions",
                count,
                **_statement_metadata(row),
                **{
                    "ntropy/accounts": [a["account"] or "" for a in checked],
                    "ntropy/pages": job.file.no_pages if job.file and job.file.no_pages else 0,
                },
            )
        )
        failing = [a for a in checked if not a["reconciled"]]
        yield dg.AssetCheckResult(
            check_name="balances_reconcile",
            passed=bool(checked) and not failing,
            description="; ".join(
                f"{a['account']}: closing {a['closing_balance']} but opening + in - out = "
                f"{a['expected_closing']}"
                for a in failing
            )
            or (None if checked else "the statement has no accounts"),
            metadata={"accounts": dg.MetadataValue.json(checked)},
        )

    @_statement_asset(opts, keys.enriched, "enriched", [keys.transactions])
    def bank_statement_enriched_transactions(context: AssetExecutionContext) -> Iterator[Any]:
        ntropy, warehouse = opts.resources(context)
        key = context.partition_key
        row = _submitted_row(StatementState(warehouse), key)
        if row.status != COMPLETED:
            raise dg.Failure(
                description=f"Statement {key} has no stored results (job {row.job_id} is {row.status}): "
                "materialize bank_statement_transactions first",
                allow_retries=False,
            )
        extracted = warehouse.read_frame("bank_statement_transactions", statement_key=key)
        holder_id = row.account_holder_id or derive_account_holder_id(row.account_holder_name, None)
        holder_type = row.account_holder_type or opts.default_account_holder_type
        validated = validate_transactions(enrichment_frame(extracted, holder_id, holder_type))
        rejected = write_rejected(warehouse, submission_key(key), validated, log=context.log)
        metadata: dict[str, Any] = {"ntropy/account_holder_id": holder_id, "ntropy/rejected_rows": rejected}
        if validated.payloads:
            metadata |= _enrich(context, opts, ntropy, warehouse, key, validated)
        enriched = _enriched_count(warehouse, key)
        yield dg.MaterializeResult(
            metadata=table_metadata(
                warehouse,
                "enriched_transactions",
                enriched,
                **metadata,
                **{"ntropy/job_id": row.job_id or "", "ntropy/institution": row.institution or ""},
            )
        )
        yield dg.AssetCheckResult(
            check_name="all_transactions_enriched",
            passed=enriched == len(extracted),
            metadata={"extracted": len(extracted), "enriched": enriched, "rejected_rows": rejected},
        )

    return [submitted_bank_statements, bank_statement_transactions, bank_statement_enriched_transactions]


def _op_name(key: dg.AssetKey) -> str:
    return "__".join(key.path).replace("-", "_")


def _submitted_row(state: StatementState, key: str) -> StatementRow:
    row = state.get(key)
    if row is not None and row.status == REJECTED:
        raise dg.Failure(
            description=f"Statement {row.file_path or key} was rejected before upload: "
            f"{row.error_code}: {row.error_message}",
            allow_retries=False,
        )
    if row is None or row.job_id is None:
        raise dg.Failure(
            description=f"Statement {key} has not been uploaded: materialize submitted_bank_statements first",
            allow_retries=False,
        )
    return row


def _read_file(opts: BankStatementOptions, key: str, row: StatementRow | None) -> tuple[str, str, bytes]:
    """The file's path, name and content; its current content must still give ``key``."""
    if row is not None and row.file_path:
        try:
            data = opts.folder.read(row.file_path)
        except FileNotFoundError:
            data = None
        name = row.file_path.replace("\\", "/").rsplit("/", 1)[-1]
        if data is not None and statement_partition_key(name, content_hash_of(data)) == key:
            return row.file_path, name, data
    found = opts.folder.find(key)
    if found is None:
        raise dg.Failure(
            description=f"No file in {opts.folder.location} has the content of statement {key} any more "
            "(moved, deleted or changed; a changed file is discovered again under a new key)",
            allow_retries=False,
        )
    return found.path, found.name, opts.folder.read(found.path)


def _upload(
    context: AssetExecutionContext,
    opts: BankStatementOptions,
    state: StatementState,
    client: NtropyClient,
    key: str,
    row: StatementRow | None,
) -> None:
    path, name, data = _read_file(opts, key, row)
    file_columns = {"file_path": path, "content_hash": content_hash_of(data), "file_size": len(data)}
    problem = check_statement_bytes(data, max_bytes=opts.max_file_bytes)
    if problem is not None:
        state.write(
            key,
            **file_columns,
            status=REJECTED,
            error_code=problem.code,
            error_message=problem.message,
            completed_at=utcnow(),
            handled_at=utcnow(),
            run_id=context.run.run_id,
        )
        context.log.error(f"Rejected {path}: {problem.code}: {problem.message}")
        return
    job = _adopt_orphan(client, state, row, name, len(data)) if row and row.status == UPLOADING else None
    if job is not None:
        context.log.info(f"Re-attached {path} to job {job.id}, uploaded by an interrupted run")
    else:
        # Written before the POST: a run that dies after it finds the job instead of uploading again.
        state.write(key, **file_columns, status=UPLOADING, submitted_at=utcnow(), run_id=context.run.run_id)
        job = client.bank_statements.upload(data, filename=name)
        context.log.info(f"Uploaded {path} ({len(data):,} bytes) as bank statement job {job.id}")
    state.write(
        key,
        **file_columns,
        job_id=job.id,
        status=PROCESSING,
        page_count=job.file.no_pages if job.file else None,
        error_code=None,
        error_message=None,
        handled_at=None,
        run_id=context.run.run_id,
    )
    if opts.verify:
        try:
            info = client.bank_statements.verify(job.id)
        except NtropyError as exc:
            # Not fatal: the job's own status says whether the file can be read.
            context.log.warning(f"Fast verification of {path} failed: {exc}")
            state.write(key, verify_error=str(exc)[:2000])
        else:
            state.write(key, **verify_columns(info, opts.default_account_holder_type), verify_error=None)


def _adopt_orphan(
    client: NtropyClient, state: StatementState, row: StatementRow, name: str, size: int
) -> BankStatementJob | None:
    """The job an interrupted run created after recording its intent, if any.

    Assumption: the API has no idempotency key, so the match is the oldest job with this file name and
    size created since the intent (minus a clock margin) that no statement row records.
    """
    if row.submitted_at is None:
        return None
    known = _known_job_ids(state)
    candidates = [
        job
        for job in client.bank_statements.list(created_after=row.submitted_at - CLOCK_SLACK, limit=1000)
        if job.name == name and job.file is not None and job.file.size == size and job.id not in known
    ]
    if not candidates:
        return None
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return min(candidates, key=lambda job: job.created_at or far)


def _known_job_ids(state: StatementState) -> set[str]:
    return {r.job_id for r in state.with_status([PROCESSING, COMPLETED, ERROR]) if r.job_id}


def _store_results(
    context: AssetExecutionContext,
    opts: BankStatementOptions,
    warehouse: Warehouse,
    client: NtropyClient,
    row: StatementRow,
    job: BankStatementJob,
) -> tuple[int, str]:
    """Write the statement row and its transactions in one transaction; return (count, accounts JSON)."""
    assert row.job_id is not None
    started = time.monotonic()
    results = client.bank_statements.results(row.job_id)
    extracted = extract_statement(row.statement_key, results)
    first_number = results.accounts[0].number if results.accounts else None
    holder_id = opts.account_holder_id or derive_account_holder_id(row.account_holder_name, first_number)
    now = utcnow()
    with warehouse.begin() as conn:
        warehouse.delete_where("bank_statement_transactions", statement_key=row.statement_key, conn=conn)
        if extracted.transactions:
            warehouse.upsert("bank_statement_transactions", extracted.transactions, conn=conn)
        warehouse.upsert(
            "bank_statements",
            [
                {
                    "statement_key": row.statement_key,
                    **extracted.columns,
                    "account_holder_id": holder_id,
                    "status": COMPLETED,
                    "page_count": job.file.no_pages if job.file else None,
                    "completed_at": now,
                    "handled_at": now,
                }
            ],
            conn=conn,
        )
    context.log.info(
        f"Statement {row.statement_key}: {len(extracted.accounts)} account(s), "
        f"{len(extracted.transactions)} transactions stored in {time.monotonic() - started:.1f}s"
    )
    return len(extracted.transactions), extracted.columns["accounts"]


def _enrich(
    context: AssetExecutionContext,
    opts: BankStatementOptions,
    ntropy: Any,
    warehouse: Warehouse,
    key: str,
    validated: ValidatedInput,
) -> dict[str, Any]:
    """Account holder, batches, blocking wait, results into the enriched table; returns metadata."""
    client = ntropy.get_client()
    created, _existing = ensure_account_holders(client, warehouse, validated)
    submission, result = submit_wait_and_store(
        client,
        warehouse,
        validated,
        partition_key=submission_key(key),
        options=replace(
            opts.submit_options, blocking_timeout=opts.blocking_timeout, poll_interval=opts.poll_interval
        ),
        source=SOURCE,
        run_id=context.run.run_id,
        log=context.log,
    )
    return {
        "ntropy/account_holders_created": created,
        "ntropy/batch_ids": result.batch_ids,
        "ntropy/batches_submitted": len(submission.submitted),
        "ntropy/errored_items": result.errored_items,
        "ntropy/failed_batch_ids": result.failed_batch_ids,
    }


def _enriched_count(warehouse: Warehouse, key: str) -> int:
    table = warehouse.tables.enriched_transactions
    query = (
        sa.select(sa.func.count())
        .select_from(table)
        .where((table.c.partition_key == submission_key(key)) & (table.c.source == SOURCE))
    )
    with warehouse.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
