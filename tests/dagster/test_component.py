"""NtropyEnrichmentComponent: YAML -> Definitions, translation, secrets, modes, scaffolding, dg registry, a run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest
import yaml
from dagster.components.testing import create_defs_folder_sandbox

from ntropy_dagster import NtropyResource, NtropyWarehouseResource
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.validation import ColumnMapping
from ntropy_dagster.dagster.components import (
    NtropyEnrichmentComponent,
    NtropyEnrichmentScaffolder,
    NtropyScaffoldParams,
)
from tests.dagster.conftest import history, query

TYPE_NAME = "ntropy_dagster.components.NtropyEnrichmentComponent"
SECRET = "sk-live-component-secret-must-not-show"
# PipelineOptions' docstring entry for batch_size, as its two lines read joined.
BATCH_SIZE_DOC = (
    "transactions per batch at most (1 to 24,960, the API's limit); a partition's last two batches are "
    "balanced (25,000 rows: 12,500 + 12,500)."
)


def load(attributes: str) -> tuple[NtropyEnrichmentComponent, dg.Definitions]:
    """Load a defs.yaml of the registered type with these attributes from a defs folder, as dg does."""
    with create_defs_folder_sandbox() as sandbox:
        defs_path = sandbox.defs_folder_path / "ntropy"
        defs_path.mkdir()
        body = textwrap.indent(textwrap.dedent(attributes).strip(), "  ")
        (defs_path / "defs.yaml").write_text(f"type: {TYPE_NAME}\n\nattributes:\n{body}\n")
        with sandbox.load_component_and_build_defs(defs_path=defs_path) as (component, defs):
            assert isinstance(component, NtropyEnrichmentComponent)
            return component, defs


def specs_by_key(defs: dg.Definitions) -> dict[str, dg.AssetSpec]:
    return {
        spec.key.to_user_string(): spec
        for assets_def in defs.assets or []
        if isinstance(assets_def, dg.AssetsDefinition)
        for spec in assets_def.specs
    }


def partitions_by_key(defs: dg.Definitions) -> dict[str, dg.PartitionsDefinition | None]:
    return {
        key.to_user_string(): assets_def.partitions_def
        for assets_def in defs.assets or []
        if isinstance(assets_def, dg.AssetsDefinition)
        for key in assets_def.keys
    }


def with_raw(
    defs: dg.Definitions,
    key: str = "raw",
    frame: pd.DataFrame | None = None,
    partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.Definitions:
    """The component's Definitions plus the raw-transactions asset it reads (defined in Python)."""

    @dg.asset(key=dg.AssetKey.from_user_string(key), partitions_def=partitions_def)
    def raw() -> pd.DataFrame:
        return frame if frame is not None else pd.DataFrame()

    return dg.Definitions.merge(defs, dg.Definitions(assets=[raw]))


def error_text(exc: BaseException) -> str:
    """The message of an exception and of every exception it was raised from."""
    parts = []
    current: BaseException | None = exc
    while current is not None:
        parts.append(str(current))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


FULL_YAML = """
raw_asset: bank/raw_transactions
column_mapping:
  columns: {txn_id: id, memo: description}
  entry_type_from_sign: true
  default_account_holder_type: business
ntropy:
  api_key_env: NTROPY_COMPONENT_KEY
  region: eu
  base_url: "{{ env.NTROPY_COMPONENT_URL }}"
warehouse:
  url: "duckdb:///{{ env.NTROPY_COMPONENT_DIR }}/wh.duckdb"
  db_schema: enrich
  table_prefix: acme_
partitioning:
  type: daily
  start_date: 2024-01-01
  end_date: "2024-03-01"
mode: sensor
options:
  batch_size: 500
  max_in_flight: 4
  max_attempts: 2
  error_rate_threshold: 0.1
  sensor_interval_seconds: 45
include_marts: true
sensor_default_status: stopped
translation:
  key_prefix: acme
  group_name: "acme_{{ 'marts' if props.name in ['recurring_groups', 'income'] else 'enrichment' }}"
  owners: ["team:payments"]
  tags:
    stage: "{{ props.name }}"
"""


def test_yaml_declares_the_whole_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTROPY_COMPONENT_KEY", SECRET)
    monkeypatch.setenv("NTROPY_COMPONENT_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("NTROPY_COMPONENT_DIR", str(tmp_path))
    component, defs = load(FULL_YAML)

    specs = specs_by_key(defs)
    assert set(specs) == {
        "acme/ntropy_account_holders",
        "acme/ntropy_batches",
        "acme/ntropy_enriched_transactions",
        "acme/ntropy_recurring_groups",
        "acme/ntropy_income",
    }
    raw = dg.AssetKey(["bank", "raw_transactions"])
    assert {d.asset_key for d in specs["acme/ntropy_account_holders"].deps} == {raw}
    assert {d.asset_key for d in specs["acme/ntropy_enriched_transactions"].deps} == {
        raw,
        dg.AssetKey(["acme", "ntropy_batches"]),
    }
    groups = {key: spec.group_name for key, spec in specs.items()}
    assert groups["acme/ntropy_enriched_transactions"] == "acme_enrichment"
    assert groups["acme/ntropy_income"] == "acme_marts"
    for name, spec in specs.items():
        assert spec.owners == ["team:payments"]
        assert spec.tags["stage"] == name.removeprefix("acme/ntropy_")
        assert "ntropy" in spec.kinds
    # The warehouse dialect is a kind of every table asset (parsed from the URL, never connected).
    assert {"ntropy", "table", "duckdb"} <= specs["acme/ntropy_enriched_transactions"].kinds
    assert "duckdb" not in specs["acme/ntropy_account_holders"].kinds

    partitions = partitions_by_key(defs)
    daily = partitions["acme/ntropy_enriched_transactions"]
    assert isinstance(daily, dg.DailyPartitionsDefinition)
    keys = daily.get_partition_keys()
    assert keys[0] == "2024-01-01" and keys[-1] == "2024-02-29"
    assert partitions["acme/ntropy_batches"] == daily
    assert partitions["acme/ntropy_income"] is None  # the marts cover every partition

    resolved = with_raw(defs, "bank/raw_transactions", partitions_def=daily)
    check_keys = {
        (k.asset_key.to_user_string(), k.name) for k in resolved.resolve_asset_graph().asset_check_keys
    }
    assert ("acme/ntropy_enriched_transactions", "item_error_rate") in check_keys
    assert ("acme/ntropy_income", "not_older_than_enriched_table") in check_keys

    sensor = resolved.resolve_sensor_def("ntropy_batch_sensor")
    assert sensor.minimum_interval_seconds == 45
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED

    ntropy = defs.resources["ntropy"]
    assert isinstance(ntropy, NtropyResource)
    assert ntropy.region == "eu"
    assert ntropy.base_url == "http://127.0.0.1:9/"
    # The key is an EnvVar: Dagster keeps {"env": NAME} as config and resolves it when a run starts.
    assert isinstance(ntropy.api_key, dg.EnvVar) and ntropy.api_key == "NTROPY_COMPONENT_KEY"
    config = ntropy.get_resource_definition().config_schema.as_field().default_value
    assert config["api_key"] == {"env": "NTROPY_COMPONENT_KEY"}
    for dump in (repr(ntropy), ntropy.model_dump_json(), json.dumps(config), repr(component)):
        assert SECRET not in dump

    warehouse = defs.resources["ntropy_warehouse"]
    assert isinstance(warehouse, NtropyWarehouseResource)
    assert warehouse.url == f"duckdb:///{tmp_path}/wh.duckdb"
    assert (warehouse.db_schema, warehouse.table_prefix) == ("enrich", "acme_")

    # The attributes resolved the real classes: the resources above, the ColumnMapping, the PipelineOptions.
    assert component.ntropy is ntropy and component.warehouse is warehouse
    mapping = component.column_mapping
    assert type(mapping) is ColumnMapping
    assert mapping.columns == {"txn_id": "id", "memo": "description"}
    assert mapping.entry_type_from_sign and mapping.default_account_holder_type == "business"
    assert component.options == PipelineOptions(
        batch_size=500, max_in_flight=4, max_attempts=2, error_rate_threshold=0.1, sensor_interval_seconds=45
    )


def test_defaults_and_blocking_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NTROPY_BASE_URL", raising=False)
    _, sensor_defs = load('raw_asset: raw_transactions\nntropy: {base_url: "{{ env.NTROPY_BASE_URL }}"}')
    specs = specs_by_key(sensor_defs)
    assert set(specs) == {
        "ntropy_account_holders",
        "ntropy_batches",
        "ntropy_enriched_transactions",
        "ntropy_recurring_groups",
        "ntropy_income",
    }
    assert {spec.group_name for spec in specs.values()} == {"ntropy"}
    assert "sqlite" in specs["ntropy_enriched_transactions"].kinds
    assert set(partitions_by_key(sensor_defs).values()) == {None}
    sensor = with_raw(sensor_defs, "raw_transactions").resolve_sensor_def("ntropy_batch_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 30
    ntropy = sensor_defs.resources["ntropy"]
    # An unset NTROPY_BASE_URL renders to nothing: requests go to the region's URL.
    assert ntropy.base_url is None and ntropy.api_key == "NTROPY_API_KEY"
    assert sensor_defs.resources["ntropy_warehouse"].url == "sqlite:///ntropy_warehouse.db"

    _, blocking_defs = load(
        """
        raw_asset: raw_transactions
        mode: blocking
        include_marts: false
        partitioning: {type: monthly, start_date: "2024-01-01"}
        warehouse: {url_env: NTROPY_COMPONENT_WAREHOUSE_URL}
        """,
    )
    assert not list(blocking_defs.sensors or [])
    specs = specs_by_key(blocking_defs)
    assert set(specs) == {"ntropy_account_holders", "ntropy_enriched_transactions"}
    assert isinstance(
        partitions_by_key(blocking_defs)["ntropy_enriched_transactions"], dg.MonthlyPartitionsDefinition
    )
    # A URL read at run time has no dialect at load time, and the URL is not in the config.
    assert "sqlite" not in specs["ntropy_enriched_transactions"].kinds
    warehouse = blocking_defs.resources["ntropy_warehouse"]
    assert isinstance(warehouse.url, dg.EnvVar) and warehouse.url == "NTROPY_COMPONENT_WAREHOUSE_URL"


def test_translation_kinds_and_key_replace_the_defaults() -> None:
    _, defs = load(
        """
        raw_asset: raw
        include_marts: false
        translation:
          key: "enrichment/{{ props.name }}"
          kinds: [ntropy, postgres]
          description: "{{ spec.description[:20] }}"
        """,
    )
    specs = specs_by_key(defs)
    assert set(specs) == {
        "enrichment/account_holders",
        "enrichment/batches",
        "enrichment/enriched_transactions",
    }
    enriched = specs["enrichment/enriched_transactions"]
    assert enriched.kinds == {"ntropy", "postgres"}
    assert enriched.description == "Transactions enriche"
    assert {d.asset_key for d in enriched.deps} == {
        dg.AssetKey("raw"),
        dg.AssetKey(["enrichment", "batches"]),
    }


@pytest.mark.filterwarnings("ignore:NtropyEnrichmentComponent. renamed attributes:FutureWarning")
@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ("raw_asset: r\noptions: {batch_size: 0}", "batch_size must be between 1 and 24960"),
        ("raw_asset: r\noptions: {error_rate_threshold: 2}", "error_rate_threshold must be between 0 and 1"),
        ("raw_asset: r\noptions: {batch_sise: 10}", "Extra inputs are not permitted"),
        (
            "raw_asset: r\nntropy: {api_key: sk-literal}",
            "api_key may not be written in YAML: give api_key_env",
        ),
        ("raw_asset: r\nntropy: {timeout: 0}", "greater than 0"),
        ("raw_asset: r\nntropy: {region: mars}", "'us' or 'eu'"),
        ("raw_asset: r\nntropy: {api_key_env: 'sk-123 456'}", "must be the name of an environment variable"),
        ("raw_asset: r\nwarehouse: {url: 'sqlite://', url_env: WH}", "not both"),
        ("raw_asset: r\nwarehouse: {url: '{{ env.NTROPY_COMPONENT_UNSET }}'}", "warehouse.url is empty"),
        ("raw_asset: r\npartitioning: {type: daily}", "start_date is required"),
        ("raw_asset: r\ncolumn_mapping: {columns: {memo: descr}}", "unknown v3 input column"),
        ("raw_asset: r\ncolumn_mapping: {colums: {memo: description}}", "Extra inputs are not permitted"),
        ("raw_asset: r\nmode: eventually", "'sensor' or 'blocking'"),
        ("raw_asset: r\noptions: {sensor_interval_seconds: 0}", "must be at least 1"),
        ("raw_asset: r\nsensor_default_status: paused", "'running' or 'stopped'"),
        # The keys of earlier versions are moved to their new place, and validated there.
        ("raw_asset: r\nbatch_size: 0", "batch_size must be between 1 and 24960"),
        ("raw_asset: r\nautomation: {minimum_interval_seconds: 0}", "must be at least 1"),
        ("raw_asset: r\nbatch_size: 5\noptions: {batch_size: 6}", "give it once, in options.batch_size"),
    ],
)
def test_invalid_yaml_is_rejected_at_load(
    monkeypatch: pytest.MonkeyPatch, attributes: str, message: str
) -> None:
    monkeypatch.delenv("NTROPY_COMPONENT_UNSET", raising=False)
    with pytest.raises(Exception) as excinfo:
        load(attributes)
    assert message in error_text(excinfo.value)


def test_templated_numbers_and_python_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTROPY_COMPONENT_BATCH", "250")
    monkeypatch.setenv("NTROPY_COMPONENT_TIMEOUT", "12.5")
    from_yaml = NtropyEnrichmentComponent.resolve_from_yaml(
        """
        raw_asset: r
        options: {batch_size: "{{ env.NTROPY_COMPONENT_BATCH }}", marts_as_of: today}
        ntropy: {api_key_env: NTROPY_COMPONENT_KEY, timeout: "{{ env.NTROPY_COMPONENT_TIMEOUT }}"}
        partitioning: {type: none}
        """
    )
    assert from_yaml.options == PipelineOptions(batch_size=250, marts_as_of="today")
    assert from_yaml.ntropy is not None and from_yaml.ntropy.timeout == 12.5
    # Python builds the same component from the same real classes.
    from_python = NtropyEnrichmentComponent(
        raw_asset="r",
        options=PipelineOptions(batch_size=250, marts_as_of="today"),
        ntropy=NtropyResource(api_key=dg.EnvVar("NTROPY_COMPONENT_KEY"), timeout=12.5),
    )
    assert from_python.options == from_yaml.options
    assert from_python.ntropy == from_yaml.ntropy
    python_defs, yaml_defs = dg.component_defs(component=from_python), dg.component_defs(component=from_yaml)
    assert set(specs_by_key(python_defs)) == set(specs_by_key(yaml_defs))
    assert python_defs.resources["ntropy"] == yaml_defs.resources["ntropy"]


def test_loading_makes_no_api_call_and_no_database_connection() -> None:
    # Neither the database host nor the API port exists: any I/O at load time would fail.
    _, component_only = load(
        """
        raw_asset: raw
        ntropy: {base_url: "http://127.0.0.1:9"}
        warehouse: {url: "postgresql+psycopg://etl:pw@db.invalid:5432/dw"}
        """,
    )
    defs = with_raw(component_only)
    repository = defs.get_repository_def()
    assert dg.AssetKey("ntropy_enriched_transactions") in repository.asset_graph.get_all_asset_keys()
    assert "postgresql" in specs_by_key(defs)["ntropy_batches"].kinds


def test_yaml_pipeline_runs_through_the_sensor(
    fresh_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    monkeypatch.setenv("NTROPY_COMPONENT_RUN_KEY", fresh_sandbox.api_key)
    monkeypatch.setenv("NTROPY_COMPONENT_RUN_URL", fresh_sandbox.base_url)
    frame = history(3, per_day=10, holders=2, start=dt.date(2025, 1, 30), prefix="cmp-")
    # The raw table has its own column names and signed amounts: the YAML's column_mapping fixes both.
    signed = frame["amount"].where(frame["entry_type"] == "incoming", -frame["amount"])
    raw = (
        frame.drop(columns=["entry_type"])
        .assign(amount=signed)
        .rename(columns={"id": "txn_id", "description": "memo"})
    )
    _, component_only = load(
        f"""
        raw_asset: raw
        column_mapping:
          columns: {{txn_id: id, memo: description}}
          entry_type_from_sign: true
        ntropy:
          api_key_env: NTROPY_COMPONENT_RUN_KEY
          base_url: "{{{{ env.NTROPY_COMPONENT_RUN_URL }}}}"
        warehouse: {{url: "sqlite:///{tmp_path}/warehouse.db"}}
        partitioning: {{type: none}}
        include_marts: false
        translation: {{key_prefix: bank}}
        """,
    )
    defs = with_raw(component_only, frame=raw)
    enriched_key = dg.AssetKey(["bank", "ntropy_enriched_transactions"])
    submit_keys = {dg.AssetKey("raw"), dg.AssetKey(["bank", "ntropy_account_holders"])}
    submit_keys.add(dg.AssetKey(["bank", "ntropy_batches"]))
    job = defs.resolve_implicit_global_asset_job_def()

    submitted = job.get_subset(asset_selection=submit_keys).execute_in_process(instance=instance)
    assert submitted.success
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=defs.resources) as context:
        tick = defs.resolve_sensor_def("ntropy_batch_sensor").evaluate_tick(context)
    assert len(tick.run_requests) == 1
    assert tick.run_requests[0].asset_selection == [enriched_key]

    enriched = job.get_subset(asset_selection={enriched_key}).execute_in_process(instance=instance)
    assert enriched.success
    assert all(e.passed for e in enriched.get_asset_check_evaluations())
    rows = query(defs.resources["ntropy_warehouse"], "select * from {t}enriched_transactions")
    assert len(rows) == len(raw)
    assert set(rows["transaction_id"]) == set(raw["txn_id"])
    incoming = set(raw.loc[raw["amount"] > 0, "txn_id"])
    assert incoming  # payday is in the window
    assert set(rows.loc[rows["entry_type"] == "incoming", "transaction_id"]) == incoming
    assert (rows["amount"] > 0).all()
    starbucks = rows[rows["description"].str.contains("STARBUCKS")]
    assert len(starbucks) > 0 and set(starbucks["counterparty_name"]) == {"Starbucks"}


@pytest.mark.parametrize(
    "params",
    [
        None,
        {"raw_asset": "bank/raw", "partitioning": "monthly", "start_date": "2024-03-01", "mode": "blocking"},
    ],
)
def test_scaffolded_yaml_is_commented_and_loads(
    params: dict[str, str] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NTROPY_BASE_URL", raising=False)
    with create_defs_folder_sandbox() as sandbox:
        defs_path = sandbox.scaffold_component(NtropyEnrichmentComponent, scaffold_params=params)
        text = (defs_path / "defs.yaml").read_text()
        assert "api_key_env: NTROPY_API_KEY" in text
        assert "base_url: '{{ env.NTROPY_BASE_URL }}'" in text
        assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 20
        # Each key is commented with its description from the real classes' fields.
        assert f"# {NtropyResource.model_fields['region'].description}" in text
        comments = " ".join(line.strip().removeprefix("# ") for line in text.splitlines() if "#" in line)
        assert BATCH_SIZE_DOC in comments
        with sandbox.load_component_and_build_defs(defs_path=defs_path) as (component, defs):
            assert isinstance(component, NtropyEnrichmentComponent)
            assert component.options == PipelineOptions()
            assert isinstance(component.ntropy, NtropyResource) and component.ntropy.base_url is None
            specs = specs_by_key(defs)
            partitions = partitions_by_key(defs)["ntropy_enriched_transactions"]
            if params is None:
                assert component.raw_asset == "raw_transactions"
                assert isinstance(partitions, dg.DailyPartitionsDefinition)
                assert partitions.start.date() == dt.date(2024, 1, 1)
                assert "ntropy_batches" in specs
                sensor = with_raw(defs, "raw_transactions", partitions_def=partitions).resolve_sensor_def(
                    "ntropy_batch_sensor"
                )
                assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
            else:
                assert {d.asset_key for d in specs["ntropy_account_holders"].deps} == {
                    dg.AssetKey(["bank", "raw"])
                }
                assert isinstance(partitions, dg.MonthlyPartitionsDefinition)
                assert partitions.start.date() == dt.date(2024, 3, 1)
                assert "ntropy_batches" not in specs  # no batch sensor; the marts' automation sensor
                assert [s.name for s in defs.sensors or []] == ["ntropy_marts_automation_sensor"]


def test_dg_lists_the_component(tmp_path: Path) -> None:
    dg_cli = Path(sys.executable).parent / "dg"
    result = subprocess.run(
        [str(dg_cli), "list", "components", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    items = {item["key"]: item for item in json.loads(result.stdout)["items"]}
    assert TYPE_NAME in items
    assert "Ntropy" in items[TYPE_NAME]["summary"]


LEGACY_YAML = """
raw_asset: bank/raw_transactions
partitioning: {type: none}
batch_size: 500
max_in_flight: 4
max_attempts: 2
error_rate_threshold: 0.1
marts_as_of: today
blocking_timeout_seconds: 120
automation:
  sensor_default_status: stopped
  minimum_interval_seconds: 45
  sensor_name: legacy_sensor
"""


def test_keys_of_earlier_versions_still_load() -> None:
    with pytest.warns(FutureWarning, match="batch_size -> options.batch_size") as record:
        component, defs = load(LEGACY_YAML)
    (message,) = [str(w.message) for w in record if "renamed attributes" in str(w.message)]
    assert "blocking_timeout_seconds -> options.blocking_timeout" in message
    assert "automation.minimum_interval_seconds -> options.sensor_interval_seconds" in message
    assert "automation.sensor_default_status -> sensor_default_status" in message
    assert component.options == PipelineOptions(
        batch_size=500,
        max_in_flight=4,
        max_attempts=2,
        error_rate_threshold=0.1,
        marts_as_of="today",
        blocking_timeout=120,
        sensor_interval_seconds=45,
    )
    sensor = with_raw(defs, "bank/raw_transactions").resolve_sensor_def("legacy_sensor")
    assert sensor.minimum_interval_seconds == 45
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    # The schema dg shows has only the current keys.
    properties = NtropyEnrichmentComponent.model().model_json_schema()["properties"]
    assert "options" in properties and not {"batch_size", "automation"} & set(properties)


def test_attribute_schema_is_derived_from_the_real_classes() -> None:
    schema = NtropyEnrichmentComponent.model().model_json_schema()
    definitions = schema["$defs"]

    def properties_of(attribute: str) -> dict[str, Any]:
        refs = [part["$ref"] for part in schema["properties"][attribute]["anyOf"] if "$ref" in part]
        return definitions[refs[0].rsplit("/", 1)[-1]]["properties"]

    # Every PipelineOptions field, with its default and docstring description; none restated.
    options = properties_of("options")
    defaults = PipelineOptions()
    assert set(options) == {f.name for f in dataclasses.fields(PipelineOptions)}
    assert all(options[name]["default"] == getattr(defaults, name) for name in options)
    assert options["batch_size"]["description"] == BATCH_SIZE_DOC
    # The resources' own fields; the key only as the name of an environment variable.
    ntropy = properties_of("ntropy")
    assert set(ntropy) == (set(NtropyResource.model_fields) - {"api_key"}) | {"api_key_env"}
    assert ntropy["timeout"]["default"] == NtropyResource.model_fields["timeout"].default
    assert ntropy["api_key_env"]["default"] == "NTROPY_API_KEY"
    warehouse = properties_of("warehouse")
    assert set(warehouse) == set(NtropyWarehouseResource.model_fields) | {"url_env"}
    assert warehouse["url"]["default"] == NtropyWarehouseResource.model_fields["url"].default
    assert set(properties_of("column_mapping")) == set(ColumnMapping.model_fields)


def test_resource_fields_beyond_the_old_settings_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTROPY_COMPONENT_KEY", SECRET)
    component, defs = load(
        """
        raw_asset: raw
        ntropy: {api_key_env: NTROPY_COMPONENT_KEY, timeout: 5, max_attempts: 2, max_retry_seconds: 9}
        warehouse: {url: "sqlite://", db_schema: main}
        dialect: postgresql
        sensor_name: bank_sensor
        ntropy_resource_key: bank_api
        warehouse_resource_key: bank_warehouse
        """,
    )
    ntropy = defs.resources["bank_api"]
    assert type(ntropy) is NtropyResource
    assert (ntropy.timeout, ntropy.max_attempts, ntropy.max_retry_seconds) == (5, 2, 9)
    assert ntropy.api_key == "NTROPY_COMPONENT_KEY" and SECRET not in repr(component)
    assert type(defs.resources["bank_warehouse"]) is NtropyWarehouseResource
    # An explicit dialect wins over the URL's.
    kinds = specs_by_key(defs)["ntropy_enriched_transactions"].kinds
    assert "postgresql" in kinds and "sqlite" not in kinds
    assert with_raw(defs).resolve_sensor_def("bank_sensor")


def test_scaffolding_appends_a_document(tmp_path: Path) -> None:
    existing = "type: other.Component\n\nattributes: {}\n"
    defs_yaml = tmp_path / "defs.yaml"
    defs_yaml.write_text(existing)
    request = dg.ScaffoldRequest(
        type_name=TYPE_NAME,
        target_path=defs_yaml,
        scaffold_format="yaml",
        project_root=None,
        params=NtropyScaffoldParams(raw_asset="bank/raw", partitioning="none"),
        append=True,
    )
    NtropyEnrichmentScaffolder().scaffold(request)
    text = defs_yaml.read_text()
    assert text.startswith(existing + "---\n")
    documents = list(yaml.safe_load_all(text))
    assert documents[1]["type"] == TYPE_NAME
    assert documents[1]["attributes"]["partitioning"] == {"type": "none"}
    assert "  # Asset key of the raw transactions" in text.split("---\n", 1)[1]


def _dg_project(root: Path) -> Path:
    """A minimal dg project whose defs folder holds a monthly raw-transactions asset ``bank/raw``."""
    (root / "pyproject.toml").write_text(
        '[project]\nname = "ntropy_cmp_project"\nversion = "0.1"\n\n'
        '[tool.dg]\ndirectory_type = "project"\n\n'
        '[tool.dg.project]\nroot_module = "ntropy_cmp_project"\n'
    )
    package = root / "src" / "ntropy_cmp_project"
    (package / "defs" / "raw").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "defs" / "__init__.py").write_text("")
    (package / "definitions.py").write_text(
        "from pathlib import Path\n\nimport dagster as dg\n\n\n@dg.definitions\ndef defs():\n"
        "    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)\n"
    )
    (package / "defs" / "raw" / "assets.py").write_text(
        "import dagster as dg\nimport pandas as pd\n\n\n"
        '@dg.asset(key=["bank", "raw"], partitions_def=dg.MonthlyPartitionsDefinition(start_date="2024-03-01"))\n'
        "def raw() -> pd.DataFrame:\n    return pd.DataFrame()\n"
    )
    return package / "defs"


@pytest.mark.slow  # dg scaffold and dg check as subprocesses: the slow suite
def test_dg_scaffolds_defs_that_dg_check_accepts(tmp_path: Path) -> None:
    defs_folder = _dg_project(tmp_path)
    dg_cli = str(Path(sys.executable).parent / "dg")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    env.pop("NTROPY_API_KEY", None)  # loading needs no key
    run = functools.partial(
        subprocess.run, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    scaffold = [dg_cli, "scaffold", "defs", TYPE_NAME, "ntropy_enrichment", "--raw-asset", "bank/raw"]
    scaffold += ["--partitioning", "monthly", "--start-date", "2024-03-01", "--mode", "blocking"]
    scaffolded = run(scaffold)
    assert scaffolded.returncode == 0, scaffolded.stderr
    text = (defs_folder / "ntropy_enrichment" / "defs.yaml").read_text()
    assert text.startswith(f"type: {TYPE_NAME}\n") and "raw_asset: bank/raw" in text
    checked = run([dg_cli, "check", "defs"])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr
