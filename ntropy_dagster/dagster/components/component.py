"""``NtropyEnrichmentComponent``: the whole enrichment pipeline declared in a ``defs.yaml``.

A Dagster Component (the ``dg`` way of declaring pipelines) that builds through
:func:`~ntropy_dagster.dagster.definitions.build_ntropy_definitions`, the function Python users call. Its
attributes resolve the real classes: ``ntropy`` is an :class:`NtropyResource`, ``warehouse`` an
:class:`NtropyWarehouseResource`, ``column_mapping`` a :class:`ColumnMapping` and ``options`` the
:class:`PipelineOptions`, each with the class's own fields, defaults and validation. Scaffold one with::

    dg scaffold defs ntropy_dagster.components.NtropyEnrichmentComponent ntropy_enrichment

Loading the component builds Definitions only: it makes no API call and opens no database
connection. The API key is always read from an environment variable when a run starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import dagster as dg
from dagster.components.utils.translation import TranslationFn, TranslationFnResolver  # not re-exported
from pydantic import BaseModel, Field, model_validator
from typing_extensions import TypeAliasType

from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.validation import ColumnMapping
from ntropy_dagster.dagster.assets import build_ntropy_assets
from ntropy_dagster.dagster.components.legacy import with_legacy_keys
from ntropy_dagster.dagster.components.resolution import EnvField, keyword_defaults, real_class_resolver
from ntropy_dagster.dagster.components.scaffolder import NtropyEnrichmentScaffolder
from ntropy_dagster.dagster.definitions import build_ntropy_definitions
from ntropy_dagster.dagster.resources import NtropyResource, NtropyWarehouseResource
from ntropy_dagster.dagster.translator import DagsterNtropyTranslator, NtropyAssetProps

#: The API key is read from this environment variable unless ``ntropy.api_key_env`` names another.
API_KEY_ENV = "NTROPY_API_KEY"
_FACTORY_DEFAULTS = keyword_defaults(build_ntropy_assets)


def _doc(description: str) -> dg.Resolver:
    """The default resolution, with the description Dagster shows for the attribute (a pydantic
    ``Field(description=)`` is dropped from the YAML schema of a field that has a default)."""
    return dg.Resolver.default(description=description)


# Dagster checks every field of a pydantic model named in an annotation and rejects constrained ones
# (gt=, pattern=), which the real classes have; behind a type alias it leaves the class to pydantic and
# takes the YAML model from the Resolver.
_NtropyResource = TypeAliasType("_NtropyResource", NtropyResource)
_NtropyWarehouseResource = TypeAliasType("_NtropyWarehouseResource", NtropyWarehouseResource)
_ColumnMapping = TypeAliasType("_ColumnMapping", ColumnMapping)
_PipelineOptions = TypeAliasType("_PipelineOptions", PipelineOptions)

ResolvedNtropyResource = Annotated[
    _NtropyResource,
    real_class_resolver(
        NtropyResource,
        env_fields=(EnvField("api_key", default_env=API_KEY_ENV, literal_allowed=False),),
    ),
]
ResolvedWarehouse = Annotated[
    _NtropyWarehouseResource,
    real_class_resolver(
        NtropyWarehouseResource,
        env_fields=(EnvField("url"),),
        description="The NtropyWarehouseResource's fields. url may be a template such as "
        "'{{ env.NTROPY_WAREHOUSE_URL }}' (rendered at load time); with a password, give url_env "
        "instead (read when a run starts, never shown in the Dagster UI).",
    ),
]
ResolvedColumnMapping = Annotated[
    _ColumnMapping,
    real_class_resolver(ColumnMapping),
]
ResolvedOptions = Annotated[
    _PipelineOptions,
    real_class_resolver(
        PipelineOptions,
        description="The PipelineOptions' fields: batch_size, max_attempts, max_in_flight, "
        "error_rate_threshold, marts_as_of, blocking_timeout, sensor_interval_seconds, ... "
        "(omitted: their defaults).",
    ),
]


def _resolve_date(context: dg.ResolutionContext, value: Any) -> dt.date | None:
    """YAML gives a date for ``2024-01-01`` and a string for ``"2024-01-01"`` or a template."""
    value = context.resolve_value(value)
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


ResolvedDate = Annotated[dt.date, dg.Resolver(_resolve_date, model_field_type=dt.date)]


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


def _resolve_sensor_status(context: dg.ResolutionContext, value: Any) -> dg.DefaultSensorStatus:
    status = context.resolve_value(value)
    if isinstance(status, dg.DefaultSensorStatus):
        return status
    if str(status).lower() not in ("running", "stopped"):
        raise ValueError(f"sensor_default_status must be 'running' or 'stopped', got {status!r}")
    return dg.DefaultSensorStatus(str(status).upper())


ResolvedSensorStatus = Annotated[
    dg.DefaultSensorStatus,
    dg.Resolver(
        _resolve_sensor_status,
        model_field_type=Literal["running", "stopped"],
        description="running or stopped: whether the pipeline's sensors (batch sensor, marts automation) run "
        "when the code location loads.",
    ),
]


class _TranslationFnTranslator(DagsterNtropyTranslator):
    """The default translator's spec with the YAML ``translation:`` applied on top."""

    def __init__(self, translation: TranslationFn[NtropyAssetProps]) -> None:
        self._translation = translation

    def get_asset_spec(self, props: NtropyAssetProps) -> dg.AssetSpec:
        return self._translation(super().get_asset_spec(props), props)


def _translation_scope(props: NtropyAssetProps) -> Mapping[str, Any]:
    return {"props": props}


ResolvedTranslation = Annotated[
    TranslationFn[NtropyAssetProps], TranslationFnResolver[NtropyAssetProps](_translation_scope)
]


@dg.scaffold_with(NtropyEnrichmentScaffolder)
class NtropyEnrichmentComponent(dg.Component, dg.Model, dg.Resolvable):
    """Ntropy transaction enrichment: raw transactions -> account holders -> batches -> enriched -> marts.

    Declares what :func:`~ntropy_dagster.dagster.definitions.build_ntropy_definitions` builds (assets,
    checks, the batch sensor and both resources) downstream of an existing raw-transactions asset.
    The API key comes from an environment variable (``ntropy.api_key_env``).
    """

    raw_asset: Annotated[
        str, _doc("Asset key of the raw transactions (a pandas DataFrame); '/' separates key parts.")
    ]
    column_mapping: Annotated[
        ResolvedColumnMapping | None,
        _doc(
            "The ColumnMapping: your column name -> v3 column name (columns: {txn_id: id, memo: "
            "description}), entry_type_from_sign, default_account_holder_type."
        ),
    ] = None
    ntropy: Annotated[
        ResolvedNtropyResource | None,
        _doc(
            "The NtropyResource's fields. The key is never written here: api_key_env names the environment "
            f"variable read when a run starts (default {API_KEY_ENV}). Omitted: the Python default "
            f"({API_KEY_ENV}, and NTROPY_BASE_URL when set)."
        ),
    ] = None
    warehouse: ResolvedWarehouse = Field(default_factory=NtropyWarehouseResource)
    partitioning: Annotated[
        PartitioningSettings,
        _doc("Partitions of the enrichment assets (the raw asset's). Default: unpartitioned."),
    ] = Field(default_factory=lambda: PartitioningSettings(type="none"))
    mode: Annotated[
        Literal["sensor", "blocking"],
        _doc("sensor: submit, then a sensor requests the enrichment run; blocking: submit and wait."),
    ] = "sensor"
    options: ResolvedOptions = Field(default_factory=PipelineOptions)
    include_marts: Annotated[bool, _doc("Add the recurring_groups and income marts.")] = _FACTORY_DEFAULTS[
        "include_marts"
    ]
    dialect: Annotated[
        str | None,
        _doc(
            "Warehouse dialect shown as a kind (sqlite, duckdb, postgresql). Default: parsed from a literal "
            "warehouse.url (never connecting); give it when the URL comes from url_env."
        ),
    ] = None
    sensor_name: Annotated[str, _doc("Batch sensor name (unique per code location).")] = _FACTORY_DEFAULTS[
        "sensor_name"
    ]
    sensor_default_status: ResolvedSensorStatus = _FACTORY_DEFAULTS["sensor_default_status"]
    ntropy_resource_key: Annotated[str, _doc("Resource key of the Ntropy API.")] = _FACTORY_DEFAULTS[
        "ntropy_resource_key"
    ]
    warehouse_resource_key: Annotated[str, _doc("Resource key of the warehouse.")] = _FACTORY_DEFAULTS[
        "warehouse_resource_key"
    ]
    translation: Annotated[
        ResolvedTranslation | None,
        _doc(
            "Asset attributes applied on top of each default spec (key_prefix, group_name, owners, tags, "
            "kinds, ...); templates see {{ props.name }}, {{ props.table_name }} and {{ spec }}."
        ),
    ] = None

    @classmethod
    def model(cls) -> type[BaseModel]:
        """The YAML model Dagster derives, also accepting the keys of earlier versions (moved to
        their new place with a FutureWarning)."""
        return with_legacy_keys(super().model())

    @classmethod
    def get_spec(cls) -> dg.ComponentTypeSpec:
        return dg.ComponentTypeSpec(
            description="Enrich raw bank transactions with the Ntropy API (merchants, categories, "
            "recurring payments, income) into warehouse tables.",
            tags=["ntropy", "enrichment", "transactions"],
            produces=["asset", "asset_check", "sensor", "resource"],
        )

    @property
    def translator(self) -> DagsterNtropyTranslator | None:
        """The translator with the YAML ``translation:`` on top, or None for the default one."""
        return _TranslationFnTranslator(self.translation) if self.translation else None

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """Assets, checks, the batch sensor (sensor mode) and both resources. No I/O happens here."""
        return build_ntropy_definitions(
            dg.AssetKey.from_user_string(self.raw_asset),
            ntropy=self.ntropy,
            warehouse=self.warehouse,
            partitions_def=self.partitioning.to_partitions_def(),
            column_mapping=self.column_mapping,
            translator=self.translator,
            options=self.options,
            blocking=self.mode == "blocking",
            include_marts=self.include_marts,
            dialect=self.dialect,
            ntropy_resource_key=self.ntropy_resource_key,
            warehouse_resource_key=self.warehouse_resource_key,
            sensor_name=self.sensor_name,
            sensor_default_status=self.sensor_default_status,
        )


__all__ = ["API_KEY_ENV", "NtropyEnrichmentComponent", "PartitioningSettings"]
