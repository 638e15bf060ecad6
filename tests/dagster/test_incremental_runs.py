"""Incremental submission through the assets: what a late row, a changed row and a repeated backfill cost.

The sandbox's own batch list is the bill: every transaction in a batch is a credit spent.
"""

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from tests.dagster.conftest import history, make_defs, query, remote_batches, run_selection, tick

DAYS = ["2025-03-01", "2025-03-02"]
PARTITIONS = dg.DailyPartitionsDefinition(start_date="2025-03-01", end_date="2025-03-03")


def _meta(result: dg.ExecuteInProcessResult, node: str) -> dict[str, Any]:
    return {k: v.value for k, v in result.asset_materializations_for_node(node)[0].metadata.items()}


def _billed(server: Any) -> int:
    return sum(b["total"] for b in remote_batches(server))


def test_a_late_row_costs_one_credit_and_a_repeated_backfill_costs_nothing(
    fresh_sandbox: Any, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    frames = {
        day: history(1, start=dt.date.fromisoformat(day), per_day=30, holders=3, prefix="inc-")
        for day in DAYS
    }
    defs, pipeline, wh = make_defs(
        lambda day: frames[day],
        fresh_sandbox,
        f"sqlite:///{tmp_path / 'wh.db'}",
        raw_partitions_def=PARTITIONS,
    )
    keys = pipeline.keys

    def backfill(*days: str) -> list[dict[str, Any]]:
        """What a backfill of the raw partitions does: submit each, then the sensor requests the enrichment."""
        submitted = []
        for day in days:
            result = run_selection(
                defs, instance, [keys.raw, keys.account_holders, keys.batches], partition_key=day
            )
            submitted.append(_meta(result, "ntropy_batches"))
        for request in tick(defs, instance).run_requests:
            assert request.asset_selection == [keys.enriched]
            run_selection(defs, instance, [keys.enriched], partition_key=request.partition_key)
        return submitted

    first = backfill(*DAYS)
    assert [m["ntropy/transactions_submitted"] for m in first] == [30, 30]
    assert _billed(fresh_sandbox) == 60

    # A late row lands in the first day, and one of its rows is corrected.
    late = frames[DAYS[0]].iloc[[0]].assign(id="inc-late-1")
    corrected = frames[DAYS[0]].copy()
    corrected.loc[1, "amount"] = 12345.0
    frames[DAYS[0]] = pd.concat([corrected, late], ignore_index=True)
    [again] = backfill(DAYS[0])
    assert (again["ntropy/transactions_submitted"], again["ntropy/transactions_new"]) == (2, 1)
    assert (again["ntropy/transactions_changed"], again["ntropy/transactions_unchanged"]) == (1, 29)
    assert _billed(fresh_sandbox) == 62
    stored = query(wh, "select transaction_id, amount, partition_key from {t}enriched_transactions")
    assert len(stored) == 61
    assert stored.set_index("transaction_id").loc[corrected.loc[1, "id"], "amount"] == 12345.0

    # The same backfill again: every partition is enriched and unchanged, nothing is sent or requested.
    repeated = backfill(*DAYS)
    assert [m["ntropy/transactions_submitted"] for m in repeated] == [0, 0]
    assert [m["ntropy/transactions_unchanged"] for m in repeated] == [31, 30]
    assert _billed(fresh_sandbox) == 62
    assert tick(defs, instance).run_requests == []

    # A removed row leaves the enriched table when its partition is materialized again.
    frames[DAYS[1]] = frames[DAYS[1]].iloc[1:]
    [removed] = backfill(DAYS[1])
    assert removed["ntropy/transactions_submitted"] == 0
    assert len(query(wh, "select * from {t}enriched_transactions")) == 60
    assert _billed(fresh_sandbox) == 62
