"""The steps of the bank-statement assets: what each asset body runs.

Each takes the execution context and the frozen :class:`BankStatementOptions`, calls the Dagster-free
core (:mod:`ntropy_dagster.core.statements`), turns its errors into step failures with
:func:`~ntropy_dagster.dagster.failures.step_failures` (a statement rejected, gone or failed on Ntropy is
not retried), and yields the materialization and the asset's in-step check.
"""

from __future__ import annotations  # no Dagster-decorated function here

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import dagster as dg

from ntropy_dagster.core.statements.enrich import StatementEnrichment, enrich_statement
from ntropy_dagster.core.statements.jobs import fetch_statement_results
from ntropy_dagster.core.statements.state import REJECTED, StatementRow, StatementState
from ntropy_dagster.core.statements.upload import submit_statement
from ntropy_dagster.dagster.assets.common import table_metadata
from ntropy_dagster.dagster.failures import step_failures
from ntropy_dagster.dagster.statements.options import BankStatementOptions

#: What a statement step yields.
StatementEvent = dg.MaterializeResult | dg.AssetCheckResult


def statement_failures(context: dg.AssetExecutionContext) -> AbstractContextManager[None]:
    """:func:`step_failures` with the statement's partition key in the failure's metadata."""
    return step_failures(**{"ntropy/partition_key": context.partition_key})


def statement_metadata(row: StatementRow) -> dict[str, Any]:
    """What every statement materialization shows of the statement's row (the columns that are set)."""
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


def materialize_submitted(
    context: dg.AssetExecutionContext, opts: BankStatementOptions
) -> Iterator[StatementEvent]:
    """``submitted_bank_statements``: check and upload the file (or re-attach to its job)."""
    ntropy, warehouse = opts.resources(context)
    key = context.partition_key
    with statement_failures(context):
        submitted = submit_statement(
            ntropy.get_client(),
            StatementState(warehouse),
            opts.folder,
            key,
            max_file_bytes=opts.max_file_bytes,
            verify=opts.verify,
            default_account_holder_type=opts.default_account_holder_type,
            run_id=context.run.run_id,
            log=context.log,
        )
    row = submitted.row
    count = warehouse.count("bank_statements", statement_key=key)
    metadata = {**statement_metadata(row), "ntropy/reattached": submitted.reattached}
    yield dg.MaterializeResult(metadata=table_metadata(warehouse, "bank_statements", count, **metadata))
    rejected = row.status == REJECTED
    yield dg.AssetCheckResult(
        check_name="file_accepted",
        passed=not rejected,
        description=f"{row.error_code}: {row.error_message}" if rejected else None,
        metadata={"file": row.file_path or "", "error_code": row.error_code or ""},
    )


def materialize_transactions(
    context: dg.AssetExecutionContext, opts: BankStatementOptions
) -> Iterator[StatementEvent]:
    """``bank_statement_transactions``: wait for the job, store its results, reconcile the balances."""
    ntropy, warehouse = opts.resources(context)
    with statement_failures(context):
        stored = fetch_statement_results(
            ntropy.get_client(),
            warehouse,
            context.partition_key,
            account_holder_id=opts.account_holder_id,
            options=opts.options,
            log=context.log,
        )
    job, checked = stored.job, stored.accounts
    metadata = {
        **statement_metadata(stored.row),
        "ntropy/accounts": [a["account"] or "" for a in checked],
        "ntropy/pages": job.file.no_pages if job.file and job.file.no_pages else 0,
    }
    yield dg.MaterializeResult(
        metadata=table_metadata(warehouse, "bank_statement_transactions", stored.transactions, **metadata)
    )
    failing = [a for a in checked if not a["reconciled"]]
    yield dg.AssetCheckResult(
        check_name="balances_reconcile",
        passed=bool(checked) and not failing,
        description="; ".join(
            f"{a['account']}: closing {a['closing_balance']} but opening + in - out = {a['expected_closing']}"
            for a in failing
        )
        or (None if checked else "the statement has no accounts"),
        metadata={"accounts": dg.MetadataValue.json(checked)},
    )


def materialize_enriched(
    context: dg.AssetExecutionContext, opts: BankStatementOptions
) -> Iterator[StatementEvent]:
    """``bank_statement_enriched_transactions``: the statement's transactions through the transaction
    path's validation, account holders and blocking submission, into the shared enriched table."""
    ntropy, warehouse = opts.resources(context)
    with statement_failures(context):
        done = enrich_statement(
            ntropy.get_client(),
            warehouse,
            context.partition_key,
            default_account_holder_type=opts.default_account_holder_type,
            options=opts.options,
            run_id=context.run.run_id,
            log=context.log,
        )
    metadata = enrichment_metadata(done)
    yield dg.MaterializeResult(
        metadata=table_metadata(warehouse, "enriched_transactions", done.enriched, **metadata)
    )
    yield dg.AssetCheckResult(
        check_name="all_transactions_enriched",
        passed=done.enriched == done.extracted,
        metadata={
            "extracted": done.extracted,
            "enriched": done.enriched,
            "rejected_rows": done.rejected_rows,
        },
    )


def enrichment_metadata(done: StatementEnrichment) -> dict[str, Any]:
    """What the enriched statement asset shows: holder, rejections, and the batches when it submitted."""
    metadata: dict[str, Any] = {
        "ntropy/account_holder_id": done.account_holder_id,
        "ntropy/rejected_rows": done.rejected_rows,
    }
    if done.submission is not None and done.result is not None:
        metadata["ntropy/account_holders_created"] = done.account_holders_created
        metadata["ntropy/batch_ids"] = done.result.batch_ids
        metadata["ntropy/batches_submitted"] = len(done.submission.submitted)
        metadata["ntropy/errored_items"] = done.result.errored_items
        metadata["ntropy/failed_batch_ids"] = done.result.failed_batch_ids
    return {
        **metadata,
        "ntropy/job_id": done.row.job_id or "",
        "ntropy/institution": done.row.institution or "",
    }
