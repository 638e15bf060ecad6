"""The factory's contract: translator specs used as they are, props carrying every default, every setting
from PipelineOptions, the dialect read from the warehouse URL, and the keyword arguments it replaced."""

from typing import Any

import dagster as dg
import pandas as pd
import pytest

from ntropy_dagster import (
    DagsterNtropyTranslator,
    NtropyAssetProps,
    NtropyResource,
    NtropyWarehouseResource,
    PipelineOptions,
    build_ntropy_assets,
    build_ntropy_definitions,
)
from ntropy_dagster.dagster.assets import api_failures
from ntropy_dagster.dagster.failures import step_failures
from ntropy_dagster.dagster.pipeline import BATCH_SENSOR_NAME
from ntropy_dagster.dagster.sensors import DEFAULT_TICK_BUDGET_SECONDS
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from tests.dagster.conftest import API_KEY, history, make_defs, run_selection

monthly = dg.MonthlyPartitionsDefinition(start_date="2025-01-01")
SPEC_ATTRIBUTES = ("key", "group_name", "description", "kinds", "owners", "tags", "metadata", "deps")


class Recording(DagsterNtropyTranslator):
    """Records the props it was given and puts its own mark on every spec."""

    def __init__(self) -> None:
        self.props: dict[str, NtropyAssetProps] = {}
        self.specs: dict[str, dg.AssetSpec] = {}

    def get_asset_spec(self, props: NtropyAssetProps) -> dg.AssetSpec:
        self.props[props.name] = props
        spec = (
            super()
            .get_asset_spec(props)
            .replace_attributes(key=["bank", props.name], group_name="bank_ntropy")
            .merge_attributes(metadata={"translated_by": "Recording"}, kinds={"custom"})
        )
        self.specs[props.name] = spec
        return spec


@dg.asset(partitions_def=monthly)
def raw_transactions() -> pd.DataFrame:
    raise AssertionError("not executed at load time")


def specs_by_key(assets: list[dg.AssetsDefinition]) -> dict[dg.AssetKey, dg.AssetSpec]:
    return {spec.key: spec for asset in assets for spec in asset.specs}


def test_the_translators_specs_are_used_as_they_are_and_their_keys_chain() -> None:
    translator = Recording()
    extra = dg.AssetKey("bank_statement_enriched_transactions")
    pipeline = build_ntropy_assets(
        raw_transactions,
        translator=translator,
        owners=["team:payments"],
        tags={"domain": "banking"},
        dialect="postgresql",
        extra_mart_deps=[extra],
    )
    built = specs_by_key(pipeline.assets)
    assert set(built) == {spec.key for spec in translator.specs.values()}
    for name, expected in translator.specs.items():
        for attribute in SPEC_ATTRIBUTES:
            assert getattr(built[expected.key], attribute) == getattr(expected, attribute), (name, attribute)
        assert built[expected.key].automation_condition == expected.automation_condition
        marts = ("recurring_groups", "income")
        assert built[expected.key].partitions_def == (None if name in marts else monthly), name

    props = translator.props
    raw, keys = raw_transactions.key, pipeline.keys
    assert keys.enriched == dg.AssetKey(["bank", "enriched_transactions"])
    assert props["account_holders"].deps == (raw,)
    assert props["batches"].deps == (raw, keys.account_holders)
    assert props["enriched_transactions"].deps == (raw, keys.batches)
    assert props["recurring_groups"].deps == (keys.enriched, extra)
    assert props["income"].deps == (keys.recurring_groups, keys.enriched, extra)
    for name, prop in props.items():
        assert (prop.owners, prop.tags, prop.dialect) == (
            ("team:payments",),
            {"domain": "banking"},
            "postgresql",
        )
        assert (prop.automation_condition is not None) == (name in ("recurring_groups", "income")), name
    tables = {name: prop.table_name for name, prop in props.items()}
    assert tables == {
        "account_holders": None,
        "batches": "batches",
        "enriched_transactions": "enriched_transactions",
        "recurring_groups": "recurring_groups",
        "income": "income_sources",
    }
    assert {"postgresql", "table"} <= built[keys.enriched].kinds
    assert "postgresql" not in built[keys.account_holders].kinds


def test_blocking_mode_chains_the_enriched_asset_to_the_account_holders() -> None:
    translator = Recording()
    pipeline = build_ntropy_assets(
        raw_transactions, translator=translator, blocking=True, include_marts=False
    )
    assert set(translator.props) == {"account_holders", "enriched_transactions"}
    assert translator.props["enriched_transactions"].deps == (
        raw_transactions.key,
        pipeline.keys.account_holders,
    )
    assert pipeline.sensors == [] and pipeline.asset_checks == []


def test_every_setting_comes_from_the_options() -> None:
    defaults = PipelineOptions()
    assert defaults.tick_budget_seconds == DEFAULT_TICK_BUDGET_SECONDS
    [sensor] = [s for s in build_ntropy_assets(raw_transactions).sensors if s.name == BATCH_SENSOR_NAME]
    assert sensor.minimum_interval_seconds == defaults.sensor_interval_seconds

    options = PipelineOptions(
        sensor_interval_seconds=45,
        error_rate_threshold=0.25,
        step_max_retries=5,
        step_retry_delay_seconds=2.5,
    )
    pipeline = build_ntropy_assets(raw_transactions, options=options, sensor_name="bank_batches")
    [sensor] = [s for s in pipeline.sensors if s.name == "bank_batches"]
    assert sensor.minimum_interval_seconds == 45
    [enriched] = [a for a in pipeline.assets if a.key == pipeline.keys.enriched]
    [rate] = [spec for spec in enriched.check_specs if spec.name == "item_error_rate"]
    assert "25%" in (rate.description or "")
    # Every step that calls the API retries failures that may heal, as the options say.
    keys = pipeline.keys
    for key in (keys.account_holders, keys.batches, keys.enriched):
        [asset] = [a for a in pipeline.assets if a.key == key]
        assert asset.node_def.retry_policy == dg.RetryPolicy(
            max_retries=5, delay=2.5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
        )
    never = build_ntropy_assets(raw_transactions, options=PipelineOptions(step_max_retries=0))
    assert all(a.node_def.retry_policy is None for a in never.assets)


@pytest.mark.parametrize(
    "removed",
    [
        {"submit_options": PipelineOptions()},
        {"blocking_timeout": 10.0},
        {"error_rate_threshold": 0.1},
        {"marts_as_of": "today"},
        {"sensor_minimum_interval_seconds": 60},
    ],
)
def test_the_keyword_arguments_options_replaced_are_gone(removed: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match=next(iter(removed))):
        build_ntropy_assets(raw_transactions, **removed)


@pytest.mark.parametrize(
    ("url", "dialect", "kind"),
    [
        ("sqlite:///wh.db", None, "sqlite"),
        ("duckdb:///wh.duckdb", None, "duckdb"),
        ("postgresql+psycopg://etl:secret@db.internal/dw", None, "postgresql"),
        ("sqlite:///wh.db", "postgresql", "postgresql"),  # an explicit dialect wins
        (dg.EnvVar("NTROPY_TEST_WAREHOUSE_URL"), None, None),  # read at run time: unknown at load
        ("not a url", None, None),
    ],
)
def test_definitions_read_the_dialect_from_a_literal_url(
    url: Any, dialect: str | None, kind: str | None
) -> None:
    defs = build_ntropy_definitions(
        raw_transactions,
        ntropy=NtropyResource(api_key="k"),
        warehouse=NtropyWarehouseResource(url=url),
        dialect=dialect,
    )
    kinds = {spec.key.to_user_string(): spec.kinds for spec in defs.resolve_all_asset_specs()}
    dialects = kinds["ntropy_enriched_transactions"] & {"sqlite", "duckdb", "postgresql"}
    assert dialects == ({kind} if kind else set())


def test_definitions_default_to_sqlite_and_register_the_resources_under_their_keys() -> None:
    defs = build_ntropy_definitions(raw_transactions, ntropy_resource_key="api", warehouse_resource_key="dw")
    assert set(defs.resources or {}) == {"api", "dw"}
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    assert "sqlite" in specs["ntropy_enriched_transactions"].kinds
    dg.Definitions.validate_loadable(defs)


def test_api_failures_is_the_old_name_of_step_failures() -> None:
    assert api_failures is step_failures


def test_the_blocking_wait_uses_the_options_timeout_and_names_the_batches(
    tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    config = SandboxConfig(api_keys=(API_KEY,), rate=1.0, db_path=str(tmp_path / "sb.db"))
    with run_sandbox(config) as server:
        raw = history(1, per_day=40, holders=2, prefix="timeout-")
        # No step retries: the test is about the failure's message (a retry would wait it out).
        options = PipelineOptions(blocking_timeout=0.3, poll_interval=0.1, step_max_retries=0)
        defs, pipeline, _ = make_defs(
            raw, server, f"sqlite:///{tmp_path / 'wh.db'}", blocking=True, options=options
        )
        keys = pipeline.keys
        result = run_selection(
            defs, instance, [keys.raw, keys.account_holders, keys.enriched], expect_success=False
        )
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.user_failure_data
    assert error is not None
    assert error.metadata["ntropy/error"].value == "BatchWaitTimeoutError"
    assert len(error.metadata["ntropy/batch_ids"].value) == 1
    assert "after 0s" in (error.description or "")
