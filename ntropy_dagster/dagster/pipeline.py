"""What the transaction path's factory builds: the asset keys of one pipeline and its definitions.

Its own module so that the factory, the steps and the batch sensor all import it and none of them
imports another to get it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

#: Resource keys and sensor name the factory, the sensor and the definitions use unless told otherwise.
NTROPY_RESOURCE_KEY = "ntropy"
WAREHOUSE_RESOURCE_KEY = "ntropy_warehouse"
BATCH_SENSOR_NAME = "ntropy_batch_sensor"


@dataclass(frozen=True)
class PipelineKeys:
    """The asset keys of one pipeline (after the translator)."""

    raw: dg.AssetKey
    account_holders: dg.AssetKey
    batches: dg.AssetKey | None
    enriched: dg.AssetKey
    recurring_groups: dg.AssetKey | None
    income: dg.AssetKey | None


@dataclass(kw_only=True)
class PipelineDefinitions:
    """What a factory made, for ``dg.Definitions(assets=..., asset_checks=..., sensors=...)``.

    The transaction path's :class:`NtropyPipeline` adds its keys; another factory (the bank-statement
    path) can derive its own result the same way.
    """

    assets: list[dg.AssetsDefinition]
    asset_checks: list[dg.AssetChecksDefinition] = field(default_factory=list)
    sensors: list[dg.SensorDefinition] = field(default_factory=list)
    partitions_def: dg.PartitionsDefinition | None = None


@dataclass(kw_only=True)
class NtropyPipeline(PipelineDefinitions):
    """Everything :func:`~ntropy_dagster.dagster.assets.build_ntropy_assets` made, with its asset keys.

    ``sensors`` holds the batch sensor (sensor mode) and, with the marts, their automation sensor;
    ``asset_checks`` is empty: every check is declared on, and evaluated in, the step of its asset.
    """

    keys: PipelineKeys
