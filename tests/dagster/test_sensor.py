"""The batch sensor: cursor tolerance, time budget, many batches in flight, marts automation."""

import asyncio
import time
from typing import Any

import dagster as dg
import httpx
import pytest
from dagster._core.loader import LoadingContextForTest
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionResolvedStatus
from dagster._core.test_utils import create_run_for_test

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.delta import members_of
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.dagster.sensors import build_ntropy_batch_sensor
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from tests.dagster.conftest import API_KEY, history, make_defs, query, run_selection, tick

JANUARY = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-01-29")


@pytest.mark.parametrize("cursor", ["{not json", "[1, 2]", "", '{"in_flight": 3}'])
def test_corrupt_or_foreign_cursor_is_tolerated(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance, cursor: str
) -> None:
    raw = history(1, per_day=10, holders=2, prefix=f"cur-{abs(hash(cursor))}-")
    defs, pipeline, _ = make_defs(raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}")
    run_selection(defs, instance, [pipeline.keys.raw, pipeline.keys.account_holders, pipeline.keys.batches])
    result = tick(defs, instance, cursor=cursor)
    assert [r.asset_selection for r in result.run_requests] == [[pipeline.keys.enriched]]
    assert result.cursor.startswith("{")  # replaced by a valid one


def _fill_ledger(server: Any, wh: Any, count: int) -> list[str]:
    """Submit ``count`` one-transaction batches for real and record them as in flight."""
    ledger = SubmissionLedger(wh)
    ids = []
    with NtropyClient(api_key=server.api_key, base_url=server.base_url) as client:
        for i in range(count):
            tx = {
                "id": f"many-{i}",
                "description": "NETFLIX.COM",
                "date": "2025-01-01",
                "amount": 1.0,
                "entry_type": "outgoing",
                "currency": "USD",
            }
            key = (f"2025-01-{1 + i % 28:02d}", f"hash-{i}", 0)
            ledger.record_intent(
                partition_key=key[0],
                content_hash=key[1],
                chunk_index=0,
                chunk_hash="c",
                members=members_of([tx]),
                attempt=1,
                run_id=None,
            )
            batch = client.batches.create([tx])
            ledger.record_batch(key, batch_id=batch.id, status="processing", progress=0, total=1)
            ids.append(batch.id)
    return ids


@pytest.mark.slow
def test_a_tick_with_1000_batches_in_flight_stays_well_under_a_minute(
    tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sb.db"))) as server:
        defs, _, wh = make_defs(
            history(1, per_day=1), server, f"sqlite:///{tmp_path / 'wh.db'}", raw_partitions_def=JANUARY
        )
        wh.get_warehouse().ensure_schema()
        _fill_ledger(server, wh.get_warehouse(), 1000)
        started = time.monotonic()
        result = tick(defs, instance)
        elapsed = time.monotonic() - started
        assert elapsed < 30, f"tick took {elapsed:.1f}s"
        statuses = query(wh, "select status, count(*) as n from {t}batches group by 1")
        assert dict(zip(statuses["status"], statuses["n"], strict=True)) == {"completed": 1000}
        assert len(result.run_requests) == 28  # one enrichment run per partition, capped per tick


def test_the_time_budget_stops_a_tick_and_the_next_one_continues(
    tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sb.db"))) as server:
        defs, pipeline, wh = make_defs(
            history(1, per_day=1), server, f"sqlite:///{tmp_path / 'wh.db'}", raw_partitions_def=JANUARY
        )
        wh.get_warehouse().ensure_schema()
        _fill_ledger(server, wh.get_warehouse(), 30)
        starved = PipelineOptions(tick_budget_seconds=1e-9)  # runs out before the first answer is recorded
        broke = build_ntropy_batch_sensor(pipeline.keys, name="budget_sensor", options=starved)
        defs = dg.Definitions.merge(defs, dg.Definitions(sensors=[broke]))
        with dg.build_sensor_context(
            instance=instance, definitions=defs, resources=defs.resources
        ) as context:
            result = broke.evaluate_tick(context)
        assert not result.run_requests
        assert "still processing" in (result.skip_message or "")
        assert set(query(wh, "select status from {t}batches")["status"]) == {"processing"}
        # A normal tick picks the work up where the starved one left it.
        assert len(tick(defs, instance).run_requests) == 28


def test_marts_wait_for_the_enriched_table_and_its_blocking_checks(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    raw = history(2, per_day=10, holders=2, prefix="auto-")
    defs, pipeline, _ = make_defs(raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}")
    keys = pipeline.keys
    marts = dg.AssetSelection.assets(keys.recurring_groups, keys.income)

    first = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=marts)
    assert first.total_requested == 0  # nothing upstream has happened yet

    run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches])
    tick(defs, instance)
    run_selection(defs, instance, [keys.enriched])
    second = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=marts, cursor=first.cursor
    )
    assert second.get_num_requested(keys.recurring_groups) == 1


def test_the_sensor_ignores_batches_of_partitions_outside_its_pipeline(
    tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    """The bank-statement path records its own batches (``statement:<file>``) in the same ledger."""
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sb.db"))) as server:
        defs, _, wh = make_defs(
            history(1, per_day=1), server, f"sqlite:///{tmp_path / 'wh.db'}", raw_partitions_def=JANUARY
        )
        warehouse = wh.get_warehouse()
        warehouse.ensure_schema()
        ledger = SubmissionLedger(warehouse)
        with NtropyClient(api_key=server.api_key, base_url=server.base_url) as client:
            for key in ("statement:acme-2025-01-abc123", "2024-12-31"):  # a file; a day before the start
                ledger.record_intent(
                    partition_key=key,
                    content_hash="h",
                    chunk_index=0,
                    chunk_hash="c",
                    members={key: "fingerprint"},
                    attempt=1,
                    run_id=None,
                )
                tx = {
                    "id": key,
                    "description": "NETFLIX.COM",
                    "date": "2025-01-01",
                    "amount": 1.0,
                    "entry_type": "outgoing",
                    "currency": "USD",
                }
                batch = client.batches.create([tx])
                ledger.record_batch(
                    (key, "h", 0), batch_id=batch.id, status="processing", progress=0, total=1
                )
        result = tick(defs, instance)
        assert result.run_requests == []
        assert "No Ntropy batches in flight" in (result.skip_message or "")


def _batch_ids(wh: Any) -> list[str]:
    return list(query(wh, "select batch_id from {t}batches")["batch_id"])


def test_materialize_all_while_batches_process_skips_enriched_and_the_sensor_requests_it_later(
    tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    """ "Materialize all" in sensor mode: the batches are still processing when the enriched step runs."""
    slow = SandboxConfig(api_keys=(API_KEY,), rate=0.01, db_path=str(tmp_path / "sb.db"))  # stays processing
    with run_sandbox(slow) as server:
        raw = history(1, per_day=10, holders=2, prefix="skip-")
        defs, pipeline, wh = make_defs(raw, server, f"sqlite:///{tmp_path / 'wh.db'}")
        keys = pipeline.keys
        assets = list(defs.assets or [])
        everything = dg.materialize(assets, instance=instance, resources=defs.resources, raise_on_error=False)
        assert everything.success  # the run does not fail
        materialized = {m.asset_key for m in everything.get_asset_materialization_events()}
        assert keys.batches in materialized and keys.enriched not in materialized
        assert not materialized & {keys.recurring_groups, keys.income}  # skipped downstream of enriched
        assert everything.get_asset_check_evaluations() == []  # no check half-evaluated
        [batch_id] = _batch_ids(wh)
        logs = " ".join(entry.user_message for entry in instance.all_logs(everything.run_id))
        assert batch_id in logs and "batch sensor" in logs

        # Dagster resolves the enriched checks of that run as skipped, not failed.
        context = LoadingContextForTest(instance)
        for spec in next(a for a in assets if a.key == keys.enriched).check_specs:
            record = instance.event_log_storage.get_latest_asset_check_execution_by_key([spec.key])[spec.key]
            assert record.run_id == everything.run_id
            status = asyncio.run(record.resolve_status(context))
            assert status == AssetCheckExecutionResolvedStatus.SKIPPED

        # Still processing: the sensor waits. Finished: it requests the enriched run, which stores.
        assert not tick(defs, instance).run_requests
        with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": server.api_key}) as http:
            http.post(f"/_sandbox/batches/{batch_id}/complete").raise_for_status()
        [request] = tick(defs, instance).run_requests
        assert request.asset_selection == [keys.enriched]
        enriched = run_selection(defs, instance, [keys.enriched])
        assert {e.check_name: e.passed for e in enriched.get_asset_check_evaluations()} == {
            "all_valid_rows_enriched": True,
            "item_error_rate": True,
            "unique_transaction_ids": True,
        }
        assert len(query(wh, "select * from {t}enriched_transactions")) == 10
        assert not tick(defs, instance).run_requests


def test_enriching_a_partition_that_was_never_submitted_fails_at_once(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    raw = history(1, per_day=5, holders=1, prefix="never-")
    defs, pipeline, _ = make_defs(
        raw,
        sandbox,
        f"sqlite:///{tmp_path / 'wh.db'}",
        options=PipelineOptions(step_retry_delay_seconds=0.05),
    )
    keys = pipeline.keys
    result = run_selection(defs, instance, [keys.raw, keys.enriched], expect_success=False)
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.user_failure_data
    assert error is not None and "submit it first" in (error.description or "")
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]


def test_a_chunk_left_submitting_is_resumed_by_the_sensor_and_then_enriched(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    # A run died between writing its intent and its POST: nothing is in flight, nothing is ready.
    raw = history(1, per_day=12, holders=2, prefix="resume-")
    options = PipelineOptions(resume_after_seconds=1.0, resend_after_seconds=1.0)
    defs, pipeline, wh = make_defs(raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}", options=options)
    run_selection(defs, instance, [pipeline.keys.raw, pipeline.keys.account_holders, pipeline.keys.batches])
    ledger = SubmissionLedger(wh.get_warehouse())
    [row] = ledger.with_status(["processing", "completed"])
    ledger.record_intent(
        partition_key=row.partition_key,
        content_hash=row.content_hash,
        chunk_index=row.chunk_index,
        chunk_hash=row.chunk_hash,
        members=ledger.members(row),
        attempt=row.attempt + 1,
        run_id="died",
    )
    resumes = [r for r in tick(defs, instance).run_requests if (r.run_key or "").startswith("ntropy-resume:")]
    assert resumes == []  # not stale yet
    time.sleep(1.2)
    [request] = tick(defs, instance).run_requests
    assert request.run_key.startswith("ntropy-resume:") and request.asset_selection == [pipeline.keys.batches]
    assert tick(defs, instance).run_requests[0].run_key == request.run_key  # the same interval: one run
    run_selection(defs, instance, [pipeline.keys.batches])  # what the requested run does
    [resumed] = ledger.pending(row.partition_key)
    assert resumed.status in ("processing", "completed") and resumed.batch_id not in (None, row.batch_id)
    assert row.batch_id in ledger.known_batch_ids()  # the earlier batch is kept in the history
    [enrich] = tick(defs, instance).run_requests
    assert enrich.asset_selection == [pipeline.keys.enriched]


def test_resubmission_run_keys_change_with_the_attempt(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    raw = history(1, per_day=8, holders=2, prefix="attempt-key-")
    defs, pipeline, wh = make_defs(raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}")
    run_selection(defs, instance, [pipeline.keys.raw, pipeline.keys.account_holders, pipeline.keys.batches])
    ledger = SubmissionLedger(wh.get_warehouse())
    [row] = ledger.pending(ledger.with_status(["processing", "completed"])[0].partition_key)
    keys = []
    for attempt in (1, 2):
        if attempt > 1:  # the resubmission's intent, then the API reports the same batch id in error again
            ledger.record_intent(
                partition_key=row.partition_key,
                content_hash=row.content_hash,
                chunk_index=row.chunk_index,
                chunk_hash=row.chunk_hash,
                members=ledger.members(row),
                attempt=attempt,
                run_id=None,
            )
        ledger.record_batch(row, batch_id=row.batch_id or "b", status="error", progress=0, total=row.total)
        [request] = [r for r in tick(defs, instance).run_requests if r.run_key.startswith("ntropy-resubmit:")]
        keys.append(request.run_key)
    assert keys[0] != keys[1]  # a retry of the same batch is never swallowed as a duplicate run


def test_an_enrichment_run_that_ended_without_settling_its_partition_is_requested_again(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    """Dagster never launches a sensor's run key twice: the retry count in the key is what re-requests it."""
    raw = history(1, per_day=8, holders=2, prefix="retry-key-")
    options = PipelineOptions(max_attempts=2, resume_after_seconds=3600.0)
    defs, pipeline, _ = make_defs(raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}", options=options)
    run_selection(defs, instance, [pipeline.keys.raw, pipeline.keys.account_holders, pipeline.keys.batches])

    def launch(request: dg.RunRequest, status: dg.DagsterRunStatus) -> dg.DagsterRun:
        """What the daemon records for a request (its tags and run key), ended in ``status``."""
        return create_run_for_test(
            instance, tags={**request.tags, "dagster/run_key": request.run_key}, status=status
        )

    [first] = tick(defs, instance).run_requests
    assert first.asset_selection == [pipeline.keys.enriched] and first.run_key.endswith(":0")
    assert first.tags["dagster/priority"] == "1"  # ahead of queued submission runs in the run queue
    running = launch(first, dg.DagsterRunStatus.STARTED)
    assert tick(defs, instance).run_requests == []  # in progress: nothing more is requested
    instance.report_run_failed(running)
    [second] = tick(defs, instance).run_requests
    assert second.run_key.endswith(":1") and second.tags["ntropy/request"] == first.tags["ntropy/request"]
    launch(second, dg.DagsterRunStatus.FAILURE)
    # Past max_attempts, the key holds the resume interval: the same key for the whole interval.
    [third] = tick(defs, instance).run_requests
    assert third.run_key.startswith(second.run_key[:-1] + "2:")
    assert tick(defs, instance).run_requests[0].run_key == third.run_key
    launch(third, dg.DagsterRunStatus.SUCCESS)
    run_selection(defs, instance, [pipeline.keys.enriched])  # a later run settles it
    assert tick(defs, instance).run_requests == []


def test_enrichment_waits_for_the_partitions_batches_run_to_end(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    """A batches run waiting for an API slot has submitted chunks that may all be done before its next
    intent is written: the partition looks ready in the ledger, but its submission is not over."""
    raw = history(1, per_day=8, holders=2, prefix="still-submitting-")
    defs, pipeline, _ = make_defs(raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}", raw_partitions_def=JANUARY)
    keys = [pipeline.keys.raw, pipeline.keys.account_holders, pipeline.keys.batches]
    run_selection(defs, instance, keys, partition_key="2025-01-01")

    def run(partition: str, selection: set[dg.AssetKey]) -> dg.DagsterRun:
        return create_run_for_test(
            instance,
            tags={"dagster/partition": partition},
            asset_selection=selection,
            status=dg.DagsterRunStatus.STARTED,
        )

    run("2025-01-02", {pipeline.keys.batches})  # another partition's submission
    run("2025-01-01", {pipeline.keys.enriched})  # not a submission
    submitting = run("2025-01-01", {pipeline.keys.raw, pipeline.keys.batches})
    assert [r for r in tick(defs, instance).run_requests if r.run_key.startswith("ntropy-enrich:")] == []
    instance.report_run_failed(submitting)  # or it succeeded: either way its submission is over
    [request] = tick(defs, instance).run_requests
    assert request.asset_selection == [pipeline.keys.enriched] and request.partition_key == "2025-01-01"
