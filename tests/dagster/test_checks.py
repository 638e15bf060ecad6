"""Every declared check is evaluated where it is declared, and each result attaches to its partition.

Read back through the instance's own records (``get_asset_check_execution_history``): the checks of the
partitioned enriched asset carry the partition the run materialized and leave no planned execution
open; the marts' checks (freshness included) are evaluated whenever the marts run; the recurring-groups
mart names the account holders whose refresh failed.
"""

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pandas as pd
import pytest
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.dagster.assets.checks import income_freshness_result
from ntropy_dagster.sandbox.synthetic import synthetic_transactions
from tests.dagster.conftest import make_defs, run_selection, tick

WEEK = dg.DailyPartitionsDefinition(start_date="2025-03-01", end_date="2025-03-08")
ENRICHED_CHECKS = {"all_valid_rows_enriched", "item_error_rate", "unique_transaction_ids"}
GROUPS_CHECKS = {
    "groups_reference_stored_transactions",
    "every_holder_refreshed",
    "not_older_than_enriched_table",
}
PLANNED = AssetCheckExecutionRecordStatus.PLANNED


def per_day(prefix: str, holders: int = 2) -> Any:
    def frame(partition_key: str) -> pd.DataFrame:
        out = synthetic_transactions(partition_key, n=8, account_holders=holders)
        out["id"] = prefix + out["id"]
        out["account_holder_id"] = prefix + out["account_holder_id"]
        return out

    return frame


def history(instance: dg.DagsterInstance, key: dg.AssetCheckKey) -> list[Any]:
    """Every execution record of the check, planned or finished, newest first."""
    return list(instance.event_log_storage.get_asset_check_execution_history(key, limit=100))


def check_keys(defs: dg.Definitions, asset: dg.AssetKey) -> set[dg.AssetCheckKey]:
    return {k for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key == asset}


@pytest.mark.parametrize("blocking", [False, True], ids=["sensor", "blocking"])
def test_enriched_checks_attach_to_the_partition_the_run_materialized(
    sandbox: Any, tmp_path: Path, instance: dg.DagsterInstance, blocking: bool
) -> None:
    defs, pipeline, _ = make_defs(
        per_day(f"chk-{uuid.uuid4().hex[:8]}-"),
        sandbox,
        f"sqlite:///{tmp_path / 'wh.db'}",
        raw_partitions_def=WEEK,
        blocking=blocking,
    )
    keys = pipeline.keys
    [enriched_def] = [a for a in pipeline.assets if keys.enriched in a.keys]
    assert {spec.partitions_def for spec in enriched_def.check_specs} == {WEEK}

    days = ["2025-03-02", "2025-03-05"]
    for day in days:
        if blocking:
            steps = [[keys.raw, keys.account_holders, keys.enriched]]
        else:
            steps = [[keys.raw, keys.account_holders, keys.batches], [keys.enriched]]
        for selection in steps:
            if selection == [keys.enriched]:
                tick(defs, instance)  # the batch sensor records the finished batches, as before its run
            result = run_selection(defs, instance, selection, partition_key=day)
        evaluations = result.get_asset_check_evaluations()
        assert {e.check_name for e in evaluations} == ENRICHED_CHECKS
        assert {e.partition for e in evaluations} == {day}  # the result carries the run's partition
        assert all(e.passed for e in evaluations)

    checks = check_keys(defs, keys.enriched)
    assert {k.name for k in checks} == ENRICHED_CHECKS
    for key in checks:
        records = history(instance, key)
        # One execution per partition materialized: its planned entry became its result, none is open.
        assert sorted(r.partition for r in records) == days, key
        assert {r.status for r in records} == {AssetCheckExecutionRecordStatus.SUCCEEDED}, key


def test_the_marts_evaluate_every_check_they_declare_when_they_run(
    sandbox: Any, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    defs, pipeline, _ = make_defs(
        per_day(f"mchk-{uuid.uuid4().hex[:8]}-"),
        sandbox,
        f"sqlite:///{tmp_path / 'wh.db'}",
        raw_partitions_def=WEEK,
        blocking=True,
    )
    keys = pipeline.keys
    assert pipeline.asset_checks == []  # no standalone check that no run would select
    run_selection(defs, instance, [keys.raw, keys.account_holders, keys.enriched], partition_key="2025-03-03")
    marts = run_selection(defs, instance, [keys.recurring_groups, keys.income])

    evaluated = {(e.asset_key, e.check_name): e for e in marts.get_asset_check_evaluations()}
    assert {name for asset, name in evaluated if asset == keys.recurring_groups} == GROUPS_CHECKS
    assert {name for asset, name in evaluated if asset == keys.income} == {"not_older_than_enriched_table"}
    assert all(e.passed and e.partition is None for e in evaluated.values())
    assert evaluated[(keys.recurring_groups, "every_holder_refreshed")].metadata["refreshed"].value == 2

    # Every check the pipeline declares has been evaluated by the runs that materialized its asset.
    for key in defs.resolve_asset_graph().asset_check_keys:
        records = history(instance, key)
        assert records, f"{key.to_user_string()} was never evaluated"
        assert PLANNED not in {r.status for r in records}, key


def test_income_freshness_fails_when_the_enriched_table_changed_after_the_refresh_began(
    sandbox: Any, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    defs, pipeline, wh = make_defs(
        per_day(f"fresh-{uuid.uuid4().hex[:8]}-")("2025-03-01"),
        sandbox,
        f"sqlite:///{tmp_path / 'wh.db'}",
        blocking=True,
    )
    warehouse = wh.get_warehouse()
    warehouse.ensure_schema()
    assert income_freshness_result(warehouse, utcnow()).passed  # nothing enriched yet
    started = utcnow()
    run_selection(defs, instance, [pipeline.keys.raw, pipeline.keys.account_holders, pipeline.keys.enriched])
    stale = income_freshness_result(warehouse, started)
    assert not stale.passed
    assert stale.metadata["refresh_started_at"].value == str(started)
    assert income_freshness_result(warehouse, utcnow() + dt.timedelta(seconds=1)).passed


def test_every_holder_refreshed_fails_naming_the_holder_whose_groups_call_failed(
    fresh_sandbox: Any, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    defs, pipeline, _ = make_defs(
        per_day("burst-", holders=3)("2025-03-01"),
        fresh_sandbox,
        f"sqlite:///{tmp_path / 'wh.db'}",
        blocking=True,
    )
    keys = pipeline.keys
    run_selection(defs, instance, [keys.raw, keys.account_holders, keys.enriched])

    # The next three API requests answer 500: the first holder's recurring-groups call, on each of the
    # client's three attempts (the resource's max_attempts), fails for good; the other holders' succeed.
    with httpx.Client(base_url=fresh_sandbox.base_url, headers={"X-Api-Key": fresh_sandbox.api_key}) as http:
        http.post(
            "/_sandbox/faults/burst", json={"status": 500, "count": 3, "retry_after": None}
        ).raise_for_status()
    first = run_selection(
        defs, instance, [keys.recurring_groups, keys.income]
    )  # non-blocking: the run succeeds
    checks = {(e.asset_key, e.check_name): e for e in first.get_asset_check_evaluations()}
    refreshed = checks[(keys.recurring_groups, "every_holder_refreshed")]
    assert not refreshed.passed
    [failed] = refreshed.metadata["failed_account_holders"].value
    assert failed.startswith("burst-")
    assert f"{failed}: " in (refreshed.description or "") and "500" in (refreshed.description or "")
    assert refreshed.metadata["refreshed"].value == 2
    # The failed holder keeps its previous (no) groups: the mart is older than its enriched rows.
    freshness = checks[(keys.recurring_groups, "not_older_than_enriched_table")]
    assert not freshness.passed and failed in (freshness.description or "")
    assert checks[(keys.income, "not_older_than_enriched_table")].passed

    again = run_selection(defs, instance, [keys.recurring_groups])  # the holder is tried again
    checks = {e.check_name: e for e in again.get_asset_check_evaluations()}
    assert checks["every_holder_refreshed"].passed
    assert checks["every_holder_refreshed"].metadata["refreshed"].value == 1
    assert checks["not_older_than_enriched_table"].passed
