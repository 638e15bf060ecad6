"""The marts refresh by the daemon alone: the pipeline's own automation sensor and the marts' condition.

Evaluated in process with Dagster's own helper (``dg.evaluate_automation_conditions``), on the sensor's
target, against real runs on a real instance: (a) partitions never materialized block nothing, (b) any
enriched partition's update requests the marts, (c) a first evaluation after the data exists catches up,
(d) the marts wait for upstream runs in progress and for failed blocking checks to be fixed.
"""

import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pandas as pd
import pytest
from dagster.components.testing import create_defs_folder_sandbox

from ntropy_dagster import (
    DagsterNtropyTranslator,
    NtropyAssetProps,
    NtropyResource,
    build_ntropy_assets,
    build_ntropy_definitions,
)
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.dagster.automation import build_marts_automation_sensor, marts_sensor_name
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from ntropy_dagster.sandbox.synthetic import synthetic_transactions
from tests.dagster.conftest import API_KEY, make_defs, query, run_selection, tick

#: A week of daily partitions; the tests materialize a few of them, the others stay missing.
WEEK = dg.DailyPartitionsDefinition(start_date="2025-03-01", end_date="2025-03-08")
MARTS_SENSOR = "ntropy_marts_automation_sensor"


def frames(prefix: str, n: int = 8) -> Callable[[str], pd.DataFrame]:
    """The raw partition of a day: synthetic transactions with ids of the test's own."""

    def frame(partition_key: str) -> pd.DataFrame:
        out = synthetic_transactions(partition_key, n=n, account_holders=2)
        out["id"] = prefix + out["id"]
        out["account_holder_id"] = prefix + out["account_holder_id"]
        return out

    return frame


class Marts:
    """The marts' automation, evaluated tick after tick as the pipeline's sensor would."""

    def __init__(self, defs: dg.Definitions, pipeline: Any, instance: dg.DagsterInstance) -> None:
        self.defs, self.keys, self.instance = defs, pipeline.keys, instance
        self.sensor = defs.resolve_sensor_def(marts_sensor_name(pipeline.keys.recurring_groups))
        self.cursor: Any = None

    def evaluate(self) -> set[dg.AssetKey]:
        """One tick on the sensor's target; the marts it requests."""
        result = dg.evaluate_automation_conditions(
            defs=self.defs,
            instance=self.instance,
            asset_selection=self.sensor.asset_selection,
            cursor=self.cursor,
        )
        self.cursor = result.cursor
        return {
            key for key in (self.keys.recurring_groups, self.keys.income) if result.get_num_requested(key)
        }

    def run(self) -> dg.ExecuteInProcessResult:
        """Materialize both marts in one run, as the run the sensor requests (its asset selection
        recorded on the run)."""
        result = self.defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=self.instance, asset_selection=sorted(self.both)
        )
        assert result.success and result.dagster_run.asset_selection == self.both
        return result

    @property
    def both(self) -> set[dg.AssetKey]:
        return {self.keys.recurring_groups, self.keys.income}


@pytest.fixture
def blocking(sandbox: Any, tmp_path: Path, instance: dg.DagsterInstance) -> Iterator[tuple[Marts, Any]]:
    """A blocking-mode pipeline on WEEK and its marts' automation; yields it with a partition runner."""
    defs, pipeline, _ = make_defs(
        frames(f"auto-{uuid.uuid4().hex[:8]}-"),
        sandbox,
        f"sqlite:///{tmp_path / 'wh.db'}",
        raw_partitions_def=WEEK,
        blocking=True,
    )
    keys = pipeline.keys

    def enrich(day: str, **kwargs: Any) -> dg.ExecuteInProcessResult:
        return run_selection(
            defs, instance, [keys.raw, keys.account_holders, keys.enriched], partition_key=day, **kwargs
        )

    yield Marts(defs, pipeline, instance), enrich


class Prefixed(DagsterNtropyTranslator):
    """Puts every asset of the pipeline under ``acme/``."""

    def get_asset_spec(self, props: NtropyAssetProps) -> dg.AssetSpec:
        spec = super().get_asset_spec(props)
        return spec.replace_attributes(key=spec.key.with_prefix("acme"))


def test_the_pipeline_ships_a_running_sensor_for_its_marts_in_both_modes() -> None:
    @dg.asset(partitions_def=WEEK)
    def raw_transactions() -> pd.DataFrame:
        raise AssertionError("not executed at load time")

    for blocking_mode in (False, True):
        defs = build_ntropy_definitions(
            raw_transactions, ntropy=NtropyResource(api_key="k"), blocking=blocking_mode
        )
        sensor = defs.resolve_sensor_def(MARTS_SENSOR)
        assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
        assert sensor.minimum_interval_seconds == PipelineOptions().sensor_interval_seconds
        marts = {dg.AssetKey("ntropy_recurring_groups"), dg.AssetKey("ntropy_income")}
        assert sensor.asset_selection.resolve(defs.resolve_asset_graph()) == marts
        # The marts are covered by this sensor, so Dagster adds no default sensor (which starts stopped).
        names = {s.name for s in defs.get_repository_def().sensor_defs}
        assert "default_automation_condition_sensor" not in names

    # Without marts there is nothing to automate.
    assert not build_ntropy_assets(raw_transactions, include_marts=False, blocking=True).sensors
    with pytest.raises(ValueError, match="needs the marts"):
        build_marts_automation_sensor(build_ntropy_assets(raw_transactions, include_marts=False).keys)

    # The name follows the keys, so two pipelines live in one code location; interval and status follow
    # the pipeline's settings.
    other = build_ntropy_assets(
        raw_transactions,
        translator=Prefixed(),
        options=PipelineOptions(sensor_interval_seconds=7),
        sensor_name="acme_batch_sensor",
        sensor_default_status=dg.DefaultSensorStatus.STOPPED,
    )
    [sensor] = [s for s in other.sensors if isinstance(s, dg.AutomationConditionSensorDefinition)]
    assert sensor.name == "acme__ntropy_marts_automation_sensor"
    assert (sensor.minimum_interval_seconds, sensor.default_status) == (7, dg.DefaultSensorStatus.STOPPED)
    both = dg.Definitions.merge(
        build_ntropy_definitions(raw_transactions, ntropy=NtropyResource(api_key="k")),
        dg.Definitions(assets=other.assets, sensors=other.sensors),
    )
    dg.Definitions.validate_loadable(both)
    assert marts_sensor_name(dg.AssetKey("groups")) == "groups_marts_automation_sensor"


def test_missing_partitions_block_nothing_and_any_update_requests_the_marts(
    blocking: tuple[Marts, Any],
) -> None:
    """(a) and (b): six of seven days were never materialized; one day's update requests both marts."""
    marts, enrich = blocking
    assert marts.evaluate() == set()  # nothing upstream yet: nothing to summarise
    enrich("2025-03-03")
    assert marts.evaluate() == marts.both
    assert marts.evaluate() == set()  # requested once, not on every tick
    marts.run()
    assert marts.evaluate() == set()  # handled

    enrich("2025-03-05")  # another partition: the marts follow again
    assert marts.evaluate() == marts.both
    groups = marts.run().asset_materializations_for_node("ntropy_recurring_groups")[0]
    assert groups.metadata["dagster/row_count"].value >= 0

    # The same pipeline under Dagster's eager() waits for the five missing days forever.
    eager = dg.AutomationCondition.eager()
    assert _requested_with(marts, eager, "2025-03-06") == set()


def test_an_update_that_lands_while_the_marts_run_is_not_lost(blocking: tuple[Marts, Any]) -> None:
    """A partition enriched between the marts' request and the next tick (the marts' own run lands in the
    same interval) requests them again: the mart must not stay older than its upstream."""
    marts, enrich = blocking
    assert marts.evaluate() == set()
    enrich("2025-03-01")
    assert marts.evaluate() == marts.both  # requested ...
    marts.run()  # ... refreshed ...
    enrich("2025-03-02")  # ... and a partition lands before the next tick
    assert marts.evaluate() == marts.both
    marts.run()
    assert marts.evaluate() == set()  # the income mart does not run again for the groups of its own run


def test_a_refresh_that_did_not_happen_is_not_requested_on_every_tick(blocking: tuple[Marts, Any]) -> None:
    """A requested refresh whose run failed waits for the next update instead of retrying each tick."""
    marts, enrich = blocking
    assert marts.evaluate() == set()
    enrich("2025-03-01")
    assert marts.evaluate() == marts.both  # requested; its run fails (nothing is materialized)
    assert marts.evaluate() == set()
    assert marts.evaluate() == set()
    enrich("2025-03-02")
    assert marts.evaluate() == marts.both


def _requested_with(marts: Marts, condition: dg.AutomationCondition, day: str) -> set[dg.AssetKey]:
    """What ``condition`` on the marts requests after ``day`` is enriched (evaluated twice: a first
    evaluation to start from, then the one after the update)."""
    defs = dg.Definitions(
        assets=[
            a.map_asset_specs(lambda spec: spec.replace_attributes(automation_condition=condition))
            if set(a.keys) & marts.both
            else a
            for a in marts.defs.assets or []
            if isinstance(a, dg.AssetsDefinition)
        ],
        resources=marts.defs.resources,
    )
    selection = dg.AssetSelection.assets(*marts.both)
    first = dg.evaluate_automation_conditions(defs=defs, instance=marts.instance, asset_selection=selection)
    keys = marts.keys
    run_selection(defs, marts.instance, [keys.raw, keys.account_holders, keys.enriched], partition_key=day)
    after = dg.evaluate_automation_conditions(
        defs=defs, instance=marts.instance, asset_selection=selection, cursor=first.cursor
    )
    return {key for key in marts.both if after.get_num_requested(key)}


def test_a_first_evaluation_after_a_backfill_catches_up(blocking: tuple[Marts, Any]) -> None:
    """(c): the automation is switched on (first evaluation, no cursor) after the data exists."""
    marts, enrich = blocking
    for day in ("2025-03-01", "2025-03-02"):
        enrich(day)
    assert marts.evaluate() == marts.both
    marts.run()
    assert marts.evaluate() == set()


def test_the_marts_wait_for_an_upstream_run_in_progress(blocking: tuple[Marts, Any]) -> None:
    """(d): a run that will write an enriched partition is in progress: the marts wait for it."""
    marts, enrich = blocking
    assert marts.evaluate() == set()
    enrich("2025-03-01")  # an update: the marts are due ...
    release = threading.Event()
    started = threading.Event()
    keys = marts.keys
    slow_frames = frames(f"auto-slow-{uuid.uuid4().hex[:8]}-")

    @dg.asset(name="raw_transactions", partitions_def=WEEK)
    def slow_raw(context: dg.AssetExecutionContext) -> pd.DataFrame:
        started.set()
        assert release.wait(60), "the test never released the run"
        return slow_frames(context.partition_key)

    slow_defs = dg.Definitions(
        assets=[
            slow_raw,
            *(
                a
                for a in marts.defs.assets or []
                if isinstance(a, dg.AssetsDefinition) and keys.raw not in a.keys
            ),
        ],
        resources=marts.defs.resources,
    )
    outcome: dict[str, Any] = {}

    def run_slowly() -> None:
        outcome["result"] = run_selection(
            slow_defs,
            marts.instance,
            [keys.raw, keys.account_holders, keys.enriched],
            partition_key="2025-03-02",
        )

    worker = threading.Thread(target=run_slowly)
    worker.start()
    try:
        assert started.wait(60)
        assert marts.evaluate() == set()  # ... but 2025-03-02 is being enriched
        assert marts.evaluate() == set()
    finally:
        release.set()
        worker.join(120)
    assert outcome["result"].success
    assert marts.evaluate() == marts.both  # done: one refresh covers both partitions


def test_a_failed_blocking_check_holds_the_marts_until_its_partition_is_fixed(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    """(d): a partition whose batch failed for good fails its blocking check; the marts wait, even when
    other partitions update, until that partition is materialized again and passes."""
    contents = {"2025-03-01": frames("bchk-a-", n=3), "2025-03-02": frames("bchk-b-", n=3)}
    config = SandboxConfig(api_keys=(API_KEY,), rate=1.0, db_path=str(tmp_path / "sb.db"))
    with run_sandbox(config) as server:
        defs, pipeline, wh = make_defs(
            lambda day: contents[day](day),
            server,
            f"sqlite:///{tmp_path / 'wh.db'}",
            raw_partitions_def=WEEK,
            options=PipelineOptions(max_attempts=1),
        )
        keys, marts = pipeline.keys, Marts(defs, pipeline, instance)
        submit = [keys.raw, keys.account_holders, keys.batches]
        assert marts.evaluate() == set()

        run_selection(defs, instance, submit, partition_key="2025-03-01")
        [batch_id] = query(wh, "select batch_id from {t}batches")["batch_id"]
        _admin(server, f"/_sandbox/batches/{batch_id}/fail", {"code": "internal_error"})
        _enrich_ready(defs, instance, expect_success=False)  # resubmission refused, then the check fails
        assert marts.evaluate() == set()

        run_selection(defs, instance, submit, partition_key="2025-03-02")
        [day] = _enrich_ready(defs, instance)
        assert day == "2025-03-02"
        assert marts.evaluate() == set()  # a healthy partition does not clear another one's failure

        contents["2025-03-01"] = frames("bchk-c-", n=3)  # the source is fixed: new content, resubmitted
        run_selection(defs, instance, submit, partition_key="2025-03-01")
        assert _enrich_ready(defs, instance) == ["2025-03-01"]
        assert marts.evaluate() == marts.both


def _admin(server: Any, path: str, body: dict[str, Any]) -> None:
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": server.api_key}) as http:
        http.post(path, json=body).raise_for_status()


def _enrich_ready(
    defs: dg.Definitions, instance: dg.DagsterInstance, expect_success: bool = True
) -> list[str]:
    """Tick the batch sensor until it requests enrichment runs; run what it requests (batches runs too)."""
    cursor = None
    enriched: list[str] = []
    for _ in range(60):
        result = tick(defs, instance, cursor)
        cursor = result.cursor
        for request in result.run_requests:
            is_enrichment = request.run_key.startswith("ntropy-enrich:")
            run_selection(
                defs,
                instance,
                list(request.asset_selection),
                partition_key=request.partition_key,
                expect_success=expect_success or not is_enrichment,
            )
            if is_enrichment:
                enriched.append(request.partition_key)
        if enriched:
            return enriched
        time.sleep(0.5)
    raise AssertionError("the batch sensor never requested an enrichment run")


def test_the_yaml_component_refreshes_its_marts_by_the_same_sensor(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    monkeypatch.setenv("NTROPY_AUTOMATION_KEY", sandbox.api_key)
    attributes = f"""
        raw_asset: raw_transactions
        ntropy: {{api_key_env: NTROPY_AUTOMATION_KEY, base_url: "{sandbox.base_url}", max_attempts: 3}}
        warehouse: {{url: "sqlite:///{tmp_path / "wh.db"}"}}
        partitioning: {{type: daily, start_date: "2025-03-01", end_date: "2025-03-08"}}
        mode: blocking
    """
    with create_defs_folder_sandbox() as folder:
        path = folder.defs_folder_path / "ntropy"
        path.mkdir()
        body = textwrap.indent(textwrap.dedent(attributes).strip(), "  ")
        (path / "defs.yaml").write_text(
            f"type: ntropy_dagster.components.NtropyEnrichmentComponent\n\nattributes:\n{body}\n"
        )
        with folder.load_component_and_build_defs(defs_path=path) as (_, component_defs):
            pass
    raw_frames = frames(f"cmp-auto-{uuid.uuid4().hex[:8]}-")

    @dg.asset(name="raw_transactions", partitions_def=WEEK)  # the YAML's partitioning
    def raw(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return raw_frames(context.partition_key)

    defs = dg.Definitions.merge(component_defs, dg.Definitions(assets=[raw]))
    sensor = defs.resolve_sensor_def(MARTS_SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    keys = [
        dg.AssetKey(k) for k in ("raw_transactions", "ntropy_account_holders", "ntropy_enriched_transactions")
    ]
    run_selection(defs, instance, keys, partition_key="2025-03-04")
    result = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=sensor.asset_selection
    )
    assert result.get_num_requested(dg.AssetKey("ntropy_recurring_groups")) == 1
    assert result.get_num_requested(dg.AssetKey("ntropy_income")) == 1
