"""The two bank-statement sensors: file discovery and job status.

* Discovery lists the watched folder, derives each file's partition key (name + content hash), adds a
  dynamic partition for every key not seen before and requests its ``submitted_bank_statements`` run
  (run key = partition key, so a daemon restart never uploads twice). The cursor remembers size, mtime
  and hash per path, so unchanged files are not read again.
* Status polls the jobs the warehouse records as ``processing`` within a time budget and requests the
  ``bank_statement_transactions`` (+ enrichment) run of each finished one, run key
  ``<partition>:<job id>``. A job in ``error`` is recorded with its code and message; its run fails with
  them, so the failure is visible on that partition while the other files carry on.

Tick intervals and the polling budget come from the pipeline's
:class:`~ntropy_dagster.core.options.PipelineOptions` (``discovery_interval_seconds``,
``sensor_interval_seconds``, ``tick_budget_seconds``).
"""

# No `from __future__ import annotations`: Dagster reads the `context` annotations at definition time.

import json
import time

import dagster as dg
from dagster import SensorEvaluationContext

from ntropy_dagster.core.statements.discovery import FolderScan, scan_folder
from ntropy_dagster.core.statements.jobs import refresh_jobs
from ntropy_dagster.core.statements.state import FINAL_JOB_STATES, PROCESSING, StatementState
from ntropy_dagster.dagster.sensors import load_cursor
from ntropy_dagster.dagster.statements.options import BankStatementOptions
from ntropy_dagster.dagster.statements.specs import ALL_TRANSACTIONS_ENRICHED, BALANCES_RECONCILE

#: At most this many new partitions / run requests per tick (the rest follow on the next tick).
MAX_REQUESTS_PER_TICK = 200
DISCOVERY_SENSOR_NAME = "ntropy_bank_statement_discovery_sensor"
STATUS_SENSOR_NAME = "ntropy_bank_statement_sensor"


def build_discovery_sensor(
    opts: BankStatementOptions,
    *,
    name: str = DISCOVERY_SENSOR_NAME,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """Build the sensor that turns new files in the folder into partitions and upload runs."""

    @dg.sensor(
        name=name,
        minimum_interval_seconds=opts.options.discovery_interval_seconds,
        default_status=default_status,
        required_resource_keys={opts.warehouse_resource_key},
        asset_selection=[opts.keys.submitted],
        description=f"Watches {opts.folder.location} ({opts.folder.pattern}) and adds one partition per new "
        "or changed statement file, keyed <name>-<sha256[:12]>, then requests its upload run.",
    )
    def _sensor(context: SensorEvaluationContext) -> dg.SensorResult:
        return evaluate_discovery(context, opts)

    return _sensor


def evaluate_discovery(context: SensorEvaluationContext, opts: BankStatementOptions) -> dg.SensorResult:
    """One discovery tick: key the folder's files, add the new partitions, request their upload runs."""
    partitions_name = opts.partitions_def.name
    assert partitions_name is not None
    scan = scan_folder(
        opts.folder,
        seen=load_cursor(context.cursor).get("files", {}),
        known_keys=set(context.instance.get_dynamic_partitions(partitions_name)),
        deadline=time.monotonic() + opts.options.tick_budget_seconds,
        max_new=MAX_REQUESTS_PER_TICK,
    )
    next_cursor = json.dumps({"files": scan.cursor}, separators=(",", ":"))
    if not scan.new:
        more = " (time budget reached, continuing next tick)" if scan.out_of_time else ""
        reason = f"No new statement files in {opts.folder.location}: {scan.files} file(s), all known{more}"
        return dg.SensorResult(skip_reason=dg.SkipReason(reason), cursor=next_cursor)
    _record_discovered(context, opts, scan)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=key,
                partition_key=key,
                asset_selection=[opts.keys.submitted],
                tags={"ntropy/file": new.path},
            )
            for key, new in scan.new.items()
        ],
        dynamic_partitions_requests=[opts.partitions_def.build_add_request(list(scan.new))],
        cursor=next_cursor,
    )


def _record_discovered(
    context: SensorEvaluationContext, opts: BankStatementOptions, scan: FolderScan
) -> None:
    state = StatementState(opts.warehouse(context))
    for key, new in scan.new.items():
        state.record_discovered(key, new.path, new.content_hash, new.size)
    context.log.info(f"{len(scan.new)} new statement file(s): {', '.join(scan.new)}")


def build_status_sensor(
    opts: BankStatementOptions,
    *,
    name: str = STATUS_SENSOR_NAME,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """Build the sensor that turns finished bank-statement jobs into result runs."""

    @dg.sensor(
        name=name,
        minimum_interval_seconds=opts.options.sensor_interval_seconds,
        default_status=default_status,
        required_resource_keys=opts.resource_keys,
        asset_selection=[opts.keys.transactions, opts.keys.enriched],
        description="Polls the bank-statement jobs in flight and requests the results + enrichment run of "
        "each finished statement; a job in error fails its run with the API's code and message.",
    )
    def _sensor(context: SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        return evaluate_status(context, opts)

    return _sensor


def evaluate_status(
    context: SensorEvaluationContext, opts: BankStatementOptions
) -> dg.SensorResult | dg.SkipReason:
    """One status tick: refresh the jobs in flight, then request the run of each finished, unhandled one."""
    deadline = time.monotonic() + opts.options.tick_budget_seconds
    ntropy, warehouse = opts.resources(context)
    state = StatementState(warehouse)
    in_flight = state.with_status([PROCESSING])
    refresh = None
    if in_flight:
        refresh = refresh_jobs(ntropy.get_client(), state, in_flight, deadline=deadline, log=context.log)
    ready = state.with_status(sorted(FINAL_JOB_STATES), unhandled=True)[:MAX_REQUESTS_PER_TICK]
    if not ready:
        if refresh is not None:
            still = len(state.with_status([PROCESSING]))
            return dg.SkipReason(
                f"{still} bank statement job(s) still processing ({refresh.checked} checked)"
            )
        return dg.SkipReason("No bank statement jobs in flight")
    selection = [opts.keys.transactions, opts.keys.enriched]
    # The runs evaluate the checks about their own file, not the folder-wide summary check.
    checks = [
        dg.AssetCheckKey(opts.keys.transactions, BALANCES_RECONCILE.name),
        dg.AssetCheckKey(opts.keys.enriched, ALL_TRANSACTIONS_ENRICHED.name),
    ]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{row.statement_key}:{row.job_id}",
                partition_key=row.statement_key,
                asset_selection=selection,
                asset_check_keys=checks,
                tags={"ntropy/job_id": row.job_id or "", "ntropy/job_status": row.status or ""},
            )
            for row in ready
        ]
    )
