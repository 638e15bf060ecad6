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

Each asset is declared with the translator's spec as it is, and its body is one call to a step of
:mod:`ntropy_dagster.dagster.statements.steps`.
"""

# No `from __future__ import annotations`: Dagster reads the `context` annotations at definition time.

from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from ntropy_dagster.dagster.assets.checks import partitioned_check_spec
from ntropy_dagster.dagster.assets.common import NTROPY_POOL, op_name
from ntropy_dagster.dagster.statements.options import BankStatementOptions
from ntropy_dagster.dagster.statements.specs import (
    ALL_TRANSACTIONS_ENRICHED,
    BALANCES_RECONCILE,
    FILE_ACCEPTED,
    BankStatementSpecs,
    StepCheck,
)
from ntropy_dagster.dagster.statements.steps import (
    StatementEvent,
    materialize_enriched,
    materialize_submitted,
    materialize_transactions,
)


def _statement_asset(
    opts: BankStatementOptions, spec: dg.AssetSpec, check: StepCheck
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """The ``multi_asset`` decorator of one statement asset: its spec, its check, partitions, pool."""
    return dg.multi_asset(
        name=op_name(spec.key),
        specs=[spec],
        # Partitioned like the asset: each result attaches to the statement (partition) of the run.
        check_specs=[
            partitioned_check_spec(
                check.name, partitions_def=opts.partitions_def, asset=spec.key, description=check.description
            )
        ],
        partitions_def=opts.partitions_def,
        required_resource_keys=opts.resource_keys,
        pool=NTROPY_POOL,
    )


def build_statement_assets(
    opts: BankStatementOptions, specs: BankStatementSpecs
) -> list[dg.AssetsDefinition]:
    """The three partitioned assets of the bank-statement path."""

    @_statement_asset(opts, specs.submitted, FILE_ACCEPTED)
    def submitted_bank_statements(context: AssetExecutionContext) -> Iterator[StatementEvent]:
        yield from materialize_submitted(context, opts)

    @_statement_asset(opts, specs.transactions, BALANCES_RECONCILE)
    def bank_statement_transactions(context: AssetExecutionContext) -> Iterator[StatementEvent]:
        yield from materialize_transactions(context, opts)

    @_statement_asset(opts, specs.enriched, ALL_TRANSACTIONS_ENRICHED)
    def bank_statement_enriched_transactions(context: AssetExecutionContext) -> Iterator[StatementEvent]:
        yield from materialize_enriched(context, opts)

    return [submitted_bank_statements, bank_statement_transactions, bank_statement_enriched_transactions]
