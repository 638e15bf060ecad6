"""The batch sensor: watch in-flight Ntropy batches and request enrichment runs when they finish.

Each tick

1. reads the in-flight batches from the ledger (the warehouse, not memory: a restarted daemon loses
   nothing), brings their status up to date from the API within a time budget, and carries on at the
   next tick when the budget runs out;
2. requests a ``ntropy_batches`` run for partitions with a batch in ``error`` (the asset resubmits
   just those chunks, up to ``max_attempts``), and for chunks left ``submitting`` longer than
   ``resume_after_seconds`` (their run died, or an orphan batch awaits proof): the run adopts what is
   proven the chunk's own or submits it, so no chunk waits for a person;
3. requests the ``enriched_transactions`` run of every partition whose latest submission finished,
   ahead of queued runs in Dagster's run queue (``dagster/priority``).

Run keys are deterministic (partition, content hash, chunk, attempt, batch ids), so overlapping ticks or a
daemon restart never launch the same run twice, while a retry (a new attempt, new batch ids, the next
resume interval) is never swallowed as a duplicate. A request whose earlier run ended without settling the
work (it failed, was canceled, or its worker died and run monitoring marked it failed) gets a new key: the
number of such runs is part of it (every request carries its key without that number in the
``ntropy/request`` tag, which the sensor looks its runs up by). Nothing is requested while such a run is
still queued or in progress; past ``max_attempts`` finished runs, a request repeats once per
``resume_after_seconds`` instead of at every tick.
"""

import datetime as dt
import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster import SensorEvaluationContext

from ntropy_dagster.core.ledger import ERROR, PROCESSING, UNPARTITIONED, LedgerRow, SubmissionLedger
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.status import RefreshSummary, refresh_in_flight
from ntropy_dagster.dagster.pipeline import (
    BATCH_SENSOR_NAME,
    NTROPY_RESOURCE_KEY,
    WAREHOUSE_RESOURCE_KEY,
    PipelineKeys,
)

#: The default time a tick spends polling (``PipelineOptions.tick_budget_seconds``).
DEFAULT_TICK_BUDGET_SECONDS = PipelineOptions().tick_budget_seconds
#: At most this many run requests per tick (the rest follow on the next tick).
MAX_RUN_REQUESTS_PER_TICK = 100
#: The tag that holds a request's key without its retry count: the runs launched for it are found by it.
REQUEST_TAG = "ntropy/request"
#: Dagster's run-queue priority tag (higher runs first). Enrichment runs go ahead of queued submission
#: runs: their batches are paid for and finished, and storing them takes no API slot, while a queued
#: backfill's submission runs would wait for slots with the run queue full.
PRIORITY_TAG = "dagster/priority"
ENRICHMENT_PRIORITY = "1"
#: The tag Dagster gives a run of one partition.
PARTITION_TAG = "dagster/partition"


@dataclass(frozen=True)
class BatchSensorSettings:
    """What the batch sensor's evaluation needs besides the context."""

    keys: PipelineKeys
    batches_key: dg.AssetKey
    options: PipelineOptions
    ntropy_resource_key: str
    warehouse_resource_key: str
    partitions_def: dg.PartitionsDefinition | None


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
    keys: PipelineKeys,
    *,
    name: str = BATCH_SENSOR_NAME,
    options: PipelineOptions | None = None,
    ntropy_resource_key: str = NTROPY_RESOURCE_KEY,
    warehouse_resource_key: str = WAREHOUSE_RESOURCE_KEY,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.SensorDefinition:
    """Build the sensor that turns finished Ntropy batches into enrichment runs.

    ``options`` gives the tick interval (``sensor_interval_seconds``), the polling budget of a tick
    (``tick_budget_seconds``) and ``max_attempts`` (in the logs). ``partitions_def`` is the pipeline's:
    the ledger may also hold batches of other writers (the bank-statement path records its own under
    ``statement:<file>``), and the sensor only acts on partitions that belong to its pipeline.
    """
    if keys.batches is None:
        raise ValueError("the batch sensor needs the ntropy_batches asset (blocking mode has none)")
    options = options or PipelineOptions()
    settings = BatchSensorSettings(
        keys, keys.batches, options, ntropy_resource_key, warehouse_resource_key, partitions_def
    )

    @dg.sensor(
        name=name,
        minimum_interval_seconds=options.sensor_interval_seconds,
        default_status=default_status,
        required_resource_keys={ntropy_resource_key, warehouse_resource_key},
        asset_selection=[keys.enriched, keys.batches],
        description="Polls in-flight Ntropy batches and requests the enrichment run of each partition "
        "when all of its batches are done; resubmits batches that ended in error.",
    )
    def _sensor(context: SensorEvaluationContext) -> dg.SensorResult:
        return evaluate_batch_sensor(context, settings)

    return _sensor


def evaluate_batch_sensor(context: SensorEvaluationContext, settings: BatchSensorSettings) -> dg.SensorResult:
    """One tick: refresh the in-flight batches, then request resubmissions and enrichment runs."""
    deadline = time.monotonic() + settings.options.tick_budget_seconds
    previous = load_cursor(context.cursor)
    if "in_flight" in previous:
        context.log.debug(f"Previous tick left {previous['in_flight']} batch(es) in flight")
    warehouse = getattr(context.resources, settings.warehouse_resource_key).get_warehouse()
    warehouse.ensure_schema()
    ledger = SubmissionLedger(warehouse)
    in_flight = ledger.with_status([PROCESSING])
    summary = _refresh(context, settings, ledger, in_flight, deadline) if in_flight else None
    owned = functools.partial(_owns, context, settings.partitions_def)
    run_requests = _resubmission_requests(context, settings, ledger, owned)
    run_requests += _resume_requests(context, settings, ledger, owned)
    run_requests += _enrichment_requests(
        context, settings, ledger, owned, deadline, MAX_RUN_REQUESTS_PER_TICK - len(run_requests)
    )
    still_in_flight = len(in_flight) - (len(summary.completed) + len(summary.errored) if summary else 0)
    cursor = json.dumps({"last_tick": time.time(), "in_flight": still_in_flight}, separators=(",", ":"))
    if run_requests:
        return dg.SensorResult(run_requests=run_requests, cursor=cursor)
    reason = (
        f"{still_in_flight} Ntropy batch(es) still processing"
        if still_in_flight
        else "No Ntropy batches in flight and no partition waiting for enrichment"
    )
    return dg.SensorResult(skip_reason=dg.SkipReason(reason), cursor=cursor)


def _refresh(
    context: SensorEvaluationContext,
    settings: BatchSensorSettings,
    ledger: SubmissionLedger,
    in_flight: list[LedgerRow],
    deadline: float,
) -> RefreshSummary:
    """Bring the in-flight batches' status up to date from the API, within the tick's budget."""
    client = getattr(context.resources, settings.ntropy_resource_key).get_client()
    summary = refresh_in_flight(client, ledger, deadline=deadline, rows=in_flight)
    context.log.info(
        f"{len(in_flight)} batch(es) in flight: {len(summary.completed)} completed, "
        f"{len(summary.errored)} errored this tick"
        + (" (time budget reached, continuing next tick)" if summary.out_of_time else "")
    )
    return summary


def _owns(
    context: SensorEvaluationContext, partitions_def: dg.PartitionsDefinition | None, partition_key: str
) -> bool:
    """Whether a ledger partition key belongs to the pipeline's partitions."""
    if partitions_def is None:
        return partition_key == UNPARTITIONED
    if isinstance(partitions_def, dg.DynamicPartitionsDefinition) and partitions_def.name:
        return context.instance.has_dynamic_partition(partitions_def.name, partition_key)
    return partitions_def.has_partition_key(partition_key)


def _resubmission_requests(
    context: SensorEvaluationContext,
    settings: BatchSensorSettings,
    ledger: SubmissionLedger,
    owned: Callable[[str], bool],
) -> list[dg.RunRequest]:
    """A batches run per errored batch: it resubmits the chunk, or marks it failed past max_attempts."""
    errored = [row for row in ledger.with_status([ERROR]) if owned(row.partition_key)]
    requests = []
    for row in errored[:MAX_RUN_REQUESTS_PER_TICK]:
        request = _request(
            context,
            settings,
            f"ntropy-resubmit:{row.partition_key}:{row.content_hash}:{row.chunk_index}:{row.attempt}:"
            f"{row.batch_id}",
            asset_selection=[settings.batches_key],
            partition_key=_partition(row.partition_key),
            tags={"ntropy/reason": "resubmit-error-batch", "ntropy/batch_id": row.batch_id or ""},
        )
        if request is None:
            continue
        requests.append(request)
        context.log.warning(
            f"Batch {row.batch_id} of partition {row.partition_key} ended in error "
            f"(attempt {row.attempt} of {settings.options.max_attempts}); requesting resubmission"
        )
    return requests


def _resume_requests(
    context: SensorEvaluationContext,
    settings: BatchSensorSettings,
    ledger: SubmissionLedger,
    owned: Callable[[str], bool],
) -> list[dg.RunRequest]:
    """A batches run per partition with a chunk left ``submitting`` past ``resume_after_seconds``.

    The run key holds the resume interval's number, so a chunk still waiting (its orphan unproven) is
    requested again once per interval, never once per tick.
    """
    after = settings.options.resume_after_seconds
    stale = [r for r in ledger.stale_intents(dt.timedelta(seconds=after)) if owned(r.partition_key)]
    interval = int(time.time() // after)
    requests: dict[str, dg.RunRequest] = {}
    for row in stale[:MAX_RUN_REQUESTS_PER_TICK]:
        if row.partition_key in requests:
            continue
        request = _request(
            context,
            settings,
            f"ntropy-resume:{row.partition_key}:{row.content_hash}:{row.chunk_index}:{row.attempt}:{interval}",
            asset_selection=[settings.batches_key],
            partition_key=_partition(row.partition_key),
            tags={"ntropy/reason": "resume-interrupted-submission"},
        )
        if request is None:
            continue
        requests[row.partition_key] = request
        context.log.warning(
            f"Chunk {row.chunk_index} of partition {row.partition_key} has been submitting since "
            f"{row.submitted_at} (its run died, or an orphan batch awaits proof); requesting its batches run"
        )
    return list(requests.values())


def _enrichment_requests(
    context: SensorEvaluationContext,
    settings: BatchSensorSettings,
    ledger: SubmissionLedger,
    owned: Callable[[str], bool],
    deadline: float,
    limit: int,
) -> list[dg.RunRequest]:
    """An enrichment run per owned partition whose latest submission finished (at most ``limit``).

    A partition whose batches run is still going is left for a later tick: the chunks it submitted may
    all be done while it waits for an API slot to submit the next (their intents are written only once
    the API has room), and an enrichment run then would find rows in no submission and fail.
    """
    requests: list[dg.RunRequest] = []
    for ready in [r for r in ledger.ready_partitions() if owned(r.partition_key)]:
        if len(requests) >= limit or time.monotonic() > deadline:
            break
        if _submitting(context, settings.batches_key, ready.partition_key):
            context.log.info(
                f"Partition {ready.partition_key}: its batches run is still submitting; enrichment waits for it"
            )
            continue
        request = _request(
            context,
            settings,
            f"ntropy-enrich:{ready.partition_key}:{ready.content_hash}:"
            f"{_digest(*ready.batch_ids, *ready.failed_batch_ids)}",
            asset_selection=[settings.keys.enriched],
            partition_key=_partition(ready.partition_key),
            tags={"ntropy/content_hash": ready.content_hash, PRIORITY_TAG: ENRICHMENT_PRIORITY},
        )
        if request is not None:
            requests.append(request)
    return requests


#: Run statuses of a run that has not ended.
_UNFINISHED = [
    status
    for status in dg.DagsterRunStatus
    if status not in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
]


def _submitting(context: SensorEvaluationContext, batches_key: dg.AssetKey, partition_key: str) -> bool:
    """Whether a run that materializes ``batches_key`` for the partition has not ended (queued ones too)."""
    tags = {} if partition_key == UNPARTITIONED else {PARTITION_TAG: partition_key}
    runs = context.instance.get_runs(filters=dg.RunsFilter(tags=tags, statuses=_UNFINISHED))
    return any(run.asset_selection is None or batches_key in run.asset_selection for run in runs)


def _request(
    context: SensorEvaluationContext,
    settings: BatchSensorSettings,
    key: str,
    *,
    asset_selection: list[dg.AssetKey],
    partition_key: str | None,
    tags: dict[str, str],
) -> dg.RunRequest | None:
    """The run request for the work named ``key``, or None while a run launched for it is unfinished.

    The run key counts the runs already launched for ``key`` that ended (its work is still to do, so they
    did not settle it: a failure, a cancellation, a killed worker): each retry gets a new key, where the
    same key would be skipped by Dagster for good. Past ``max_attempts`` of them, the key also holds the
    resume interval's number, so a request that keeps failing is repeated at that pace, not every tick.
    """
    runs = context.instance.get_runs(filters=dg.RunsFilter(tags={REQUEST_TAG: key}))
    if any(not run.is_finished for run in runs):
        return None
    ended = len(runs)
    run_key = f"{key}:{ended}"
    if ended >= settings.options.max_attempts:
        interval = int(time.time() // settings.options.resume_after_seconds)
        run_key = f"{run_key}:{interval}"
        context.log.warning(
            f"{ended} run(s) for {key} ended without settling it; requesting it again once per "
            f"{settings.options.resume_after_seconds} s"
        )
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=asset_selection,
        partition_key=partition_key,
        tags={**tags, REQUEST_TAG: key},
    )


def _partition(partition_key: str) -> str | None:
    return None if partition_key == UNPARTITIONED else partition_key
