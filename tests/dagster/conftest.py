"""Fixtures for the Dagster layer: a real sandbox over HTTP and real warehouses."""

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from ntropy_dagster import NtropyResource, NtropyWarehouseResource, build_ntropy_assets
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from ntropy_dagster.sandbox.synthetic import synthetic_transactions

PG_URL = os.environ.get("NTROPY_DAGSTER_TEST_PG_URL")
API_KEY = "dagster-test-key"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """One instant-mode sandbox for the session; tests isolate themselves with fresh data ids."""
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,))) as server:
        yield server


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[Any]:
    """A sandbox of the test's own, for tests that count remote batches."""
    with run_sandbox(
        SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"))
    ) as server:
        yield server


def ntropy_resource(server: Any) -> NtropyResource:
    return NtropyResource(api_key=server.api_key, base_url=server.base_url, max_attempts=3)


def _warehouse_params() -> list[Any]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("duckdb", id="duckdb"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]


@pytest.fixture(params=_warehouse_params())
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty warehouse: a SQLite file, a DuckDB file or a fresh PostgreSQL schema."""
    kind = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
    elif kind == "duckdb":
        yield f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    else:
        if not PG_URL:
            pytest.skip("NTROPY_DAGSTER_TEST_PG_URL is not set (.ci/run starts a PostgreSQL server)")
        yield PG_URL


def warehouse_resource(url: str, schema: str | None = None) -> NtropyWarehouseResource:
    """Warehouse resource; on PostgreSQL each test gets a schema of its own."""
    if url.startswith("postgresql") and schema is None:
        schema = f"t_{uuid.uuid4().hex[:10]}"
    return NtropyWarehouseResource(url=url, db_schema=schema)


def query(resource: NtropyWarehouseResource, sql: str) -> pd.DataFrame:
    """Run SQL against the resource's warehouse; ``{t}`` expands to the qualified table prefix."""
    wh = resource.get_warehouse()
    prefix = f"{resource.db_schema}.{resource.table_prefix}" if resource.db_schema else resource.table_prefix
    with wh.engine.connect() as conn:
        return pd.read_sql(sa.text(sql.format(t=prefix)), conn)


def remote_batches(server: Any) -> list[dict[str, Any]]:
    """Every batch the sandbox holds for the test key (proves what was submitted and paid for)."""
    out: list[dict[str, Any]] = []
    cursor = None
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": server.api_key}) as http:
        while True:
            params: dict[str, Any] = {"limit": 1000}
            if cursor:
                params["cursor"] = cursor
            page = http.get("/v3/batches", params=params).raise_for_status().json()
            out.extend(page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                return out


def history(
    days: int, *, start: dt.date = dt.date(2025, 1, 1), per_day: int = 20, holders: int = 5, prefix: str = ""
) -> pd.DataFrame:
    """``days`` days of synthetic transactions in one frame (ids optionally prefixed for isolation)."""
    frames = [
        synthetic_transactions(start + dt.timedelta(days=i), n=per_day, account_holders=holders)
        for i in range(days)
    ]
    frame = pd.concat(frames, ignore_index=True)
    if prefix:
        frame["id"] = prefix + frame["id"]
        frame["account_holder_id"] = prefix + frame["account_holder_id"]
    return frame


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst


def make_defs(
    raw_frame: Any | Callable[[str], Any], server: Any, warehouse_url: str, **kwargs: Any
) -> tuple[dg.Definitions, Any, Any]:
    """Definitions of a test raw asset (a frame or a streamed source, or a function of the partition key
    giving one) + the pipeline."""
    partitions_def = kwargs.pop("raw_partitions_def", None)
    frames = raw_frame if callable(raw_frame) else None

    @dg.asset(name="raw_transactions", partitions_def=partitions_def)
    def raw_transactions(context: dg.AssetExecutionContext) -> Any:
        return frames(context.partition_key) if frames else raw_frame

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
    """Execute a subset of the assets in process, as a run launched by the daemon would."""
    expect_success = kwargs.pop("expect_success", True)
    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=set(keys))
    result = job.execute_in_process(instance=instance, raise_on_error=False, **kwargs)
    assert result.success == expect_success
    return result


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None = None) -> Any:
    """One sensor evaluation, as the daemon would run it (run requests, skip message, cursor)."""
    sensor = defs.resolve_sensor_def("ntropy_batch_sensor")
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
    ) as context:
        return sensor.evaluate_tick(context)
