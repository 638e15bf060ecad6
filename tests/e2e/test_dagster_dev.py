"""Default settings under the real daemon: ``dagster dev`` on an empty DAGSTER_HOME, one backfill, no toggle.

The project is the README's: a partitioned raw asset and ``build_ntropy_definitions`` with its defaults
(sensor mode, every sensor running as it loads; the sensors tick every 5 s instead of 30 s to keep the
test short). The test launches one backfill of the raw partitions through GraphQL, as the UI's
"Materialize" button does, and then only watches: the backfill daemon submits the partitions, the batch
sensor requests the enrichment runs, the marts automation sensor refreshes the marts. It ends when every
asset is materialized, every check evaluated and nothing runs any more, and reads the tables.
"""

import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.dagster_run import (
    IN_PROGRESS_RUN_STATUSES,
    DagsterRun,
    DagsterRunStatus,
    RunsFilter,
)
from dagster._core.storage.event_log.base import AssetRecordsFilter

from example_project.dagster_dev import DagsterDev, Sandbox

RAW_PROJECT = """
import os

import dagster as dg
import pandas as pd

from ntropy_dagster import NtropyWarehouseResource, PipelineOptions, build_ntropy_definitions
from ntropy_dagster.sandbox.synthetic import synthetic_transactions

partitions = dg.MonthlyPartitionsDefinition(start_date="2025-01-01", end_date="2025-04-01")


@dg.asset(partitions_def=partitions)
def raw_transactions(context: dg.AssetExecutionContext) -> pd.DataFrame:
    window = context.partition_time_window
    days = pd.date_range(window.start.date(), window.end.date(), inclusive="left")
    return pd.concat(
        [synthetic_transactions(day.date(), n=8, account_holders=4) for day in days], ignore_index=True
    )
"""
"""The imports, the monthly partitions and the raw asset of the e2e projects (their ``defs`` follow)."""
PROJECT = f'''
"""A project as the README writes it: a monthly raw asset and the pipeline's one-call definitions."""
{RAW_PROJECT}

defs = dg.Definitions.merge(
    build_ntropy_definitions(
        raw_transactions,
        warehouse=NtropyWarehouseResource(url=os.environ["E2E_WAREHOUSE_URL"]),
        options=PipelineOptions(sensor_interval_seconds=5),
    ),
    dg.Definitions(executor=dg.in_process_executor),  # one process per run: quicker on 2 cores
)
'''
SUBMIT = ["raw_transactions", "ntropy_account_holders", "ntropy_batches"]
"""What the one backfill materializes; the sensors and the marts' automation do the rest."""
DEADLINE_SECONDS = 360


def write_project(
    tmp_path: Path, text: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Any]:
    """The project written to ``e2e_project.py`` and imported in the test process too (for its keys and
    checks), under ``env`` as dagster dev will load it: (its file, its module)."""
    path = tmp_path / "e2e_project.py"
    path.write_text(text)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return path, load_project(path)


def load_project(path: Path) -> Any:
    """The project module, imported in the test process too (for its keys and checks)."""
    spec = importlib.util.spec_from_file_location("e2e_project", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop("e2e_project", None)
    spec.loader.exec_module(module)
    return module


def latest_storage_id(instance: dg.DagsterInstance, key: dg.AssetKey) -> int | None:
    records = instance.fetch_materializations(AssetRecordsFilter(asset_key=key), limit=1).records
    return records[0].storage_id if records else None


def pending(instance: dg.DagsterInstance, graph: Any, partitions: set[str]) -> list[str]:
    """What is not done yet: unmaterialized partitions, stale marts, unevaluated checks, live runs."""
    todo = []
    for key in graph.materializable_asset_keys:
        if graph.get(key).partitions_def is not None:
            missing = partitions - set(instance.get_materialized_partitions(key))
            if missing:
                todo.append(f"{key.to_user_string()}: {sorted(missing)}")
        elif latest_storage_id(instance, key) is None:
            todo.append(f"{key.to_user_string()}: never materialized")
    enriched = latest_storage_id(instance, dg.AssetKey("ntropy_enriched_transactions")) or 0
    for mart in ("ntropy_recurring_groups", "ntropy_income"):
        if (latest_storage_id(instance, dg.AssetKey(mart)) or 0) < enriched:
            todo.append(f"{mart}: older than the last enriched partition")
    for check in graph.asset_check_keys:
        records = instance.event_log_storage.get_asset_check_execution_history(check, limit=100)
        done = {r.partition for r in records if r.status != AssetCheckExecutionRecordStatus.PLANNED}
        expected = partitions if graph.get(check).partitions_def is not None else {None}
        if not expected <= done or any(r.status == AssetCheckExecutionRecordStatus.PLANNED for r in records):
            todo.append(f"check {check.to_user_string()}: evaluated for {sorted(map(str, done))}")
    live = instance.get_runs(filters=RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES))
    todo += [f"run {run.run_id[:8]} {run.status.value}" for run in live]
    return todo


def failed_runs(instance: dg.DagsterInstance) -> str:
    """The errors of every failed run, for the assertion message."""
    messages = []
    for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE])):
        errors = [
            str(e.dagster_event.step_failure_data.error.message)
            for e in instance.all_logs(run.run_id)
            if e.dagster_event and e.dagster_event.is_step_failure and e.dagster_event.step_failure_data.error
        ]
        messages.append(f"{run.run_id[:8]} {sorted(run.asset_selection or [])}: {errors}")
    return "\n".join(messages)


def wait_until_done(instance: dg.DagsterInstance, dev: DagsterDev, graph: Any, partitions: set[str]) -> None:
    """Until nothing is :func:`pending` (at most ``DEADLINE_SECONDS``); a failed run fails at once."""
    todo: list[str] = []
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        todo = pending(instance, graph, partitions)
        if not todo:
            break
        assert not failed_runs(instance), f"{failed_runs(instance)}\n{dev.log_tail()}"
        time.sleep(3)
    assert not todo, f"after {DEADLINE_SECONDS}s: {todo}\n{failed_runs(instance)}\n{dev.log_tail()}"


def assert_the_daemon_did_the_rest(instance: dg.DagsterInstance, graph: Any) -> list[DagsterRun]:
    """Every run succeeded and came from the test's one backfill, the batch sensor or the marts' automation
    sensor; every check's latest evaluation succeeded. Returns the runs."""
    runs = list(instance.get_runs())
    launched_by: dict[str, set[str]] = {}
    for run in runs:
        assert run.status == DagsterRunStatus.SUCCESS, run.run_id
        source = "backfill" if run.tags.get("dagster/backfill") else run.tags.get("dagster/sensor_name", "?")
        launched_by.setdefault(source, set()).update(k.to_user_string() for k in run.asset_selection or ())
    assert launched_by == {
        "backfill": set(SUBMIT),
        "ntropy_batch_sensor": {"ntropy_enriched_transactions"},
        "ntropy_marts_automation_sensor": {"ntropy_recurring_groups", "ntropy_income"},
    }
    for check in graph.asset_check_keys:
        [latest] = instance.event_log_storage.get_asset_check_execution_history(check, limit=1)
        assert latest.status == AssetCheckExecutionRecordStatus.SUCCEEDED, check
    return runs


def assert_warehouse(project: Any, partitions: set[str], url: str, prefix: str = "") -> None:
    """The warehouse's tables (``prefix``: a quoted schema and a dot) hold every raw row enriched, every
    batch completed, each holder's Netflix subscription as a monthly group, and salaries as income."""
    raw = pd.concat(
        [project.raw_transactions(dg.build_asset_context(partition_key=p)) for p in sorted(partitions)]
    )
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        enriched, groups, income, batches = (
            pd.read_sql(f"select * from {prefix}ntropy_{table}", conn)
            for table in ("enriched_transactions", "recurring_groups", "income_sources", "batches")
        )
    engine.dispose()
    assert len(enriched) == len(raw) and set(enriched["transaction_id"]) == set(raw["id"])
    assert set(batches["status"]) == {"completed"} and batches["enriched_at"].notna().all()
    netflix = groups[groups["counterparty_name"] == "Netflix"]
    assert set(netflix["account_holder_id"]) == set(raw["account_holder_id"])  # every holder subscribes
    assert set(netflix["periodicity"]) == {"monthly"}
    assert "salary" in set(income["source_type"])


@pytest.mark.slow
def test_one_backfill_and_the_daemon_alone_bring_every_asset_up_to_date(
    tmp_path: Path,
    sandbox_process: Sandbox,
    dagster_dev: Callable[..., DagsterDev],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = time.monotonic()
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    env = {
        "NTROPY_API_KEY": sandbox_process.api_key,
        "NTROPY_BASE_URL": sandbox_process.base_url,
        "E2E_WAREHOUSE_URL": warehouse_url,
    }
    project_file, project = write_project(tmp_path, PROJECT, env, monkeypatch)
    graph = project.defs.resolve_asset_graph()
    partitions = set(project.partitions.get_partition_keys())

    dev = dagster_dev(project_file, env)
    dev.launch_backfill(sorted(partitions), SUBMIT)
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(dev.home))) as instance:
        wait_until_done(instance, dev, graph, partitions)
        assert_the_daemon_did_the_rest(instance, graph)
    assert_warehouse(project, partitions, warehouse_url)
    print(f"dagster dev end to end: {time.monotonic() - started:.0f}s")
