"""``NtropyEnrichmentComponent``: the whole enrichment pipeline declared in a ``defs.yaml``.

A Dagster Component (the ``dg`` way of declaring pipelines) on top of
:func:`~ntropy_dagster.dagster.assets.build_ntropy_assets`. Scaffold one with::

    dg scaffold defs ntropy_dagster.dagster.components.NtropyEnrichmentComponent ntropy_enrichment

Loading the component builds Definitions only: it makes no API call and opens no database
connection. The API key is always read from an environment variable at run time.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Any, Literal

import dagster as dg
import sqlalchemy as sa
from dagster.components.utils.translation import TranslationFn, TranslationFnResolver  # not re-exported
from pydantic import BaseModel, Field, field_validator, model_validator

from ntropy_dagster.client import MAX_BATCH_SIZE
from ntropy_dagster.core.options import SubmitOptions
from ntropy_dagster.core.validation import INPUT_COLUMNS, ColumnMapping
from ntropy_dagster.dagster.assets import NtropyPipeline, build_ntropy_assets
from ntropy_dagster.dagster.resources import NtropyResource, NtropyWarehouseResource
from ntropy_dagster.dagster.translator import DagsterNtropyTranslator, NtropyAssetProps

_ENV_VAR_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_DEFAULT_WAREHOUSE_URL = "sqlite:///ntropy_warehouse.db"


# Constraints are checked by validators rather than Field(ge=..., pattern=...): the YAML model dagster
# derives from these fields also accepts a template string ("{{ env.X }}") for every field, and a
# Field constraint cannot apply to that union.


def _check_range(name: str, value: float, low: float, high: float | None = None) -> None:
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")


def _check_env_var_name(name: str, value: str | None) -> None:
    if value is not None and not re.fullmatch(_ENV_VAR_NAME, value):
        raise ValueError(f"{name} must be the name of an environment variable, got {value!r}")


def _resolve_date(context: dg.ResolutionContext, value: Any) -> dt.date | None:
    """YAML gives a date for ``2024-01-01`` and a string for ``"2024-01-01"`` or a template."""
    value = context.resolve_value(value)
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


ResolvedDate = Annotated[dt.date, dg.Resolver(_resolve_date, model_field_type=dt.date)]


class ColumnMappingSettings(dg.Model, dg.Resolvable):
    """How the raw asset's columns map to the v3 input columns (see :class:`ColumnMapping`)."""

    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Your column name -> v3 column name, e.g. {txn_id: id, memo: description}.",
    )
    entry_type_from_sign: bool = Field(
        default=False, description="Derive entry_type from the amount's sign (negative = outgoing)."
    )
    default_account_holder_type: Literal["consumer", "business"] = Field(
        default="consumer", description="Type of account holders whose rows carry no account_holder_type."
    )

    @field_validator("columns")
    @classmethod
    def _known_targets(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns.values()) - set(INPUT_COLUMNS))
        if unknown:
            raise ValueError(f"unknown v3 input column(s) {unknown}; expected one of {sorted(INPUT_COLUMNS)}")
        return columns

    def to_column_mapping(self) -> ColumnMapping:
        """The pipeline's :class:`ColumnMapping`."""
        return ColumnMapping(
            columns=dict(self.columns),
            entry_type_from_sign=self.entry_type_from_sign,
            default_account_holder_type=self.default_account_holder_type,
        )


class NtropyApiSettings(dg.Model, dg.Resolvable):
    """The ``ntropy`` resource. There is deliberately no field for the key itself."""

    api_key_env: str = Field(
        default="NTROPY_API_KEY",
        description="Name of the environment variable holding the API key (read at run time via dg.EnvVar).",
    )
    region: Literal["us", "eu"] = Field(default="us", description="API region.")
    base_url: str | None = Field(
        default=None,
        description="Overrides the region's URL, e.g. '{{ env.NTROPY_BASE_URL }}' for a local sandbox "
        "(a template that renders to nothing means the region's URL).",
    )

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        _check_env_var_name("ntropy.api_key_env", value)
        return value

    def to_resource(self) -> NtropyResource:
        """An :class:`NtropyResource` whose key comes from ``dg.EnvVar(api_key_env)``."""
        return NtropyResource(
            api_key=dg.EnvVar(self.api_key_env), region=self.region, base_url=self.base_url or None
        )


class WarehouseSettings(dg.Model, dg.Resolvable):
    """The ``ntropy_warehouse`` resource: a SQLAlchemy URL given literally or by environment variable."""

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. sqlite:///ntropy.db or '{{ env.NTROPY_WAREHOUSE_URL }}' "
        f"(rendered at load time). Default: {_DEFAULT_WAREHOUSE_URL}.",
    )
    url_env: str | None = Field(
        default=None,
        description="Instead of url: name of an environment variable read at run time via dg.EnvVar, "
        "so a password never appears in the Dagster UI.",
    )
    db_schema: str | None = Field(default=None, description="Schema the tables are created in.")
    table_prefix: str = Field(default="ntropy_", description="Prefix of every table name.")

    @model_validator(mode="after")
    def _one_url(self) -> WarehouseSettings:
        _check_env_var_name("warehouse.url_env", self.url_env)
        if self.url is not None and self.url_env is not None:
            raise ValueError("give warehouse.url or warehouse.url_env, not both")
        if "url" in self.model_fields_set and not self.url:
            # A template such as '{{ env.NTROPY_WAREHOUSE_URL }}' rendered to nothing: falling back to
            # a local SQLite file would silently write the tables to the wrong place.
            raise ValueError("warehouse.url is empty (is the environment variable it reads set?)")
        return self

    @property
    def dialect(self) -> str | None:
        """The URL's dialect when the URL is known at load time (parsed only, never connected)."""
        if self.url_env is not None:
            return None
        return sa.engine.make_url(self.url or _DEFAULT_WAREHOUSE_URL).get_backend_name()

    def to_resource(self) -> NtropyWarehouseResource:
        """A lazy :class:`NtropyWarehouseResource` (no connection until a run queries it)."""
        url: str = dg.EnvVar(self.url_env) if self.url_env else (self.url or _DEFAULT_WAREHOUSE_URL)
        return NtropyWarehouseResource(url=url, db_schema=self.db_schema, table_prefix=self.table_prefix)


class PartitioningSettings(dg.Model, dg.Resolvable):
    """Partitions of the enrichment assets. They must match the raw asset's partitions."""

    type: Literal["daily", "monthly", "none"] = Field(default="daily", description="daily, monthly or none.")
    start_date: ResolvedDate | None = Field(default=None, description="First partition, e.g. 2024-01-01.")
    end_date: ResolvedDate | None = Field(default=None, description="Optional end (exclusive).")

    @model_validator(mode="after")
    def _dates(self) -> PartitioningSettings:
        if self.type != "none" and self.start_date is None:
            raise ValueError(f"partitioning.start_date is required for {self.type} partitions")
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValueError("partitioning.end_date must be after start_date")
        return self

    def to_partitions_def(self) -> dg.PartitionsDefinition | None:
        """The Dagster partitions definition, or None for ``type: none``."""
        if self.type == "none" or self.start_date is None:
            return None
        end = self.end_date.isoformat() if self.end_date else None
        cls = dg.DailyPartitionsDefinition if self.type == "daily" else dg.MonthlyPartitionsDefinition
        return cls(start_date=self.start_date.isoformat(), end_date=end)


class AutomationSettings(dg.Model, dg.Resolvable):
    """The batch sensor (sensor mode only; ignored in blocking mode, which has no sensor)."""

    sensor_default_status: Literal["running", "stopped"] = Field(
        default="running", description="Whether the sensor starts running when the code location loads."
    )
    minimum_interval_seconds: int = Field(default=30, description="Seconds between sensor ticks.")
    sensor_name: str = Field(
        default="ntropy_batch_sensor", description="Sensor name (unique per code location)."
    )

    @field_validator("minimum_interval_seconds")
    @classmethod
    def _interval(cls, value: int) -> int:
        _check_range("automation.minimum_interval_seconds", value, 1)
        return value


class NtropyScaffoldParams(BaseModel):
    """Options of ``dg scaffold defs ntropy_dagster.dagster.components.NtropyEnrichmentComponent <path>``."""

    raw_asset: str = Field(default="raw_transactions", description="Key of your raw-transactions asset.")
    partitioning: Literal["daily", "monthly", "none"] = "daily"
    start_date: str = Field(default="2024-01-01", description="First partition (daily or monthly).")
    mode: Literal["sensor", "blocking"] = "sensor"


_DEFS_TEMPLATE = string.Template("""\
type: $type_name

attributes:
  # Key of your raw-transactions asset: a pandas DataFrame with the v3 input columns
  # id, description, date, amount, entry_type, currency (optional: account_holder_id,
  # account_holder_type, location_raw_address, location_country). "bank/raw" = AssetKey(["bank", "raw"]).
  raw_asset: $raw_asset

  # Map your column names to the v3 names (drop this block if they already match).
  # column_mapping:
  #   columns:
  #     txn_id: id
  #     memo: description
  #   entry_type_from_sign: true            # signed amounts: negative = outgoing
  #   default_account_holder_type: consumer # or business

  # The Ntropy API. The key is read from this environment variable when a run starts and
  # never appears here or in the Dagster UI. base_url: with NTROPY_BASE_URL set (e.g. to a sandbox
  # started with `python -m ntropy_dagster.sandbox`) requests go there, else to the region's URL.
  ntropy:
    api_key_env: NTROPY_API_KEY
    region: us
    base_url: "{{ env.NTROPY_BASE_URL }}"

  # The SQL warehouse the enriched tables and marts are written to (SQLAlchemy URL):
  # sqlite:///file.db, duckdb:///file.duckdb or postgresql+psycopg://user@host/db.
  # With a password, use url_env (read at run time) instead of url.
  warehouse:
    url: sqlite:///ntropy_warehouse.db
    # url_env: NTROPY_WAREHOUSE_URL
    # db_schema: analytics
    table_prefix: ntropy_

  # Must match the partitions of raw_asset. type: daily | monthly | none
  partitioning:
$partitioning

  # sensor: ntropy_batches submits, a sensor requests the enrichment run when Ntropy is done
  #         (needs the Dagster daemon). blocking: one step submits and waits (no sensor).
  mode: $mode
  batch_size: $batch_size       # transactions per batch, 1 to $batch_size
  max_in_flight: 10       # batches processing at once for this API key
  max_attempts: 3         # submissions of a batch that ended in error
  error_rate_threshold: 0.05
  include_marts: true     # recurring_groups and income marts

  # The batch sensor (sensor mode).
  automation:
    sensor_default_status: running
    minimum_interval_seconds: 30

  # Applied on top of each asset's default spec; {{ props.name }} is account_holders, batches,
  # enriched_transactions, recurring_groups or income.
  # translation:
  #   key_prefix: ntropy
  #   group_name: enrichment
  #   owners: ["team:data"]
  #   tags:
  #     stage: "{{ props.name }}"
""")


class NtropyEnrichmentScaffolder(dg.Scaffolder[NtropyScaffoldParams]):
    """Writes a commented ``defs.yaml`` with working, sandbox-friendly defaults."""

    @classmethod
    def get_scaffold_params(cls) -> type[NtropyScaffoldParams]:
        return NtropyScaffoldParams

    def scaffold(self, request: dg.ScaffoldRequest[NtropyScaffoldParams]) -> None:
        if request.scaffold_format != "yaml":
            from dagster.components.component_scaffolding import scaffold_component

            scaffold_component(request)
            return
        text = render_defs_yaml(request.type_name, request.params)
        if request.append:
            with open(request.target_path, "a", encoding="utf-8") as f:
                f.write("---\n" + text)
        else:
            (request.target_path / "defs.yaml").write_text(text, encoding="utf-8")


def render_defs_yaml(type_name: str, params: NtropyScaffoldParams | None = None) -> str:
    """The commented ``defs.yaml`` the scaffolder writes."""
    params = params or NtropyScaffoldParams()
    partitioning = f"    type: {params.partitioning}"
    if params.partitioning != "none":
        partitioning += f'\n    start_date: "{params.start_date}"'
    return _DEFS_TEMPLATE.substitute(
        type_name=type_name,
        raw_asset=params.raw_asset,
        partitioning=partitioning,
        mode=params.mode,
        batch_size=MAX_BATCH_SIZE,
    )


class _TranslatedNtropyTranslator(DagsterNtropyTranslator):
    """The default translator, the warehouse dialect as a kind, then the YAML ``translation:``."""

    def __init__(self, translation: TranslationFn[NtropyAssetProps] | None, dialect: str | None) -> None:
        self._translation = translation
        self._dialect = dialect

    def get_asset_spec(self, props: NtropyAssetProps) -> dg.AssetSpec:
        if props.table_name and props.dialect is None and self._dialect:
            props = replace(props, dialect=self._dialect)
        spec = super().get_asset_spec(props)
        return self._translation(spec, props) if self._translation else spec


def _translation_scope(props: NtropyAssetProps) -> Mapping[str, Any]:
    return {"props": props}


@dg.scaffold_with(NtropyEnrichmentScaffolder)
class NtropyEnrichmentComponent(dg.Component, dg.Model, dg.Resolvable):
    """Ntropy transaction enrichment: raw transactions -> account holders -> batches -> enriched -> marts.

    Declares the assets, checks, batch sensor and both resources of
    :func:`~ntropy_dagster.dagster.definitions.build_ntropy_definitions` downstream of an existing
    raw-transactions asset. The API key comes from an environment variable (``ntropy.api_key_env``).
    """

    raw_asset: str = Field(
        description="Asset key of the raw transactions (a pandas DataFrame); '/' separates key parts."
    )
    column_mapping: ColumnMappingSettings | None = Field(
        default=None, description="Rename raw columns to the v3 input columns."
    )
    ntropy: NtropyApiSettings = Field(default_factory=NtropyApiSettings, description="The Ntropy API.")
    warehouse: WarehouseSettings = Field(
        default_factory=WarehouseSettings,
        description=f"The SQL warehouse. Default: {_DEFAULT_WAREHOUSE_URL}.",
    )
    partitioning: PartitioningSettings = Field(
        default_factory=lambda: PartitioningSettings(type="none"),
        description="Partitions of the enrichment assets (the raw asset's). Default: unpartitioned.",
    )
    mode: Literal["sensor", "blocking"] = Field(
        default="sensor",
        description="sensor: submit, then a sensor requests the enrichment run; blocking: submit and wait.",
    )
    batch_size: int = Field(default=MAX_BATCH_SIZE, description="Transactions per batch.")
    max_in_flight: int = Field(default=10, description="Batches processing at once.")
    max_attempts: int = Field(default=3, description="Submissions of a batch that ended in error.")
    error_rate_threshold: float = Field(
        default=0.05, description="Per-item error rate above which the error-rate check fails."
    )
    include_marts: bool = Field(default=True, description="Add the recurring_groups and income marts.")
    marts_as_of: Literal["data", "today"] = Field(
        default="data", description="Activity of recurring groups relative to the latest data or today."
    )
    blocking_timeout_seconds: float = Field(
        default=3600.0, description="Blocking mode: how long the step waits for its batches."
    )
    automation: AutomationSettings = Field(
        default_factory=AutomationSettings, description="The batch sensor (sensor mode)."
    )
    ntropy_resource_key: str = Field(default="ntropy", description="Resource key of the Ntropy API.")
    warehouse_resource_key: str = Field(
        default="ntropy_warehouse", description="Resource key of the warehouse."
    )
    translation: (
        Annotated[
            TranslationFn[NtropyAssetProps],
            TranslationFnResolver[NtropyAssetProps](_translation_scope),
        ]
        | None
    ) = Field(
        default=None,
        description="Asset attributes applied on top of each default spec (key_prefix, group_name, owners, "
        "tags, kinds, ...); templates see {{ props.name }}, {{ props.table_name }} and {{ spec }}.",
    )

    @model_validator(mode="after")
    def _ranges(self) -> NtropyEnrichmentComponent:
        _check_range("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        _check_range("max_in_flight", self.max_in_flight, 1)
        _check_range("max_attempts", self.max_attempts, 1)
        _check_range("error_rate_threshold", self.error_rate_threshold, 0, 1)
        _check_range("blocking_timeout_seconds", self.blocking_timeout_seconds, 1)
        return self

    @classmethod
    def get_spec(cls) -> dg.ComponentTypeSpec:
        return dg.ComponentTypeSpec(
            description="Enrich raw bank transactions with the Ntropy API (merchants, categories, "
            "recurring payments, income) into warehouse tables.",
            tags=["ntropy", "enrichment", "transactions"],
            produces=["asset", "asset_check", "sensor", "resource"],
        )

    def build_pipeline(self) -> NtropyPipeline:
        """The assets, checks and (sensor mode) the batch sensor, without resources."""
        pipeline = build_ntropy_assets(
            dg.AssetKey.from_user_string(self.raw_asset),
            partitions_def=self.partitioning.to_partitions_def(),
            column_mapping=self.column_mapping.to_column_mapping() if self.column_mapping else None,
            translator=_TranslatedNtropyTranslator(self.translation, self.warehouse.dialect),
            blocking=self.mode == "blocking",
            blocking_timeout=self.blocking_timeout_seconds,
            submit_options=SubmitOptions(
                batch_size=self.batch_size, max_attempts=self.max_attempts, max_in_flight=self.max_in_flight
            ),
            error_rate_threshold=self.error_rate_threshold,
            include_marts=self.include_marts,
            marts_as_of=self.marts_as_of,
            ntropy_resource_key=self.ntropy_resource_key,
            warehouse_resource_key=self.warehouse_resource_key,
            sensor_name=self.automation.sensor_name,
            sensor_minimum_interval_seconds=self.automation.minimum_interval_seconds,
            sensor_default_status=dg.DefaultSensorStatus(self.automation.sensor_default_status.upper()),
        )
        return pipeline

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """Assets, checks, the batch sensor (sensor mode) and both resources. No I/O happens here."""
        pipeline = self.build_pipeline()
        return dg.Definitions(
            assets=pipeline.assets,
            asset_checks=pipeline.asset_checks,
            sensors=pipeline.sensors,
            resources={
                self.ntropy_resource_key: self.ntropy.to_resource(),
                self.warehouse_resource_key: self.warehouse.to_resource(),
            },
        )


__all__ = [
    "AutomationSettings",
    "ColumnMappingSettings",
    "NtropyApiSettings",
    "NtropyEnrichmentComponent",
    "NtropyEnrichmentScaffolder",
    "NtropyScaffoldParams",
    "PartitioningSettings",
    "WarehouseSettings",
    "render_defs_yaml",
]
