"""Partitions, idempotency, crash safety, bad input, error batches, blocking mode, loading without I/O."""

import uuid
from typing import Any

import dagster as dg
import httpx
import pandas as pd
import pytest

from ntropy_dagster import NtropyResource, NtropyWarehouseResource, PipelineOptions, build_ntropy_definitions
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from ntropy_dagster.sandbox.synthetic import synthetic_transactions
from tests.dagster.conftest import (
    API_KEY,
    history,
    make_defs,
    query,
    remote_batches,
    run_selection,
    tick,
)

DAYS = ["2025-03-01", "2025-03-02", "2025-03-03"]
daily = dg.DailyPartitionsDefinition(start_date="2025-03-01", end_date="2025-03-04")


def admin(server: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": server.api_key}) as http:
        return http.request(method, path, **kwargs).raise_for_status()


def per_day(prefix: str, n: int = 50) -> Any:
    def frame(partition_key: str) -> pd.DataFrame:
        out = synthetic_transactions(partition_key, n=n, account_holders=3)
        out["id"] = prefix + out["id"]
        out["account_holder_id"] = prefix + out["account_holder_id"]
        return out

    return frame


def test_daily_partitions_rerun_and_changed_content(
    fresh_sandbox: Any, warehouse_url: str, instance: dg.DagsterInstance
) -> None:
    frames = {"version": 1}
    base = per_day("p-")

    def raw(partition_key: str) -> pd.DataFrame:
        out = base(partition_key)
        if frames["version"] == 2 and partition_key == DAYS[1]:
            out = out.iloc[:-5]  # five transactions disappear from the source
            out.loc[out.index[0], "description"] = "SPOTIFY USA"
        return out

    defs, pipeline, wh = make_defs(raw, fresh_sandbox, warehouse_url, raw_partitions_def=daily)
    keys = pipeline.keys
    for day in DAYS:
        run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches], partition_key=day)
    assert len(remote_batches(fresh_sandbox)) == 3

    result = tick(defs, instance)
    assert sorted(r.partition_key for r in result.run_requests) == DAYS
    assert all(r.asset_selection == [keys.enriched] for r in result.run_requests)
    for request in result.run_requests:
        run_selection(defs, instance, [keys.enriched], partition_key=request.partition_key)
    counts = query(wh, "select partition_key, count(*) as n from {t}enriched_transactions group by 1")
    assert dict(zip(counts["partition_key"], counts["n"], strict=True)) == dict.fromkeys(DAYS, 50)

    # Re-running a partition with the same content submits nothing and changes no count.
    run_selection(
        defs, instance, [keys.raw, keys.account_holders, keys.batches, keys.enriched], partition_key=DAYS[0]
    )
    assert len(remote_batches(fresh_sandbox)) == 3
    assert len(query(wh, "select * from {t}enriched_transactions")) == 150
    assert not tick(defs, instance).run_requests

    # Changed content is a new submission, with a new run key; vanished rows leave the table.
    frames["version"] = 2
    run_selection(defs, instance, [keys.raw, keys.batches], partition_key=DAYS[1])
    assert len(remote_batches(fresh_sandbox)) == 4
    [request] = tick(defs, instance).run_requests
    assert request.partition_key == DAYS[1]
    assert request.run_key not in {r.run_key for r in result.run_requests}
    run_selection(defs, instance, [keys.enriched], partition_key=DAYS[1])
    day2 = query(wh, "select * from {t}enriched_transactions where partition_key = '" + DAYS[1] + "'")
    assert len(day2) == 45
    assert "Spotify" in set(day2["counterparty_name"])
    assert len(query(wh, "select * from {t}enriched_transactions")) == 145


def test_run_killed_between_submit_and_record_does_not_pay_twice(
    fresh_sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    raw = history(3, per_day=40, holders=3, prefix="crash-")
    # A killed process is not retried by Dagster: no step retries here.
    no_retries = PipelineOptions(step_max_retries=0)
    defs, pipeline, wh = make_defs(raw, fresh_sandbox, f"sqlite:///{tmp_path / 'wh.db'}", options=no_retries)
    keys = pipeline.keys
    run_selection(defs, instance, [keys.raw, keys.account_holders])

    # The server creates the batch but answers after the client has given up: the run dies between
    # the POST and recording the batch id, exactly like a killed process.
    short = NtropyResource(api_key=API_KEY, base_url=fresh_sandbox.base_url, timeout=0.5, max_attempts=1)
    crash_defs = dg.Definitions(
        assets=list(defs.assets or []),
        asset_checks=list(defs.asset_checks or []),
        resources={"ntropy": short, "ntropy_warehouse": wh},
    )
    admin(fresh_sandbox, "PUT", "/_sandbox/faults", json={"response_delay_ms": 1500})
    try:
        crashed = run_selection(crash_defs, instance, [keys.batches], expect_success=False)
    finally:
        admin(fresh_sandbox, "PUT", "/_sandbox/faults", json={"response_delay_ms": 0})
    assert "Timeout" in str(crashed.all_events) or "timed out" in str(crashed.all_events)
    assert len(remote_batches(fresh_sandbox)) == 1  # paid for once already
    ledger = query(wh, "select * from {t}batches")
    assert list(ledger["status"]) == ["submitting"] and ledger["batch_id"].isna().all()

    # The re-run adopts the orphaned batch instead of submitting (and paying) again.
    rerun = run_selection(defs, instance, [keys.batches])
    assert len(remote_batches(fresh_sandbox)) == 1
    meta = rerun.asset_materializations_for_node("ntropy_batches")[0].metadata
    assert meta["ntropy/transactions_submitted"].value == 0
    assert meta["ntropy/batches_reattached"].value == 1
    assert list(query(wh, "select status from {t}batches")["status"]) in (["processing"], ["completed"])

    [request] = tick(defs, instance).run_requests
    run_selection(defs, instance, [keys.enriched])
    assert len(query(wh, "select * from {t}enriched_transactions")) == len(raw)
    assert request.run_key.startswith("ntropy-enrich:")


def test_bad_rows_are_quarantined_and_the_rest_enriched(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    prefix = f"bad-{uuid.uuid4().hex[:6]}-"
    good = history(1, per_day=20, holders=2, prefix=prefix)
    bad = pd.DataFrame(
        [
            {**good.iloc[0].to_dict(), "id": prefix + "neg", "amount": -12.5},
            {**good.iloc[0].to_dict(), "id": prefix + "date", "date": "2025-02-30"},
            {**good.iloc[0].to_dict(), "id": prefix + "ccy", "currency": "ABC"},
            {**good.iloc[0].to_dict(), "id": prefix + "long", "description": "X" * 2000},
            {**good.iloc[0].to_dict(), "id": None},
        ]
    )
    raw = pd.concat([good, bad], ignore_index=True)
    defs, pipeline, wh = make_defs(raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}")
    keys = pipeline.keys
    result = run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches])
    meta = result.asset_materializations_for_node("ntropy_batches")[0].metadata
    assert meta["ntropy/rejected_rows"].value == 5
    assert meta["ntropy/valid_rows"].value == 20

    rejected = query(wh, "select * from {t}rejected_transactions order by row_number")
    by_row = {int(r.row_number): (r.field, r.reason) for r in rejected.itertuples()}
    assert by_row[20][0] == "amount" and "greater than or equal to 0" in by_row[20][1]
    assert by_row[21][0] == "date"
    assert by_row[22][0] == "currency" and "ABC" in by_row[22][1]
    assert by_row[23][0] == "description" and "1024" in by_row[23][1]
    assert by_row[24][0] == "id" and "required" in by_row[24][1].lower()
    assert all(r.startswith("{") for r in rejected["raw_row"])

    tick(defs, instance)
    run_selection(defs, instance, [keys.enriched])
    assert len(query(wh, "select * from {t}enriched_transactions")) == 20


def test_error_batch_is_resubmitted_then_reported(tmp_path: Any, instance: dg.DagsterInstance) -> None:
    config = SandboxConfig(api_keys=(API_KEY,), rate=1.0, db_path=str(tmp_path / "sb.db"))
    with run_sandbox(config) as server:
        raw = history(1, per_day=30, holders=2, prefix="err-")
        defs, pipeline, wh = make_defs(
            raw, server, f"sqlite:///{tmp_path / 'wh.db'}", options=PipelineOptions(max_attempts=2)
        )
        keys = pipeline.keys
        marts = dg.AssetSelection.assets(keys.recurring_groups, keys.income)
        automation = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=marts)
        run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches])
        idle = tick(defs, instance)
        assert not idle.run_requests
        assert "still processing" in idle.skip_message

        for attempt in (1, 2):
            [batch_id] = query(wh, "select batch_id from {t}batches")["batch_id"]
            admin(server, "POST", f"/_sandbox/batches/{batch_id}/fail", json={"code": "internal_error"})
            [request] = tick(defs, instance).run_requests
            assert request.asset_selection == [keys.batches]
            assert batch_id in request.run_key
            if attempt == 1:
                run_selection(defs, instance, [keys.batches])
                assert len(remote_batches(server)) == 2  # resubmitted once

        # Out of attempts: the chunk is failed, the enrichment run still comes, and its blocking
        # coverage check fails with the reason.
        run_selection(defs, instance, [keys.batches])
        assert list(query(wh, "select status from {t}batches")["status"]) == ["failed"]
        [request] = tick(defs, instance).run_requests
        assert request.asset_selection == [keys.enriched]
        enriched = run_selection(defs, instance, [keys.enriched], expect_success=False)
        checks = {e.check_name: e for e in enriched.get_asset_check_evaluations()}
        assert not checks["all_valid_rows_enriched"].passed
        description = checks["all_valid_rows_enriched"].description or ""
        assert "failed for good" in description and "giving up" in description
        # The failed blocking check keeps the marts from refreshing on incomplete data.
        after = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=marts, cursor=automation.cursor
        )
        assert after.total_requested == 0


def test_blocking_mode_submits_and_waits_in_one_step(tmp_path: Any, instance: dg.DagsterInstance) -> None:
    config = SandboxConfig(api_keys=(API_KEY,), rate=60.0, db_path=str(tmp_path / "sb.db"))
    with run_sandbox(config) as server:
        raw = history(2, per_day=100, holders=3, prefix="block-")
        defs, pipeline, wh = make_defs(raw, server, f"sqlite:///{tmp_path / 'wh.db'}", blocking=True)
        assert pipeline.keys.batches is None
        assert "ntropy_batch_sensor" not in {sensor.name for sensor in pipeline.sensors}
        result = run_selection(
            defs, instance, [pipeline.keys.raw, pipeline.keys.account_holders, pipeline.keys.enriched]
        )
        assert len(query(wh, "select * from {t}enriched_transactions")) == 200
        logs = " ".join(entry.user_message for entry in instance.all_logs(result.run_id))
        assert "transactions processed" in logs  # progress while waiting


def test_loading_definitions_calls_nothing(tmp_path: Any) -> None:
    """A code location loads without an API call or a database connection."""

    @dg.asset(partitions_def=daily)
    def raw_transactions() -> pd.DataFrame:
        raise AssertionError("not executed at load time")

    missing_dir = tmp_path / "does-not-exist"
    defs = build_ntropy_definitions(
        raw_transactions,
        ntropy=NtropyResource(api_key="k", base_url="http://127.0.0.1:9"),  # nothing listens there
        warehouse=NtropyWarehouseResource(url=f"sqlite:///{missing_dir}/wh.db"),
    )
    dg.Definitions.validate_loadable(defs)
    assert not missing_dir.exists()
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    enriched = specs["ntropy_enriched_transactions"]
    assert {"ntropy", "table"} <= set(enriched.kinds)
    assert enriched.group_name == "ntropy"
    assert enriched.partitions_def == daily
    assert specs["ntropy_recurring_groups"].automation_condition is not None


@pytest.mark.slow
def test_thirty_day_backfill_through_the_sensor(tmp_path: Any, instance: dg.DagsterInstance) -> None:
    """30 daily partitions of 3,000 transactions each, submitted and enriched through the sensor."""
    month = dg.DailyPartitionsDefinition(start_date="2025-04-01", end_date="2025-05-01")
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sb.db"))) as server:
        defs, pipeline, wh = make_defs(
            per_day("bf-", n=3000), server, f"duckdb:///{tmp_path / 'wh.duckdb'}", raw_partitions_def=month
        )
        keys = pipeline.keys
        days = month.get_partition_keys()
        for day in days:
            run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches], partition_key=day)
        requested: set[str] = set()
        cursor = None
        for _ in range(5):
            result = tick(defs, instance, cursor)
            cursor = result.cursor
            for request in result.run_requests:
                if request.run_key in requested:
                    continue
                requested.add(request.run_key)
                run_selection(defs, instance, [keys.enriched], partition_key=request.partition_key)
            if len(requested) == len(days):
                break
        assert len(requested) == len(days)
        assert len(remote_batches(server)) == len(days)
        total = query(wh, "select count(*) as n from {t}enriched_transactions")["n"][0]
        assert total == 3000 * len(days)


def test_api_errors_fail_the_step_with_status_and_request_id(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    raw = history(1, per_day=5, holders=1, prefix="apierr-")
    defs, pipeline, wh = make_defs(raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}")
    wrong = NtropyResource(api_key="not-a-valid-key", base_url=sandbox.base_url, max_attempts=1)
    bad_defs = dg.Definitions(
        assets=list(defs.assets or []), resources={"ntropy": wrong, "ntropy_warehouse": wh}
    )
    result = run_selection(
        bad_defs, instance, [pipeline.keys.raw, pipeline.keys.account_holders], expect_success=False
    )
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.user_failure_data
    assert error is not None
    assert error.metadata["ntropy/status_code"].value == 401
    assert len(error.metadata["ntropy/request_id"].value) >= 16
    assert "401" in (error.description or "")
    assert "not-a-valid-key" not in str(result.all_events)


def _enrich_partition(
    defs: dg.Definitions, instance: dg.DagsterInstance, keys: Any, day: str, blocking: bool
) -> Any:
    """Enrich one partition as each mode does it: one run (blocking), or submit, tick, enrich (sensor)."""
    if blocking:
        return run_selection(
            defs, instance, [keys.raw, keys.account_holders, keys.enriched], partition_key=day
        )
    run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches], partition_key=day)
    assert [r.partition_key for r in tick(defs, instance).run_requests] == [day]
    return run_selection(defs, instance, [keys.enriched], partition_key=day)


def _partition_rows(wh: Any, table: str, day: str) -> int:
    return int(
        query(wh, "select count(*) as n from {t}" + table + " where partition_key = '" + day + "'")["n"][0]
    )


@pytest.mark.parametrize("blocking", [False, True], ids=["sensor", "blocking"])
def test_a_wholly_rejected_partition_fails_naming_the_cause_after_quarantining_its_rows(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance, blocking: bool
) -> None:
    state = {"drop_currency": False}
    base = per_day(f"rej-{uuid.uuid4().hex[:6]}-", n=10)

    def raw(partition_key: str) -> pd.DataFrame:
        frame = base(partition_key)
        return frame.drop(columns=["currency"]) if state["drop_currency"] else frame

    fast = PipelineOptions(step_retry_delay_seconds=0.05)  # were it retried, it would show quickly
    defs, pipeline, wh = make_defs(
        raw,
        sandbox,
        f"sqlite:///{tmp_path / 'wh.db'}",
        raw_partitions_def=daily,
        blocking=blocking,
        options=fast,
    )
    keys = pipeline.keys
    _enrich_partition(defs, instance, keys, DAYS[0], blocking)
    assert _partition_rows(wh, "enriched_transactions", DAYS[0]) == 10

    state["drop_currency"] = True  # a schema change upstream: every row is now invalid
    selection = [keys.raw, keys.account_holders, keys.batches or keys.enriched, keys.enriched]
    result = run_selection(
        defs, instance, list(dict.fromkeys(selection)), partition_key=DAYS[0], expect_success=False
    )
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.user_failure_data
    assert error is not None
    description = error.description or ""
    assert "all 10 rows of partition '2025-03-01' were rejected" in description
    assert "currency" in description and "rejected-transactions table" in description
    assert error.metadata["ntropy/error"].value == "PartitionRejectedError"
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    # The rows were quarantined and the partition's stale enriched rows removed before the failure.
    assert _partition_rows(wh, "rejected_transactions", DAYS[0]) == 10
    assert set(query(wh, "select field from {t}rejected_transactions")["field"]) == {"currency"}
    assert _partition_rows(wh, "enriched_transactions", DAYS[0]) == 0
    if not blocking:  # the enriched step alone says the same
        alone = run_selection(defs, instance, [keys.enriched], partition_key=DAYS[0], expect_success=False)
        assert "all 10 rows of partition '2025-03-01' were rejected" in str(alone.all_events)


@pytest.mark.parametrize("blocking", [False, True], ids=["sensor", "blocking"])
def test_an_empty_partition_succeeds_with_no_rows_and_removes_its_earlier_rows(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance, blocking: bool
) -> None:
    state = {"empty": False}
    base = per_day(f"empty-{uuid.uuid4().hex[:6]}-", n=10)

    def raw(partition_key: str) -> pd.DataFrame:
        frame = base(partition_key)
        return frame.iloc[0:0] if state["empty"] else frame

    defs, pipeline, wh = make_defs(
        raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}", raw_partitions_def=daily, blocking=blocking
    )
    keys = pipeline.keys
    _enrich_partition(defs, instance, keys, DAYS[0], blocking)
    _enrich_partition(defs, instance, keys, DAYS[1], blocking)
    assert _partition_rows(wh, "enriched_transactions", DAYS[0]) == 10

    state["empty"] = True  # the source has no transactions for the day any more
    if blocking:
        result = _enrich_partition(defs, instance, keys, DAYS[0], blocking)
    else:
        run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches], partition_key=DAYS[0])
        assert not tick(defs, instance).run_requests  # nothing was submitted, nothing to wait for
        result = run_selection(defs, instance, [keys.enriched], partition_key=DAYS[0])
    meta = result.asset_materializations_for_node("ntropy_enriched_transactions")[0].metadata
    assert meta["dagster/row_count"].value == 0
    assert meta["ntropy/table_row_count"].value == 10  # the other day's rows stay
    assert all(e.passed for e in result.get_asset_check_evaluations())
    assert _partition_rows(wh, "enriched_transactions", DAYS[0]) == 0
    assert _partition_rows(wh, "rejected_transactions", DAYS[0]) == 0
    logs = " ".join(entry.user_message for entry in instance.all_logs(result.run_id))
    assert "has no rows: nothing to enrich" in logs
