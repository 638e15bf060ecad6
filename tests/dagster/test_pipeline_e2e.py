"""End to end through the sensor: raw -> account holders -> batches -> sensor -> enriched -> marts."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd

from tests.dagster.conftest import history, make_defs, query, remote_batches, run_selection, tick


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
