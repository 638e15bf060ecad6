"""Write the body of the enrichment asset yourself: ``@ntropy_enrichment_asset`` + ``NtropyResource.enrich``.

The decorator declares what the factory's enriched-transactions asset declares (the translator's spec, its
checks, the API pool, the partitions); the body loads the frame however it likes and hands it to
:meth:`~ntropy_dagster.dagster.resources.NtropyResource.enrich`, which runs the blocking path of the
factory's steps for the partition::

    @ntropy_enrichment_asset(partitions_def=daily, deps=["raw_transactions"])
    def enriched(context: dg.AssetExecutionContext, ntropy: NtropyResource,
                 ntropy_warehouse: NtropyWarehouseResource):
        frame = my_loader(context.partition_key)
        yield from ntropy.enrich(context, frame, warehouse=ntropy_warehouse)
"""

from __future__ import annotations  # the decorator is applied to the user's function, not defined here

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dagster as dg

from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.dagster.assets.checks import enriched_check_specs
from ntropy_dagster.dagster.assets.common import (
    NTROPY_POOL,
    CoercibleToAssetKey,
    op_name,
    raw_key_of,
    step_retry_policy,
)
from ntropy_dagster.dagster.translator import DagsterNtropyTranslator, NtropyAssetProps

#: The op tag holding the options given to the decorator (the fields that differ from the defaults, as
#: JSON), so that ``NtropyResource.enrich`` runs with the options the checks were declared with.
OPTIONS_TAG = "ntropy/options"


def options_tags(options: PipelineOptions | None) -> dict[str, str]:
    """The op tags recording ``options`` (none when the defaults apply)."""
    if options is None:
        return {}
    changed = {
        f.name: getattr(options, f.name)
        for f in dataclasses.fields(options)
        if getattr(options, f.name) != f.default
    }
    return {OPTIONS_TAG: json.dumps(changed, sort_keys=True)}


def declared_options(context: dg.AssetExecutionContext) -> PipelineOptions | None:
    """The options the running asset was declared with by :func:`ntropy_enrichment_asset`, if any."""
    recorded = context.op_def.tags.get(OPTIONS_TAG)
    return PipelineOptions(**json.loads(recorded)) if recorded else None


def ntropy_enrichment_asset(
    *,
    partitions_def: dg.PartitionsDefinition | None = None,
    deps: Sequence[CoercibleToAssetKey] = (),
    translator: DagsterNtropyTranslator | None = None,
    options: PipelineOptions | None = None,
    name: str | None = None,
    dialect: str | None = None,
    owners: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """Declare an enriched-transactions asset whose body you write; call ``ntropy.enrich(...)`` in it.

    Args:
        partitions_def: the asset's partitions; ``enrich`` works on the context's partition.
        deps: the assets the body reads (the spec's upstream dependencies).
        translator: decides the spec (default key ``ntropy_enriched_transactions``); used as it is.
        options: the pipeline's settings: the error-rate check is declared with its threshold, the
            step's retry policy with ``step_max_retries`` and ``step_retry_delay_seconds`` (failures
            that may heal, such as a 503 that outlived the client's retries, re-run the step; a 4xx or
            a wholly rejected partition does not), and ``enrich`` uses them unless given other options.
        name: the op's name (default: from the asset key).
        dialect, owners, tags: handed to the translator (the dialect is shown as a kind).

    The decorated function takes the context and its resources (e.g. ``ntropy: NtropyResource`` and
    ``ntropy_warehouse: NtropyWarehouseResource``) and yields what ``enrich`` yields.
    """
    spec = (translator or DagsterNtropyTranslator()).get_asset_spec(
        NtropyAssetProps(
            "enriched_transactions",
            table_name="enriched_transactions",
            dialect=dialect,
            deps=tuple(raw_key_of(dep) for dep in deps),
            owners=tuple(owners or ()),
            tags=dict(tags or {}),
        )
    )
    declared = options or PipelineOptions()
    return dg.multi_asset(
        name=name or op_name(spec.key),
        specs=[spec],
        check_specs=enriched_check_specs(spec.key, declared.error_rate_threshold, partitions_def),
        partitions_def=partitions_def,
        pool=NTROPY_POOL,
        op_tags=options_tags(options),
        retry_policy=step_retry_policy(declared),
    )
