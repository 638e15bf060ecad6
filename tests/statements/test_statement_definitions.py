"""What ``build_bank_statement_assets`` declares: the translator's specs as they are, op names from the one
``op_name``, and every shared setting (timeouts, intervals, budget) from ``PipelineOptions``."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from ntropy_dagster import (
    DagsterNtropyTranslator,
    NtropyAssetProps,
    NtropyResource,
    NtropyWarehouseResource,
    PipelineOptions,
)
from ntropy_dagster.dagster.assets.common import op_name
from ntropy_dagster.dagster.statements import BankStatementPipeline, build_bank_statement_assets
from tests.statements.conftest import DISCOVERY, STATUS

NAMES = ("submitted_bank_statements", "bank_statement_transactions", "bank_statement_enriched_transactions")


class CustomTranslator(DagsterNtropyTranslator):
    """Renames every statement asset and moves it to the ``finance`` group."""

    def get_asset_spec(self, props: NtropyAssetProps) -> dg.AssetSpec:
        spec = super().get_asset_spec(props)
        return spec.replace_attributes(
            key=dg.AssetKey(["bank", *spec.key.path[:-1], f"x_{spec.key.path[-1]}"]), group_name="finance"
        )


def _specs(pipeline: BankStatementPipeline) -> list[dg.AssetSpec]:
    return [next(iter(asset.specs)) for asset in pipeline.assets]


def _sensor(pipeline: BankStatementPipeline, name: str) -> dg.SensorDefinition:
    return next(s for s in pipeline.sensors if s.name == name)


def test_default_specs_are_the_translators_and_keep_todays_keys_groups_and_op_names(tmp_path: Path) -> None:
    pipeline = build_bank_statement_assets(tmp_path)
    translator = DagsterNtropyTranslator()
    tables = ("bank_statements", "bank_statement_transactions", "enriched_transactions")
    previous: tuple[dg.AssetKey, ...] = ()
    assert pipeline.specs is not None
    declared = (pipeline.specs.submitted, pipeline.specs.transactions, pipeline.specs.enriched)
    for asset, spec, name, table in zip(pipeline.assets, declared, NAMES, tables, strict=True):
        # Used as the translator returned it: the asset's own spec only adds the partitions.
        assert spec == translator.get_asset_spec(NtropyAssetProps(name, table_name=table, deps=previous))
        assert next(iter(asset.specs)) == spec.replace_attributes(partitions_def=asset.partitions_def)
        assert spec.key == dg.AssetKey(name) and spec.group_name == "ntropy_bank_statements"
        assert set(spec.kinds) == {"ntropy", "pdf", "table"}
        assert asset.node_def.name == name == op_name(spec.key)
        previous = (spec.key,)
    assert pipeline.keys.enriched == dg.AssetKey("bank_statement_enriched_transactions")


def test_a_custom_translator_decides_keys_groups_and_the_lineage_follows(tmp_path: Path) -> None:
    pipeline = build_bank_statement_assets(
        tmp_path,
        translator=CustomTranslator(),
        key_prefix="acme",
        dialect="duckdb",
        owners=["team:finance"],
        tags={"domain": "statements"},
    )
    specs = _specs(pipeline)
    expected = [dg.AssetKey(["bank", "acme", f"x_{name}"]) for name in NAMES]
    assert [spec.key for spec in specs] == expected
    assert [pipeline.keys.submitted, pipeline.keys.transactions, pipeline.keys.enriched] == expected
    assert [[dep.asset_key for dep in spec.deps] for spec in specs] == [[], expected[:1], expected[1:2]]
    for asset, spec in zip(pipeline.assets, specs, strict=True):
        assert spec.group_name == "finance"
        assert set(spec.kinds) == {"ntropy", "pdf", "table", "duckdb"}
        assert spec.owners == ["team:finance"] and spec.tags["domain"] == "statements"
        assert asset.node_def.name == op_name(spec.key) == f"bank__acme__{spec.key.path[-1]}"
        assert [check.asset_key for check in asset.check_specs] == [spec.key]
    assert _sensor(pipeline, DISCOVERY).asset_selection.resolve(pipeline.assets) == {expected[0]}
    assert _sensor(pipeline, STATUS).asset_selection.resolve(pipeline.assets) == set(expected[1:])
    check = pipeline.asset_checks[0]
    assert {key.asset_key for key in check.check_keys} == {expected[1]}
    defs = dg.Definitions(
        assets=pipeline.assets,
        asset_checks=pipeline.asset_checks,
        sensors=pipeline.sensors,
        resources={
            "ntropy": NtropyResource(api_key="unused", base_url="http://127.0.0.1:9"),
            "ntropy_warehouse": NtropyWarehouseResource(url=f"sqlite:///{tmp_path / 'wh.db'}"),
        },
    )
    assert defs.resolve_asset_graph().get(expected[2]).parent_keys == {expected[1]}


def test_sensor_intervals_and_waits_come_from_the_pipeline_options(tmp_path: Path) -> None:
    defaults = PipelineOptions()
    pipeline = build_bank_statement_assets(tmp_path)
    assert pipeline.options is not None and pipeline.options.options == defaults
    assert _sensor(pipeline, DISCOVERY).minimum_interval_seconds == defaults.discovery_interval_seconds
    assert _sensor(pipeline, STATUS).minimum_interval_seconds == defaults.sensor_interval_seconds

    options = PipelineOptions(
        discovery_interval_seconds=600, sensor_interval_seconds=5, blocking_timeout=90, poll_interval=0.5
    )
    tuned = build_bank_statement_assets(tmp_path, options=options)
    assert tuned.options is not None and tuned.options.options is options
    assert _sensor(tuned, DISCOVERY).minimum_interval_seconds == 600
    assert _sensor(tuned, STATUS).minimum_interval_seconds == 5


@pytest.mark.parametrize(
    "removed",
    [
        "submit_options",
        "blocking_timeout",
        "poll_interval",
        "discovery_interval_seconds",
        "status_interval_seconds",
        "tick_budget_seconds",
    ],
)
def test_the_settings_moved_into_pipeline_options_are_no_keyword_of_their_own(
    tmp_path: Path, removed: str
) -> None:
    with pytest.raises(TypeError, match=removed):
        build_bank_statement_assets(tmp_path, **{removed: 1})


def test_statement_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="consumer or business"):
        build_bank_statement_assets(tmp_path, default_account_holder_type="unknown")
    with pytest.raises(ValueError, match="max_file_bytes must be positive"):
        build_bank_statement_assets(tmp_path, max_file_bytes=0)
