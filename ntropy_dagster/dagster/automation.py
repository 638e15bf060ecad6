"""How the marts refresh on their own: their automation condition and the sensor that evaluates it.

Why a condition of our own, and a sensor of our own
---------------------------------------------------
``AutomationCondition.eager()`` does not fit marts that aggregate a partitioned table:

- it waits while *any* upstream partition is missing (``any_deps_missing``); a daily pipeline whose
  start date lies before its first data, or a statement that failed, would block the marts forever;
- it never catches up: a condition evaluated for the first time after the data exists resets its own
  trigger (``since_last_handled`` counts the initial evaluation as "handled");
- it can lose an update: when an upstream partition lands in the same tick interval as the mart's
  own materialization, its "handled" reset (requested | updated, a union that carries no timestamps)
  wins the tie and the mart stays older than its upstream;
- it needs Dagster's default automation-condition sensor, which starts stopped.

So the marts carry :func:`mart_automation_condition`, and every pipeline with marts ships
:func:`build_marts_automation_sensor`, an ``AutomationConditionSensorDefinition`` that targets just the
marts and runs by default (the pipeline's ``sensor_default_status``). It is evaluated by the Dagster
daemon, as every automation condition is: no toggle, in sensor and blocking mode alike, from Python,
``build_ntropy_definitions`` or the YAML component. An asset it targets is left out of Dagster's
default automation sensor, so nothing is evaluated twice.
"""

from __future__ import annotations  # no Dagster-decorated function here

import functools
import operator
from collections.abc import Sequence

import dagster as dg

from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.dagster.pipeline import PipelineKeys

AC = dg.AutomationCondition


def mart_automation_condition(upstream_marts: Sequence[dg.AssetKey] = ()) -> dg.AutomationCondition:
    """The marts refresh after an upstream update, once nothing upstream is running or failed a blocking check.

    Requested when, since the mart was last requested,

    - an upstream partition was updated (any enriched partition, the bank-statement path's, ...); an
      update that lands while the mart's own run is queued or running is not lost: it is later than the
      request, so it requests the mart again (the trigger and the reset carry their timestamps);
    - ``upstream_marts`` (the income mart's recurring groups) were updated by a run that did not also
      refresh this mart, or will be requested on the same tick (then both go in one run);
    - the condition is evaluated for the first time (the sensor switched on after a backfill), or the
      mart went missing, while upstream already has data: it catches up at once;

    and, at the time of the request,

    - no upstream partition is in a run or a backfill that has not materialized it yet, nor the mart;
    - no upstream partition's latest blocking check failed (e.g. ``all_valid_rows_enriched``): the marts
      are not refreshed on incomplete data until that partition is materialized again.

    Partitions that were never materialized block nothing: the marts summarise whatever is there. A
    failed refresh is not retried on every tick: it waits for the next update. An upstream update made
    by a run that also refreshed the marts (a run of the whole pipeline, a backfill including them)
    still requests one more refresh, which costs little: recurring groups are only fetched again for
    account holders with newer enriched rows. (Excluding such updates would need a condition without
    timestamps, and bring back the lost-update tie above.)
    """
    requested = AC.newly_requested()
    updated = AC.any_deps_match(AC.newly_updated())
    due: list[dg.AutomationCondition] = [
        AC.any_deps_match(AC.will_be_requested()).with_label("any_deps_will_be_requested")
    ]
    if upstream_marts:
        marts = dg.AssetSelection.assets(*upstream_marts)
        updated = updated.ignore(marts)
        by_another_run = AC.any_deps_match(AC.newly_updated() & ~AC.executed_with_root_target()).allow(marts)
        due.append(by_another_run.since(requested).with_label("upstream_mart_updated_since_requested"))
    due.append(updated.since(requested).with_label("upstream_updated_since_requested"))
    has_data = AC.any_deps_match(~AC.missing()).with_label("any_deps_have_data")
    catch_up = ((AC.initial_evaluation() | AC.newly_missing()) & has_data).with_label("catch_up")
    due.append(catch_up.since(requested).with_label("catch_up_since_requested"))
    blocking_failed = AC.any_deps_match(
        AC.any_checks_match(AC.check_failed(), blocking_only=True)
    ).with_label("any_deps_blocking_check_failed")
    return (
        functools.reduce(operator.or_, due)
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
        & ~blocking_failed
    ).with_label("ntropy_marts")


def marts_sensor_name(groups_key: dg.AssetKey) -> str:
    """The automation sensor's name, unique per pipeline because it follows the mart's key:
    ``ntropy_marts_automation_sensor`` for the default keys, ``acme__ntropy_marts_automation_sensor``
    under a ``acme`` prefix."""
    base = "__".join(groups_key.path).replace("-", "_")  # the mart's op name
    stem = base.removesuffix("recurring_groups") if base.endswith("recurring_groups") else f"{base}_"
    return f"{stem}marts_automation_sensor"


def build_marts_automation_sensor(
    keys: PipelineKeys,
    *,
    options: PipelineOptions | None = None,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    name: str | None = None,
) -> dg.AutomationConditionSensorDefinition:
    """The sensor that evaluates the marts' automation conditions, every ``options.sensor_interval_seconds``.

    Raises ValueError for a pipeline built without marts.
    """
    if keys.recurring_groups is None or keys.income is None:
        raise ValueError("the marts automation sensor needs the marts (include_marts=True)")
    options = options or PipelineOptions()
    return dg.AutomationConditionSensorDefinition(
        name or marts_sensor_name(keys.recurring_groups),
        target=dg.AssetSelection.assets(keys.recurring_groups, keys.income),
        default_status=default_status,
        minimum_interval_seconds=options.sensor_interval_seconds,
        description="Refreshes the recurring-groups and income marts after the enriched transactions "
        "change, once no upstream run is in progress and no blocking check failed.",
    )
