"""The two bank-statement sensors: file discovery and job status.

* Discovery lists the watched folder, derives each file's partition key (name + content hash), adds a
  dynamic partition for every key not seen before and requests its ``submitted_bank_statements`` run
  (run key = partition key, so a daemon restart never uploads twice). The cursor remembers size, mtime
  and hash per path, so unchanged files are not read again.
* Status polls the jobs the warehouse records as ``processing`` within a time budget and requests the
  ``bank_statement_transactions`` (+ enrichment) run of each finished one, run key
  ``<partition>:<job id>``. A job in ``error`` is recorded with its code and message; its run fails with
  them, so the failure is visible on that partition while the other files carry on.
"""

# No `from __future__ import annotations`: Dagster reads the `context` annotations at definition time.

import json
import time
from typing import Any

import dagster as dg
from dagster import SensorEvaluationContext

from ntropy_dagster.client import NotFoundError, NtropyError
from ntropy_dagster.core.statements.files import statement_partition_key
from ntropy_dagster.core.statements.state import ERROR, FINAL_JOB_STATES, PROCESSING, StatementState
from ntropy_dagster.dagster.sensors import DEFAULT_TICK_BUDGET_SECONDS, load_cursor
from ntropy_dagster.dagster.statements.options import BankStatementOptions

#: At most this many new partitions / run requests per tick (the rest follow on the next tick).
MAX_REQUESTS_PER_TICK = 200


def build_discovery_sensor(
    opts: BankStatementOptions,
    *,
    name: str = "ntropy_bank_statement_discovery_sensor",
    minimum_interval_seconds: int = 60,
    tick_budget_seconds: float = DEFAULT_TICK_BUDGET_SECONDS,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """Build the sensor that turns new files in the folder into partitions and upload runs."""
    partitions_def = opts.partitions_def
    submitted = opts.keys.submitted

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={opts.warehouse_resource_key},
        asset_selection=[submitted],
        description=f"Watches {opts.folder.location} ({opts.folder.pattern}) and adds one partition per new "
        "or changed statement file, keyed <name>-<sha256[:12]>, then requests its upload run.",
    )
    def _sensor(context: SensorEvaluationContext) -> dg.SensorResult:
        deadline = time.monotonic() + tick_budget_seconds
        # Cursor: path -> [size, mtime, sha256]. Unchanged files are not hashed again.
        seen: dict[str, Any] = load_cursor(context.cursor).get("files", {})
        assert partitions_def.name is not None
        existing = set(context.instance.get_dynamic_partitions(partitions_def.name))
        files = opts.folder.list()
        cursor: dict[str, Any] = {}
        new: dict[str, tuple[str, str, int]] = {}
        out_of_time = False
        for file in files:
            cached = seen.get(file.path)
            if cached and cached[0] == file.size and cached[1] == file.mtime:
                digest = cached[2]
            elif time.monotonic() > deadline or len(new) >= MAX_REQUESTS_PER_TICK:
                out_of_time = True
                continue
            else:
                digest = opts.folder.hash(file.path)
            cursor[file.path] = [file.size, file.mtime, digest]
            key = statement_partition_key(file.name, digest)
            if key not in existing and key not in new:
                new[key] = (file.path, digest, file.size)
        next_cursor = json.dumps({"files": cursor}, separators=(",", ":"))
        if not new:
            more = " (time budget reached, continuing next tick)" if out_of_time else ""
            return dg.SensorResult(
                skip_reason=dg.SkipReason(
                    f"No new statement files in {opts.folder.location}: {len(files)} file(s), all known{more}"
                ),
                cursor=next_cursor,
            )
        warehouse = getattr(context.resources, opts.warehouse_resource_key).get_warehouse()
        warehouse.ensure_schema()
        state = StatementState(warehouse)
        for key, (path, digest, size) in new.items():
            state.record_discovered(key, path, digest, size)
        context.log.info(f"{len(new)} new statement file(s): {', '.join(new)}")
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=key,
                    partition_key=key,
                    asset_selection=[submitted],
                    tags={"ntropy/file": path},
                )
                for key, (path, _, _) in new.items()
            ],
            dynamic_partitions_requests=[partitions_def.build_add_request(list(new))],
            cursor=next_cursor,
        )

    return _sensor


def build_status_sensor(
    opts: BankStatementOptions,
    *,
    name: str = "ntropy_bank_statement_sensor",
    minimum_interval_seconds: int = 30,
    tick_budget_seconds: float = DEFAULT_TICK_BUDGET_SECONDS,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """Build the sensor that turns finished bank-statement jobs into result runs."""
    selection = [opts.keys.transactions, opts.keys.enriched]
    # The runs evaluate the checks about their own file, not the folder-wide summary check.
    checks = [
        dg.AssetCheckKey(opts.keys.transactions, "balances_reconcile"),
        dg.AssetCheckKey(opts.keys.enriched, "all_transactions_enriched"),
    ]

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys=opts.resource_keys,
        asset_selection=selection,
        description="Polls the bank-statement jobs in flight and requests the results + enrichment run of "
        "each finished statement; a job in error fails its run with the API's code and message.",
    )
    def _sensor(context: SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        deadline = time.monotonic() + tick_budget_seconds
        _, warehouse = opts.resources(context)
        state = StatementState(warehouse)
        in_flight = state.with_status([PROCESSING])
        checked = 0
        if in_flight:
            client = getattr(context.resources, opts.ntropy_resource_key).get_client()
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
                except NtropyError as exc:  # transient: try again next tick
                    context.log.warning(f"Could not poll job {row.job_id}: {exc}")
                    continue
                if job.status in FINAL_JOB_STATES:
                    error = job.error
                    state.record_job_status(
                        row.statement_key,
                        job.status,
                        code=error.code if error else None,
                        message=error.message if error else None,
                    )
                    if job.status == ERROR:
                        context.log.error(
                            f"Bank statement {row.file_path} (job {job.id}) failed: "
                            f"{error.code if error else '?'}: {error.message if error else '?'}"
                        )
        ready = state.with_status(sorted(FINAL_JOB_STATES), unhandled=True)[:MAX_REQUESTS_PER_TICK]
        if not ready:
            if in_flight:
                still = len(state.with_status([PROCESSING]))
                return dg.SkipReason(f"{still} bank statement job(s) still processing ({checked} checked)")
            return dg.SkipReason("No bank statement jobs in flight")
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

    return _sensor
