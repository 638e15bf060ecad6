"""Standalone check over every statement: none is stuck rejected or failed."""

# No `from __future__ import annotations`: Dagster reads the `context` annotations at definition time.

from typing import Any

import dagster as dg
from dagster import AssetCheckExecutionContext

from ntropy_dagster.core.statements.state import ERROR, REJECTED, StatementState
from ntropy_dagster.dagster.statements.options import BankStatementOptions

#: At most this many failed statements are listed in the check's metadata.
MAX_LISTED = 50
STATEMENTS_PROCESSED = "all_statements_processed"


def build_statements_processed_check(opts: BankStatementOptions) -> dg.AssetChecksDefinition:
    """A check on ``bank_statement_transactions`` that fails while any statement is rejected or failed,
    listing each with its code and message (delete or replace the file, then its partition, to clear it)."""

    @dg.asset_check(
        asset=opts.keys.transactions,
        name=STATEMENTS_PROCESSED,
        description="No statement file was rejected before upload or failed on Ntropy.",
        required_resource_keys={opts.warehouse_resource_key},
        # Evaluated by build_statements_check_sensor's sensor when it first runs (catching up with
        # statements processed before) and whenever a statement's rows change.
        automation_condition=dg.AutomationCondition.any_deps_updated()
        | dg.AutomationCondition.initial_evaluation(),
    )
    def _check(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        state = StatementState(opts.warehouse(context))
        failed = [r for r in state.all() if r.status in (REJECTED, ERROR)]
        listed: dict[str, Any] = {
            r.statement_key: f"{r.status}: {r.error_code}: {r.error_message}" for r in failed[:MAX_LISTED]
        }
        return dg.AssetCheckResult(
            passed=not failed,
            # A warning: each failed statement already failed its own run or upload check.
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{len(failed)} statement(s) rejected or failed" if failed else None,
            metadata={"failed_statements": dg.MetadataValue.json(listed), "failed_count": len(failed)},
        )

    return _check


def build_statements_check_sensor(
    opts: BankStatementOptions, *, default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING
) -> dg.AutomationConditionSensorDefinition:
    """The sensor that evaluates ``all_statements_processed`` after any statement's transactions change.

    The check spans every statement (it is not partitioned), so no statement's run evaluates it; without
    this sensor it would stay "not evaluated" until launched by hand. Running by default, like the marts'
    sensor (Dagster's own automation sensor starts stopped).
    """
    check = dg.AssetCheckKey(opts.keys.transactions, STATEMENTS_PROCESSED)
    stem = "__".join(opts.keys.transactions.path).replace("-", "_")
    return dg.AutomationConditionSensorDefinition(
        f"{stem}_checks_automation_sensor",
        target=dg.AssetSelection.checks(check),
        default_status=default_status,
        minimum_interval_seconds=opts.options.sensor_interval_seconds,
        description="Evaluates all_statements_processed after any statement's transactions change.",
    )
