"""The batch sensor: watch in-flight Ntropy batches and request enrichment runs when they finish.

Each tick

1. reads the in-flight batches from the ledger (the warehouse, not memory: a restarted daemon loses
   nothing), brings their status up to date from the API within a time budget, and carries on at the
   next tick when the budget runs out;
2. requests a ``ntropy_batches`` run for partitions with a batch in ``error`` (the asset resubmits
   just those chunks, up to ``max_attempts``);
3. requests the ``enriched_transactions`` run of every partition whose latest submission finished.

Run keys are deterministic (partition, content hash, batch ids), so overlapping ticks or a daemon
restart never launch the same run twice, while a deliberate re-submission (new batch ids) runs again.
"""

import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster import SensorEvaluationContext

from ntropy_dagster.core.ledger import ERROR, PROCESSING, UNPARTITIONED, SubmissionLedger
from ntropy_dagster.core.status import refresh_in_flight

if TYPE_CHECKING:
    from ntropy_dagster.dagster.assets import PipelineKeys

#: Dagster stops a sensor tick after 60 s; the default budget leaves 20 s of margin.
DEFAULT_TICK_BUDGET_SECONDS = 40.0
#: At most this many run requests per tick (the rest follow on the next tick).
MAX_RUN_REQUESTS_PER_TICK = 100


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def load_cursor(raw: str | None) -> dict[str, Any]:
    """The cursor is informational (the ledger is the state): a corrupt one is simply reset."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def build_ntropy_batch_sensor(
    keys: "PipelineKeys",
    *,
    name: str = "ntropy_batch_sensor",
    ntropy_resource_key: str = "ntropy",
    warehouse_resource_key: str = "ntropy_warehouse",
    max_attempts: int = 3,
    minimum_interval_seconds: int = 30,
    tick_budget_seconds: float = DEFAULT_TICK_BUDGET_SECONDS,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.SensorDefinition:
    """Build the sensor that turns finished Ntropy batches into enrichment runs.

    ``partitions_def`` is the pipeline's: the ledger may also hold batches of other writers (the
    bank-statement path records its own under ``statement:<file>``), and the sensor only acts on
    partitions that belong to its pipeline.
    """
    if keys.batches is None:
        raise ValueError("the batch sensor needs the ntropy_batches asset (blocking mode has none)")
    batches_key = keys.batches

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={ntropy_resource_key, warehouse_resource_key},
        asset_selection=[keys.enriched, batches_key],
        description="Polls in-flight Ntropy batches and requests the enrichment run of each partition "
        "when all of its batches are done; resubmits batches that ended in error.",
    )
    def _sensor(context: SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        deadline = time.monotonic() + tick_budget_seconds
        previous = load_cursor(context.cursor)
        warehouse = getattr(context.resources, warehouse_resource_key).get_warehouse()
        warehouse.ensure_schema()
        ledger = SubmissionLedger(warehouse)
        in_flight = ledger.with_status([PROCESSING])
        summary = None
        if "in_flight" in previous:
            context.log.debug(f"Previous tick left {previous['in_flight']} batch(es) in flight")
        if in_flight:
            client = getattr(context.resources, ntropy_resource_key).get_client()
            summary = refresh_in_flight(client, ledger, deadline=deadline, rows=in_flight)
            context.log.info(
                f"{len(in_flight)} batch(es) in flight: {len(summary.completed)} completed, "
                f"{len(summary.errored)} errored this tick"
                + (" (time budget reached, continuing next tick)" if summary.out_of_time else "")
            )

        def owned(partition_key: str) -> bool:
            if partitions_def is None:
                return partition_key == UNPARTITIONED
            if isinstance(partitions_def, dg.DynamicPartitionsDefinition) and partitions_def.name:
                return context.instance.has_dynamic_partition(partitions_def.name, partition_key)
            return partitions_def.has_partition_key(partition_key)

        run_requests: list[dg.RunRequest] = []
        errored = [row for row in ledger.with_status([ERROR]) if owned(row.partition_key)]
        for row in errored[:MAX_RUN_REQUESTS_PER_TICK]:
            # The ntropy_batches run resubmits the chunk, or marks it failed past max_attempts.
            run_requests.append(
                dg.RunRequest(
                    run_key=f"ntropy-resubmit:{row.partition_key}:{row.content_hash}:{row.batch_id}",
                    asset_selection=[batches_key],
                    partition_key=_partition(row.partition_key),
                    tags={"ntropy/reason": "resubmit-error-batch", "ntropy/batch_id": row.batch_id or ""},
                )
            )
            context.log.warning(
                f"Batch {row.batch_id} of partition {row.partition_key} ended in error "
                f"(attempt {row.attempt} of {max_attempts}); requesting resubmission"
            )
        ready_partitions = [r for r in ledger.ready_partitions() if owned(r.partition_key)]
        for ready in ready_partitions[: MAX_RUN_REQUESTS_PER_TICK - len(run_requests)]:
            if time.monotonic() > deadline:
                break
            run_requests.append(
                dg.RunRequest(
                    run_key=f"ntropy-enrich:{ready.partition_key}:{ready.content_hash}:"
                    f"{_digest(*ready.batch_ids, *ready.failed_batch_ids)}",
                    asset_selection=[keys.enriched],
                    partition_key=_partition(ready.partition_key),
                    tags={"ntropy/content_hash": ready.content_hash},
                )
            )
        still_in_flight = len(in_flight) - (len(summary.completed) + len(summary.errored) if summary else 0)
        new_cursor = json.dumps(
            {"last_tick": time.time(), "in_flight": still_in_flight}, separators=(",", ":")
        )
        if not run_requests:
            reason = (
                f"{still_in_flight} Ntropy batch(es) still processing"
                if still_in_flight
                else "No Ntropy batches in flight and no partition waiting for enrichment"
            )
            return dg.SensorResult(skip_reason=dg.SkipReason(reason), cursor=new_cursor)
        return dg.SensorResult(run_requests=run_requests, cursor=new_cursor)

    return _sensor


def _partition(partition_key: str) -> str | None:
    return None if partition_key == UNPARTITIONED else partition_key
