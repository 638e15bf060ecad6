"""The production shape under the real daemon: PostgreSQL everywhere, step processes, a pool limit of 1.

The same flow as ``test_dagster_dev.py`` (one backfill launched through GraphQL, then the daemon alone),
but as ``example_project/dagster.yaml`` deploys it: the instance (runs, event logs, sensor cursors,
concurrency slots) in a fresh PostgreSQL database through dagster-postgres, the warehouse in a fresh
PostgreSQL schema, every step in a process of its own (Dagster's default multiprocess executor), and the
``ntropy_api`` pool limited to one step at a time. The backfill runs of the partitions start together and
their API-calling steps compete for the one slot; the event log proves that they never overlapped.
"""

import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from dagster._core.instance.ref import InstanceRef

from example_project.dagster_dev import REPO_ROOT, DagsterDev, Sandbox
from ntropy_dagster import NTROPY_POOL
from tests.e2e import test_dagster_dev as first

PG_URL = os.environ.get("NTROPY_DAGSTER_TEST_PG_URL")
POOL_LIMIT = 1

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="NTROPY_DAGSTER_TEST_PG_URL is not set (.ci/run starts a server)"),
]

PROJECT = f'''
"""The README's project on a PostgreSQL warehouse schema, with Dagster's default (multiprocess) executor."""
{first.RAW_PROJECT}

defs = build_ntropy_definitions(
    raw_transactions,
    warehouse=NtropyWarehouseResource(
        url=os.environ["E2E_WAREHOUSE_URL"], db_schema=os.environ["E2E_WAREHOUSE_SCHEMA"]
    ),
    options=PipelineOptions(sensor_interval_seconds=5),
)
'''

STARTS = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_RESTARTED}
ENDS = {
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.STEP_UP_FOR_RETRY,
}


@pytest.fixture
def warehouse_schema() -> Iterator[str]:
    """A schema name for the warehouse on the test server (the pipeline creates it), dropped afterwards."""
    assert PG_URL is not None
    schema = f"e2e_{uuid.uuid4().hex[:10]}"
    try:
        yield schema
    finally:
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def instance_yaml() -> str:
    """example_project/dagster.yaml with the ``ntropy_api`` pool limited to ``POOL_LIMIT`` steps."""
    config = yaml.safe_load((REPO_ROOT / "example_project" / "dagster.yaml").read_text())
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_POSTGRES_URL"}
    assert config["concurrency"]["pools"]["granularity"] == "op"
    config["concurrency"]["pools"]["default_limit"] = POOL_LIMIT
    text: str = yaml.safe_dump(config)
    return text


def pool_steps(defs: dg.Definitions) -> set[str]:
    """The names of the ops that declare the ``ntropy_api`` pool (a step's key is its op's name)."""
    names = set()
    for assets_def in defs.resolve_asset_graph().assets_defs:
        node = assets_def.node_def
        if isinstance(node, dg.OpDefinition) and node.pool == NTROPY_POOL:
            names.add(node.name)
    return names


def pool_intervals(instance: dg.DagsterInstance, steps: set[str]) -> list[tuple[int, int, str]]:
    """Every execution of a pool step in every run: (storage id of its start, of its end, run:step).

    Storage ids are one sequence over the whole event log, so they order the events of all runs."""
    intervals = []
    for run in instance.get_runs():
        opened: dict[str, int] = {}
        records = instance.get_records_for_run(run.run_id, of_type=STARTS | ENDS).records
        for record in records:
            event = record.event_log_entry.dagster_event
            assert event is not None
            if event.step_key not in steps:
                continue
            if event.event_type in STARTS:
                opened[event.step_key] = record.storage_id
            else:
                start = opened.pop(event.step_key)
                intervals.append((start, record.storage_id, f"{run.run_id[:8]}:{event.step_key}"))
        assert not opened, f"run {run.run_id[:8]}: steps that never ended: {opened}"
    return intervals


def most_at_once(intervals: list[tuple[int, int, str]]) -> tuple[int, list[str]]:
    """The largest number of intervals open at one time, and which ones they were."""
    points = sorted(
        [(start, 1, name) for start, _, name in intervals] + [(end, -1, name) for _, end, name in intervals]
    )
    open_now: set[str] = set()
    most: tuple[int, list[str]] = (0, [])
    for _, delta, name in points:
        if delta > 0:
            open_now.add(name)
        else:
            open_now.discard(name)
        if len(open_now) > most[0]:
            most = (len(open_now), sorted(open_now))
    return most


def run_windows_overlap(instance: dg.DagsterInstance, runs: list[Any]) -> bool:
    """Whether at least two of the runs were running at the same time (so their steps competed)."""
    windows = []
    for run in runs:
        record = instance.get_run_record_by_id(run.run_id)
        assert record is not None and record.start_time and record.end_time
        windows.append((record.start_time, record.end_time))
    windows.sort()
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(windows))


def test_postgres_instance_multiprocess_runs_and_the_pool_limit_hold_under_the_daemon(
    tmp_path: Path,
    postgres_database: str,
    warehouse_schema: str,
    sandbox_process: Sandbox,
    dagster_dev: Callable[..., DagsterDev],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = time.monotonic()
    assert PG_URL is not None
    env = {
        "NTROPY_API_KEY": sandbox_process.api_key,
        "NTROPY_BASE_URL": sandbox_process.base_url,
        "E2E_WAREHOUSE_URL": PG_URL,
        "E2E_WAREHOUSE_SCHEMA": warehouse_schema,
        "DAGSTER_POSTGRES_URL": postgres_database,
    }
    project_file, project = first.write_project(tmp_path, PROJECT, env, monkeypatch)
    graph = project.defs.resolve_asset_graph()
    partitions = set(project.partitions.get_partition_keys())
    assert len(partitions) >= 3
    steps = pool_steps(project.defs)
    assert {"ntropy_account_holders", "ntropy_batches", "ntropy_enriched_transactions"} <= steps, steps

    dev = dagster_dev(project_file, env, instance_yaml=instance_yaml())
    dev.launch_backfill(sorted(partitions), first.SUBMIT)
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(dev.home))) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        first.wait_until_done(instance, dev, graph, partitions)
        runs = first.assert_the_daemon_did_the_rest(instance, graph)

        # Every step ran in a process of its own: the multiprocess executor, not the in-process one.
        for run in runs:
            engine_events = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
            assert any("Executing steps using multiprocess executor" in e.message for e in engine_events), (
                run.run_id
            )

        # The pool: its limit came from dagster.yaml, and no two API-calling steps ever ran at once.
        assert instance.event_log_storage.get_concurrency_info(NTROPY_POOL).slot_count == POOL_LIMIT
        intervals = pool_intervals(instance, steps)
        executed = {name.split(":", 1)[1] for _, _, name in intervals}
        assert executed == steps, executed
        assert len(intervals) >= 2 * len(partitions) + 2  # holders and batches per partition, enrich, marts
        at_once, which = most_at_once(intervals)
        assert at_once <= POOL_LIMIT, f"{at_once} pool steps at once: {which}"
        backfill_runs = [run for run in runs if run.tags.get("dagster/backfill")]
        assert len(backfill_runs) == len(partitions)
        assert run_windows_overlap(instance, backfill_runs)  # so the steps really competed for the slot

    first.assert_warehouse(project, partitions, PG_URL, prefix=f'"{warehouse_schema}".')
    print(f"dagster dev on PostgreSQL end to end: {time.monotonic() - started:.0f}s")
