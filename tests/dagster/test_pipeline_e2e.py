"""End to end through the sensor: raw -> account holders -> batches -> sensor -> enriched -> marts."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd

from ntropy_dagster import build_ntropy_assets
from tests.dagster.conftest import history, ntropy_resource, query, remote_batches, warehouse_resource


def make_defs(
    raw_frame: pd.DataFrame, server: Any, warehouse_url: str, **kwargs: Any
) -> tuple[dg.Definitions, Any, Any]:
    @dg.asset(name="raw_transactions")
    def raw_transactions() -> pd.DataFrame:
        return raw_frame

    pipeline = build_ntropy_assets(raw_transactions, **kwargs)
    wh = warehouse_resource(warehouse_url)
    resources = {"ntropy": ntropy_resource(server), "ntropy_warehouse": wh}
    defs = dg.Definitions(
        assets=[raw_transactions, *pipeline.assets],
        asset_checks=pipeline.asset_checks,
        sensors=pipeline.sensors,
        resources=resources,
    )
    return defs, pipeline, wh


def run_selection(
    defs: dg.Definitions, instance: dg.DagsterInstance, keys: list[dg.AssetKey], **kwargs: Any
) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=set(keys))
    result = job.execute_in_process(instance=instance, **kwargs)
    assert result.success
    return result


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None = None) -> Any:
    """One sensor evaluation, as the daemon would run it (run requests, skip message, cursor)."""
    sensor = defs.resolve_sensor_def("ntropy_batch_sensor")
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
    ) as context:
        return sensor.evaluate_tick(context)


def test_raw_to_marts_through_the_sensor(
    sandbox: Any, warehouse_url: str, instance: dg.DagsterInstance
) -> None:
    raw = history(120, per_day=12, holders=4, prefix=f"e2e-{warehouse_url[:6]}-")
    defs, pipeline, wh = make_defs(raw, sandbox, warehouse_url)
    keys = pipeline.keys

    run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches])
    submitted = query(wh, "select * from {t}batches")
    assert submitted["status"].isin(["processing", "completed"]).all()
    assert submitted["total"].sum() == len(raw)

    result = tick(defs, instance)
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    assert request.asset_selection == [keys.enriched]
    assert request.run_key.startswith("ntropy-enrich:__all__:")
    # The same tick again (e.g. after a daemon restart) asks for the same run key.
    assert tick(defs, instance).run_requests[0].run_key == request.run_key

    enriched_run = run_selection(defs, instance, [keys.enriched])
    checks = {e.check_name: e.passed for e in enriched_run.get_asset_check_evaluations()}
    assert checks == {
        "all_valid_rows_enriched": True,
        "item_error_rate": True,
        "unique_transaction_ids": True,
    }
    materialization = enriched_run.asset_materializations_for_node(enriched_run.all_node_events[0].node_name)[
        0
    ]
    assert materialization.metadata["dagster/row_count"].value == len(raw)
    assert isinstance(materialization.metadata["dagster/column_schema"].value, dg.TableSchema)

    enriched = query(wh, "select * from {t}enriched_transactions")
    assert len(enriched) == len(raw)
    netflix = enriched[enriched["description"].str.startswith("NETFLIX")]
    assert not netflix.empty
    assert set(netflix["counterparty_name"]) == {"Netflix"}
    assert set(netflix["counterparty_website"]) == {"netflix.com"}

    # Nothing is left to do: the next tick skips and explains why.
    idle = tick(defs, instance)
    assert not idle.run_requests
    assert "No Ntropy batches in flight" in idle.skip_message

    run_selection(defs, instance, [keys.recurring_groups, keys.income])
    groups = query(wh, "select * from {t}recurring_groups")
    netflix_groups = groups[(groups["counterparty_name"] == "Netflix")]
    assert len(netflix_groups) == 4  # one monthly group per account holder
    assert set(netflix_groups["periodicity"]) == {"monthly"}
    row = netflix_groups.iloc[0]
    assert pd.Timestamp(row["next_expected_date"]).date() > pd.Timestamp(row["end_date"]).date()
    assert bool(row["is_active"])

    income = query(wh, "select * from {t}income_sources")
    assert set(income["source_type"]) >= {"salary"}
    assert (income["monthly_income"] > 0).all()

    # Re-running the whole pipeline submits nothing new and changes no row count.
    before = len(remote_batches(sandbox))
    run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches, keys.enriched])
    assert len(remote_batches(sandbox)) == before
    assert len(query(wh, "select * from {t}enriched_transactions")) == len(raw)
