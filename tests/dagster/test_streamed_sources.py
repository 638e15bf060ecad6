"""Raw assets that return a streamed source instead of a DataFrame, through the real asset steps.

The source (Parquet files, a SQL query, an iterator of frames) is read ``read_chunk_rows`` rows at a
time; the tests read it in several chunks and check that every row ends enriched or rejected, the
metadata counts the whole partition, and a re-run sends nothing.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from ntropy_dagster import NtropyResource, NtropyWarehouseResource, ParquetSource, PipelineOptions, SqlSource
from tests.dagster.conftest import (
    history,
    make_defs,
    ntropy_resource,
    query,
    remote_batches,
    run_selection,
    tick,
    warehouse_resource,
)

OPTIONS = PipelineOptions(batch_size=50, read_chunk_rows=40, poll_interval=0.1)


def _raw(prefix: str, days: int = 6) -> pd.DataFrame:
    frame = history(days, per_day=25, holders=3, prefix=prefix)
    frame.loc[7, "currency"] = "DOLLARS"  # one invalid row in the first chunk
    frame.loc[130, "amount"] = -4.0  # and one in a later chunk
    return frame


def _materialization(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict[str, Any]:
    [event] = [m for m in result.get_asset_materialization_events() if m.asset_key == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_a_parquet_source_through_the_sensor_mode(
    fresh_sandbox: Any, warehouse_url: str, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    raw = _raw(f"pq-{uuid.uuid4().hex[:6]}-")
    path = tmp_path / "raw.parquet"
    raw.to_parquet(path, row_group_size=16)
    defs, pipeline, wh = make_defs(ParquetSource(path), fresh_sandbox, warehouse_url, options=OPTIONS)
    keys = pipeline.keys

    submitted = run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches])
    holders = _materialization(submitted, keys.account_holders)
    assert holders["ntropy/account_holders_seen"] == 3
    batches = _materialization(submitted, keys.batches)
    assert (batches["ntropy/raw_rows"], batches["ntropy/valid_rows"], batches["ntropy/rejected_rows"]) == (
        150,
        148,
        2,
    )
    assert batches["ntropy/transactions_submitted"] == 148 and batches["ntropy/batches_submitted"] == 3
    rejected = query(wh, "select row_number, field from {t}rejected_transactions order by row_number")
    assert rejected.values.tolist() == [[7, "currency"], [130, "amount"]]

    [request] = tick(defs, instance).run_requests
    enriched = run_selection(defs, instance, request.asset_selection)
    checks = {e.check_name: e.passed for e in enriched.get_asset_check_evaluations()}
    assert all(checks.values()), checks
    assert _materialization(enriched, keys.enriched)["dagster/row_count"] == 148
    assert len(query(wh, "select transaction_id from {t}enriched_transactions")) == 148

    before = len(remote_batches(fresh_sandbox))
    rerun = run_selection(defs, instance, [keys.raw, keys.account_holders, keys.batches])
    assert _materialization(rerun, keys.batches)["ntropy/transactions_unchanged"] == 148
    assert len(remote_batches(fresh_sandbox)) == before


def test_a_sql_query_through_the_blocking_mode(
    fresh_sandbox: Any, warehouse_url: str, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    """The raw rows live in a database table; the raw asset hands the pipeline the query, not the rows."""
    raw = _raw(f"sql-{uuid.uuid4().hex[:6]}-")
    source_url = f"sqlite:///{tmp_path / 'landing.db'}"
    engine = sa.create_engine(source_url)
    raw.assign(day=raw["date"].astype(str)).to_sql("landed_transactions", engine, index=False)
    engine.dispose()
    source = SqlSource(
        source_url, "SELECT * FROM landed_transactions WHERE day >= :day ORDER BY id", {"day": "2025-01-01"}
    )
    defs, pipeline, wh = make_defs(source, fresh_sandbox, warehouse_url, blocking=True, options=OPTIONS)
    keys = pipeline.keys

    result = run_selection(defs, instance, [keys.raw, keys.account_holders, keys.enriched])
    metadata = _materialization(result, keys.enriched)
    assert (metadata["ntropy/raw_rows"], metadata["ntropy/valid_rows"], metadata["ntropy/rejected_rows"]) == (
        150,
        148,
        2,
    )
    assert metadata["dagster/row_count"] == 148 and metadata["ntropy/transactions_submitted"] == 148
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert all(checks.values()), checks
    enriched = query(wh, "select transaction_id, counterparty_name from {t}enriched_transactions")
    assert len(enriched) == 148 and enriched["counterparty_name"].notna().any()


def test_a_wholly_rejected_streamed_partition_fails_naming_the_cause(
    fresh_sandbox: Any, warehouse_url: str, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    raw = _raw(f"bad-{uuid.uuid4().hex[:6]}-", days=3).drop(columns=["currency"])
    path = tmp_path / "raw.parquet"
    raw.to_parquet(path)
    defs, pipeline, wh = make_defs(ParquetSource(path), fresh_sandbox, warehouse_url, options=OPTIONS)
    result = run_selection(defs, instance, [pipeline.keys.raw, pipeline.keys.batches], expect_success=False)
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message
    assert f"all {len(raw)} rows of partition" in message and "missing column 'currency'" in message
    assert len(query(wh, "select * from {t}rejected_transactions")) == len(raw)
    assert remote_batches(fresh_sandbox) == []


def test_enrich_reads_an_iterator_of_frames_in_process(
    fresh_sandbox: Any, warehouse_url: str, tmp_path: Path
) -> None:
    """``NtropyResource.enrich`` takes a generator of frames (it never leaves the process)."""
    raw = _raw(f"it-{uuid.uuid4().hex[:6]}-")
    pulled: list[int] = []

    def frames() -> Iterator[pd.DataFrame]:
        for start in range(0, len(raw), 60):
            pulled.append(start)
            yield raw.iloc[start : start + 60]

    @dg.asset(kinds={"ntropy"})
    def enriched(
        context: dg.AssetExecutionContext, ntropy: NtropyResource, ntropy_warehouse: NtropyWarehouseResource
    ) -> Iterator[Any]:
        yield from ntropy.enrich(context, frames(), warehouse=ntropy_warehouse, options=OPTIONS)

    wh = warehouse_resource(warehouse_url)
    result = dg.materialize(
        [enriched], resources={"ntropy": ntropy_resource(fresh_sandbox), "ntropy_warehouse": wh}
    )
    assert result.success and pulled == [0, 60, 120]
    metadata = _materialization(result, dg.AssetKey("enriched"))
    assert metadata["ntropy/raw_rows"] == 150 and metadata["dagster/row_count"] == 148
    assert metadata["ntropy/account_holders_seen"] == 3
