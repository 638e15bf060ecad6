"""Send a statement's extracted transactions through the transaction pipeline's own steps.

Validation, rejected rows, account holders and the blocking submit-wait-store are the transaction
path's (:mod:`ntropy_dagster.core.validation`, :mod:`~ntropy_dagster.core.rejected`,
:mod:`~ntropy_dagster.core.account_holders`, :func:`~ntropy_dagster.core.enrichment.submit_wait_and_store`);
the statement's batches are recorded in the ledger under partition ``statement:<statement key>`` and its
rows land in the shared enriched table with ``source = 'bank_statement'``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.account_holders import ensure_account_holders
from ntropy_dagster.core.enrichment import EnrichResult, submit_wait_and_store
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.rejected import write_rejected
from ntropy_dagster.core.statements.errors import StatementUnavailableError
from ntropy_dagster.core.statements.extract import derive_account_holder_id, enrichment_frame
from ntropy_dagster.core.statements.jobs import submitted_row
from ntropy_dagster.core.statements.state import COMPLETED, StatementRow, StatementState
from ntropy_dagster.core.submission import SubmissionResult
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)

#: Partition keys of the transaction pipeline's batch ledger are ``statement:<statement partition>``.
SUBMISSION_PREFIX = "statement:"
#: ``source`` of the statement rows in the enriched-transactions table.
SOURCE = "bank_statement"


def submission_key(statement_key: str) -> str:
    """The batch-ledger partition key of a statement's enrichment batches."""
    return f"{SUBMISSION_PREFIX}{statement_key}"


@dataclass(frozen=True)
class StatementEnrichment:
    """What :func:`enrich_statement` did; ``submission`` and ``result`` are None when no row was valid."""

    row: StatementRow
    account_holder_id: str
    extracted: int
    rejected_rows: int
    enriched: int
    account_holders_created: int = 0
    submission: SubmissionResult | None = None
    result: EnrichResult | None = None


def stored_row(state: StatementState, statement_key: str) -> StatementRow:
    """The row of a statement whose results are stored; raises :class:`StatementUnavailableError` if not."""
    row = submitted_row(state, statement_key)
    if row.status != COMPLETED:
        raise StatementUnavailableError(
            f"Statement {statement_key} has no stored results (job {row.job_id} is {row.status}): "
            "materialize bank_statement_transactions first",
            job_id=row.job_id,
        )
    return row


def enrich_statement(
    client: NtropyClient,
    warehouse: Warehouse,
    statement_key: str,
    *,
    default_account_holder_type: str,
    options: PipelineOptions,
    run_id: str | None = None,
    log: logging.Logger | Any = logger,
) -> StatementEnrichment:
    """Validate the statement's stored transactions, record the rejected ones, create the account holder
    and submit, wait for and store the batches (blocking); idempotent like the transaction path."""
    row = stored_row(StatementState(warehouse), statement_key)
    extracted = warehouse.read_frame("bank_statement_transactions", statement_key=statement_key)
    holder_id = row.account_holder_id or derive_account_holder_id(row.account_holder_name, None)
    holder_type = row.account_holder_type or default_account_holder_type
    validated = validate_transactions(enrichment_frame(extracted, holder_id, holder_type))
    partition_key = submission_key(statement_key)
    rejected = write_rejected(warehouse, partition_key, validated, log=log)
    created, submission, result = 0, None, None
    if validated.payloads:
        created, _existing = ensure_account_holders(
            client, warehouse, validated.account_holders, rate=options.account_holder_rate
        )
        submission, result = submit_wait_and_store(
            client,
            warehouse,
            validated,
            partition_key=partition_key,
            options=options,
            source=SOURCE,
            run_id=run_id,
            log=log,
        )
    enriched = warehouse.count("enriched_transactions", partition_key=partition_key, source=SOURCE)
    return StatementEnrichment(
        row, holder_id, len(extracted), rejected, enriched, created, submission, result
    )
