"""The mart assets: recurring groups (from the API) and income sources (derived), with their checks.

Each mart's checks are declared on the mart's own step and evaluated there, right after the refresh:
whatever materializes a mart (the marts automation sensor, a backfill, the UI) evaluates its checks.
"""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.
from collections.abc import Iterator

import dagster as dg
from dagster import AssetExecutionContext

from ntropy_dagster.dagster.assets.checks import mart_freshness_check_spec, recurring_groups_check_specs
from ntropy_dagster.dagster.assets.common import NTROPY_POOL, op_name, step_retry_policy
from ntropy_dagster.dagster.assets.steps import (
    EnrichedEvent,
    StepSettings,
    materialize_income,
    materialize_recurring_groups,
)


def recurring_groups_asset(spec: dg.AssetSpec, settings: StepSettings) -> dg.AssetsDefinition:
    """The recurring-groups mart (calls the API, so it takes a slot of the pool)."""

    @dg.multi_asset(
        name=op_name(spec.key),
        specs=[spec],
        required_resource_keys=settings.resource_keys,
        pool=NTROPY_POOL,
        check_specs=recurring_groups_check_specs(spec.key, settings.keys.enriched),
        retry_policy=step_retry_policy(settings.options),
    )
    def _recurring_groups(context: AssetExecutionContext) -> Iterator[EnrichedEvent]:
        yield from materialize_recurring_groups(context, settings)

    return _recurring_groups


def income_asset(spec: dg.AssetSpec, settings: StepSettings) -> dg.AssetsDefinition:
    """The income mart (derived in the warehouse, no API call)."""

    @dg.multi_asset(
        name=op_name(spec.key),
        specs=[spec],
        required_resource_keys=settings.resource_keys,
        check_specs=[mart_freshness_check_spec(spec.key, settings.keys.enriched)],
    )
    def _income(context: AssetExecutionContext) -> Iterator[EnrichedEvent]:
        yield from materialize_income(context, settings)

    return _income


def build_mart_assets(
    groups_spec: dg.AssetSpec, income_spec: dg.AssetSpec, settings: StepSettings
) -> list[dg.AssetsDefinition]:
    """Both marts, each with its in-step checks."""
    return [recurring_groups_asset(groups_spec, settings), income_asset(income_spec, settings)]
