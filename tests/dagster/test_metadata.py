"""What the materializations report: the partition's rows vs the table's, the column schema and lineage."""

import uuid
from typing import Any

import dagster as dg
import pandas as pd

from ntropy_dagster.core.validation import ColumnMapping
from ntropy_dagster.sandbox.synthetic import synthetic_transactions
from tests.dagster.conftest import make_defs, query, run_selection, tick

DAYS = ["2025-06-01", "2025-06-02"]
daily = dg.DailyPartitionsDefinition(start_date=DAYS[0], end_date="2025-06-03")
SIZES = {DAYS[0]: 12, DAYS[1]: 7}
RUN = uuid.uuid4().hex[:6]  # fresh ids on the session's sandbox


def _frame(partition_key: str) -> pd.DataFrame:
    frame = synthetic_transactions(
        partition_key, n=SIZES[partition_key], account_holders=2 + DAYS.index(partition_key)
    )
    frame["id"] = f"meta-{RUN}-" + frame["id"]
    frame["account_holder_id"] = f"meta-{RUN}-{partition_key}-" + frame["account_holder_id"]  # per day
    return frame


def _metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict[str, Any]:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def _count(wh: Any, table: str) -> int:
    return int(query(wh, "select count(*) as n from {t}" + table)["n"][0])


def test_partitioned_materializations_count_the_partition_and_the_table_separately(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    defs, pipeline, wh = make_defs(
        _frame, sandbox, f"sqlite:///{tmp_path / 'wh.db'}", raw_partitions_def=daily
    )
    keys = pipeline.keys
    for day in DAYS:
        submitted = run_selection(
            defs, instance, [keys.raw, keys.account_holders, keys.batches], partition_key=day
        )
        tick(defs, instance)
        enriched = run_selection(defs, instance, [keys.enriched], partition_key=day)
    # The last run was the second day's: its materializations count its own rows, and the table's apart.
    meta = _metadata(enriched, keys.enriched)
    assert meta["dagster/row_count"] == SIZES[DAYS[1]] == meta["ntropy/partition_rows"]
    assert meta["ntropy/table_row_count"] == sum(SIZES.values()) == _count(wh, "enriched_transactions")
    batches = _metadata(submitted, keys.batches)
    assert (batches["dagster/row_count"], batches["ntropy/table_row_count"]) == (1, 2)
    holders = _metadata(submitted, keys.account_holders)
    assert holders["dagster/row_count"] == _frame(DAYS[1])["account_holder_id"].nunique()
    assert holders["ntropy/table_row_count"] == _count(wh, "account_holders")
    assert holders["dagster/row_count"] < holders["ntropy/table_row_count"]

    # The marts are not partitioned: both counts are the table's.
    marts = run_selection(defs, instance, [keys.recurring_groups, keys.income])
    for key, table in ((keys.recurring_groups, "recurring_groups"), (keys.income, "income_sources")):
        mart = _metadata(marts, key)
        assert mart["dagster/row_count"] == mart["ntropy/table_row_count"] == _count(wh, table)


def test_the_enriched_columns_trace_back_to_the_raw_columns_under_the_mapping(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    """Column lineage names the raw asset's own columns: renamed ones, and the entry type's sign."""

    def signed(partition_key: str) -> pd.DataFrame:
        frame = _frame(partition_key)
        outgoing = frame["entry_type"] == "outgoing"
        frame.loc[outgoing, "amount"] = -frame.loc[outgoing, "amount"]
        frame = frame.drop(columns=["entry_type", "account_holder_id"])
        return frame.rename(columns={"id": "txn_id", "description": "memo", "amount": "signed_amount"})

    mapping = ColumnMapping(
        columns={"txn_id": "id", "memo": "description", "signed_amount": "amount"}, entry_type_from_sign=True
    )
    defs, pipeline, wh = make_defs(
        signed, sandbox, f"sqlite:///{tmp_path / 'wh.db'}", raw_partitions_def=daily, column_mapping=mapping
    )
    keys = pipeline.keys
    run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches], partition_key=DAYS[0])
    tick(defs, instance)
    result = run_selection(defs, instance, [keys.enriched], partition_key=DAYS[0])
    assert _count(wh, "enriched_transactions") == SIZES[DAYS[0]]

    meta = _metadata(result, keys.enriched)
    lineage = meta["dagster/column_lineage"]
    assert isinstance(lineage, dg.TableColumnLineage)
    sources = {
        column: [(dep.asset_key, dep.column_name) for dep in deps]
        for column, deps in lineage.deps_by_column.items()
    }
    assert sources == {
        "transaction_id": [(keys.raw, "txn_id")],
        "description": [(keys.raw, "memo")],
        "date": [(keys.raw, "date")],
        "amount": [(keys.raw, "signed_amount")],
        "entry_type": [(keys.raw, "signed_amount")],  # derived from the sign
        "currency": [(keys.raw, "currency")],
    }  # no account holder column in this raw data: no lineage for it
    schema = meta["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema)
    assert set(sources) <= {column.name for column in schema.columns}  # every traced column is described
