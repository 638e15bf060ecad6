"""The write-your-own-body API: ``@ntropy_enrichment_asset`` and ``NtropyResource.enrich``."""

import uuid
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from ntropy_dagster import (
    NTROPY_POOL,
    DagsterNtropyTranslator,
    NtropyAssetProps,
    NtropyResource,
    NtropyWarehouseResource,
    PipelineOptions,
    ntropy_enrichment_asset,
)
from ntropy_dagster.core.validation import ColumnMapping
from ntropy_dagster.sandbox.synthetic import synthetic_transactions
from tests.dagster.conftest import API_KEY, ntropy_resource, query, remote_batches, warehouse_resource

DAYS = ["2025-05-01", "2025-05-02"]
daily = dg.DailyPartitionsDefinition(start_date="2025-05-01", end_date="2025-05-03")


def loader(prefix: str, n: int = 30) -> Any:
    """A user's loader: the day's raw transactions, ids prefixed for isolation."""

    def load(partition_key: str) -> pd.DataFrame:
        frame = synthetic_transactions(partition_key, n=n, account_holders=3)
        frame["id"] = prefix + frame["id"]
        frame["account_holder_id"] = prefix + frame["account_holder_id"]
        return frame

    return load


def materialize(
    asset: dg.AssetsDefinition, server: Any, warehouse: NtropyWarehouseResource, partition_key: str | None
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [asset],
        resources={"ntropy": ntropy_resource(server), "ntropy_warehouse": warehouse},
        partition_key=partition_key,
        raise_on_error=False,
    )


def test_the_users_body_enriches_each_partition_once(fresh_sandbox: Any, warehouse_url: str) -> None:
    load = loader("deco-")

    @ntropy_enrichment_asset(partitions_def=daily, deps=["raw_transactions"])
    def enriched(
        context: dg.AssetExecutionContext, ntropy: NtropyResource, ntropy_warehouse: NtropyWarehouseResource
    ) -> Iterator[Any]:
        frame = load(context.partition_key)
        context.add_asset_metadata({"loaded_from": "my_loader"})
        yield from ntropy.enrich(context, frame, warehouse=ntropy_warehouse)

    wh = warehouse_resource(warehouse_url)
    for day in DAYS:
        result = materialize(enriched, fresh_sandbox, wh, day)
        assert result.success
        checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
        assert checks == {
            "all_valid_rows_enriched": True,
            "item_error_rate": True,
            "unique_transaction_ids": True,
        }
    counts = query(wh, "select partition_key, count(*) as n from {t}enriched_transactions group by 1")
    assert dict(zip(counts["partition_key"], counts["n"], strict=True)) == dict.fromkeys(DAYS, 30)
    assert len(query(wh, "select * from {t}account_holders")) == 3
    assert len(remote_batches(fresh_sandbox)) == 2

    meta = result.asset_materializations_for_node("ntropy_enriched_transactions")[0].metadata
    assert meta["loaded_from"].value == "my_loader"  # the user's own metadata is kept
    assert meta["dagster/row_count"].value == 30  # the partition's rows
    assert meta["ntropy/table_row_count"].value == 60  # the table's
    assert isinstance(meta["dagster/column_schema"].value, dg.TableSchema)
    assert meta["ntropy/partition_rows"].value == 30
    assert meta["ntropy/transactions_submitted"].value == 30
    assert meta["ntropy/account_holders_existing"].value == 3  # created by the first day's run

    # A re-run of a partition with the same content submits (and pays for) nothing.
    rerun = materialize(enriched, fresh_sandbox, wh, DAYS[0])
    assert rerun.success
    assert len(remote_batches(fresh_sandbox)) == 2
    meta = rerun.asset_materializations_for_node("ntropy_enriched_transactions")[0].metadata
    assert meta["ntropy/transactions_submitted"].value == 0
    assert meta["ntropy/transactions_unchanged"].value == 30
    assert len(query(wh, "select * from {t}enriched_transactions")) == 60


def test_the_decorator_declares_the_translators_spec_checks_pool_and_partitions() -> None:
    class Prefixed(DagsterNtropyTranslator):
        def get_asset_spec(self, props: NtropyAssetProps) -> dg.AssetSpec:
            return super().get_asset_spec(props).replace_attributes(key=["bank", props.name])

    options = PipelineOptions(error_rate_threshold=0.2, batch_size=7)

    @ntropy_enrichment_asset(
        partitions_def=daily,
        deps=[dg.AssetKey(["bank", "raw"])],
        translator=Prefixed(),
        options=options,
        dialect="duckdb",
        owners=["team:payments"],
        tags={"domain": "banking"},
    )
    def enriched(context: dg.AssetExecutionContext):  # unannotated: the checks are outputs too
        raise AssertionError("not executed")

    [spec] = enriched.specs
    expected = Prefixed().get_asset_spec(
        NtropyAssetProps(
            "enriched_transactions",
            table_name="enriched_transactions",
            dialect="duckdb",
            deps=(dg.AssetKey(["bank", "raw"]),),
            owners=("team:payments",),
            tags={"domain": "banking"},
        )
    )
    assert spec.key == dg.AssetKey(["bank", "enriched_transactions"])
    for attribute in ("key", "group_name", "description", "kinds", "owners", "tags", "deps"):
        assert getattr(spec, attribute) == getattr(expected, attribute), attribute
    assert {"ntropy", "table", "duckdb"} <= set(spec.kinds)
    assert enriched.partitions_def == daily
    assert enriched.op.pool == NTROPY_POOL
    assert enriched.op.name == "bank__enriched_transactions"
    names = {spec.name for spec in enriched.check_specs}
    assert names == {"all_valid_rows_enriched", "item_error_rate", "unique_transaction_ids"}
    [rate] = [s for s in enriched.check_specs if s.name == "item_error_rate"]
    assert "20%" in (rate.description or "")
    # The step calls the API: failures that may heal re-run it, as the options say (defaults here).
    assert enriched.op.retry_policy == dg.RetryPolicy(
        max_retries=options.step_max_retries,
        delay=options.step_retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )
    assert (options.step_max_retries, options.step_retry_delay_seconds) == (3, 10.0)


def test_options_given_to_the_decorator_are_those_enrich_runs_with(fresh_sandbox: Any, tmp_path: Any) -> None:
    """batch_size 8 splits 20 valid rows into three batches (the last two balanced); a mapping renames
    the user's columns."""
    load = loader(f"opt-{uuid.uuid4().hex[:6]}-", n=20)

    @ntropy_enrichment_asset(options=PipelineOptions(batch_size=8, error_rate_threshold=0.5))
    def enriched(
        context: dg.AssetExecutionContext, ntropy: NtropyResource, ntropy_warehouse: NtropyWarehouseResource
    ) -> Iterator[Any]:
        frame = load("2025-05-01").rename(columns={"description": "memo"})
        mapping = ColumnMapping(columns={"memo": "description"})
        yield from ntropy.enrich(context, frame, warehouse=ntropy_warehouse, column_mapping=mapping)

    wh = warehouse_resource(f"sqlite:///{tmp_path / 'wh.db'}")
    result = materialize(enriched, fresh_sandbox, wh, None)
    assert result.success
    assert sorted(b["total"] for b in remote_batches(fresh_sandbox)) == [6, 6, 8]
    [rate] = [e for e in result.get_asset_check_evaluations() if e.check_name == "item_error_rate"]
    assert rate.metadata["threshold"].value == 0.5
    assert len(query(wh, "select * from {t}enriched_transactions where partition_key = '__all__'")) == 20

    # Options given to enrich itself win over the decorator's.
    @ntropy_enrichment_asset(options=PipelineOptions(batch_size=8), name="explicit_options")
    def explicit(
        context: dg.AssetExecutionContext, ntropy: NtropyResource, ntropy_warehouse: NtropyWarehouseResource
    ) -> Iterator[Any]:
        frame = loader("opt-explicit-", n=10)("2025-05-02")
        yield from ntropy.enrich(
            context, frame, warehouse=ntropy_warehouse, options=PipelineOptions(batch_size=4)
        )

    other = warehouse_resource(f"sqlite:///{tmp_path / 'other.db'}")
    assert materialize(explicit, fresh_sandbox, other, None).success
    # 10 rows in batches of at most 4: 4, then 3 + 3 (the decorator's 8 would have sent 5 + 5).
    assert sorted(b["total"] for b in remote_batches(fresh_sandbox)) == [3, 3, 4, 6, 6, 8]


def test_rejected_rows_and_api_errors(sandbox: Any, tmp_path: Any) -> None:
    prefix = f"rej-{uuid.uuid4().hex[:6]}-"
    good = loader(prefix, n=10)("2025-05-01")
    bad = pd.DataFrame([{**good.iloc[0].to_dict(), "id": prefix + "neg", "amount": -1.0}])
    frames = {"frame": pd.concat([good, bad], ignore_index=True)}

    @ntropy_enrichment_asset()
    def enriched(
        context: dg.AssetExecutionContext, ntropy: NtropyResource, ntropy_warehouse: NtropyWarehouseResource
    ) -> Iterator[Any]:
        yield from ntropy.enrich(context, frames["frame"], warehouse=ntropy_warehouse)

    wh = warehouse_resource(f"sqlite:///{tmp_path / 'wh.db'}")
    result = materialize(enriched, sandbox, wh, None)
    assert result.success
    meta = result.asset_materializations_for_node("ntropy_enriched_transactions")[0].metadata
    assert (meta["ntropy/rejected_rows"].value, meta["ntropy/valid_rows"].value) == (1, 10)
    rejected = query(wh, "select * from {t}rejected_transactions")
    assert list(rejected["field"]) == ["amount"]

    # A fresh warehouse, so the rows are new there and must be sent (an unchanged re-run sends nothing).
    wrong = NtropyResource(api_key="not-" + API_KEY, base_url=sandbox.base_url, max_attempts=1)
    empty = warehouse_resource(f"sqlite:///{tmp_path / 'empty.db'}")
    failed = dg.materialize(
        [enriched], resources={"ntropy": wrong, "ntropy_warehouse": empty}, raise_on_error=False
    )
    [failure] = [e for e in failed.all_events if e.is_step_failure]
    error = failure.step_failure_data.user_failure_data
    assert error is not None and error.metadata["ntropy/status_code"].value == 401
    assert error.metadata["ntropy/partition_key"].value == "__all__"

    frames["frame"] = [1, 2, 3]
    not_a_frame = materialize(enriched, sandbox, wh, None)
    assert not not_a_frame.success
    failure_text = str(not_a_frame.all_events)
    assert "the caller of enrich()" in failure_text and "list" in failure_text

    # Every row rejected (a column gone upstream): the rows are quarantined, the enriched rows of the
    # partition removed, and the step fails naming the cause. None of these failures is retried.
    frames["frame"] = good.drop(columns=["currency"])
    wholly = materialize(enriched, sandbox, wh, None)
    [failure] = [e for e in wholly.all_events if e.is_step_failure]
    assert "all 10 rows of partition '__all__' were rejected (missing column 'currency'" in str(failure)
    assert len(query(wh, "select * from {t}rejected_transactions")) == 10
    assert len(query(wh, "select * from {t}enriched_transactions")) == 0
    for run in (failed, not_a_frame, wholly):
        assert not [e for e in run.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]


@pytest.mark.parametrize("given", [None, PipelineOptions()])
def test_default_options_record_no_tag(given: PipelineOptions | None) -> None:
    @ntropy_enrichment_asset(options=given)
    def enriched(context: dg.AssetExecutionContext):  # unannotated: the checks are outputs too
        raise AssertionError("not executed")

    tags = dict(enriched.op.tags)
    assert tags.get("ntropy/options") in (None, "{}")
