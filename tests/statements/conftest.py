"""Helpers for the bank-statement tests: statement files, Dagster runs and sensor ticks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pandas as pd

from ntropy_dagster import build_ntropy_assets
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.dagster.statements import (
    PARTITIONS_NAME,
    BankStatementPipeline,
    build_bank_statement_assets,
)
from ntropy_dagster.sandbox.statements import StatementSpec, StatementTransactionSpec, random_statement_spec
from tests.dagster.conftest import ntropy_resource, warehouse_resource

SALARY = Decimal("2450.00")
DISCOVERY = "ntropy_bank_statement_discovery_sensor"
STATUS = "ntropy_bank_statement_sensor"


def salary_spec(seed: int = 11) -> StatementSpec:
    """Three months of a consumer's statement paid ``ACME CORP PAYROLL`` on the 1st and the 15th."""
    spec = random_statement_spec(
        seed,
        bank="Wells Fargo",
        months=3,
        account_holder_type="consumer",
        period_start=dt.date(2025, 1, 1),
    )
    lines = [t for t in spec.transactions if "PAYROLL" not in t.description]
    for month in (1, 2, 3):
        for day in (1, 15):
            lines.append(
                StatementTransactionSpec(
                    dt.date(2025, month, day),
                    f"ACME CORP PAYROLL PPD ID: 9{month}{day:02d}",
                    SALARY,
                    "incoming",
                )
            )
    return dataclasses.replace(spec, transactions=lines, additional_accounts=())


@dataclasses.dataclass
class Scenario:
    """A Dagster project with the raw pipeline, the statement pipeline and their resources."""

    defs: dg.Definitions
    statements: BankStatementPipeline
    marts: Any
    warehouse: Any
    instance: dg.DagsterInstance
    server: Any


def make_scenario(folder: Path, server: Any, warehouse_url: str, instance: dg.DagsterInstance) -> Scenario:
    """Raw (trivial, empty) transactions + marts, and the statement path feeding the same marts."""

    @dg.asset(name="raw_transactions")
    def raw_transactions() -> pd.DataFrame:
        return pd.DataFrame(columns=["id", "description", "date", "amount", "entry_type", "currency"])

    statements = build_bank_statement_assets(folder, options=PipelineOptions(poll_interval=0.2))
    marts = build_ntropy_assets(raw_transactions, extra_mart_deps=[statements.keys.enriched])
    wh = warehouse_resource(warehouse_url)
    defs = dg.Definitions(
        assets=[raw_transactions, *marts.assets, *statements.assets],
        asset_checks=[*marts.asset_checks, *statements.asset_checks],
        sensors=[*marts.sensors, *statements.sensors],
        resources={"ntropy": ntropy_resource(server), "ntropy_warehouse": wh},
    )
    return Scenario(defs, statements, marts, wh, instance, server)


def run(
    scenario: Scenario,
    keys: Sequence[dg.AssetKey],
    partition: str | None = None,
    checks: Sequence[dg.AssetCheckKey] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize ``keys`` (one partition; only ``checks`` if given) in process, as a run the daemon
    launched would."""
    job = scenario.defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(keys), asset_check_selection=None if checks is None else set(checks)
    )
    return job.execute_in_process(instance=scenario.instance, partition_key=partition, raise_on_error=False)


def evaluate_sensor(
    defs: dg.Definitions, instance: dg.DagsterInstance, sensor_name: str, cursor: str | None = None
) -> Any:
    """One sensor evaluation; dynamic partitions it asks for are added, as the daemon would."""
    sensor = defs.resolve_sensor_def(sensor_name)
    with dg.build_sensor_context(
        instance=instance,
        # With a ref the context can load dynamic partitions, as the daemon's does.
        instance_ref=instance.get_ref(),
        cursor=cursor,
        definitions=defs,
        resources=defs.resources,
    ) as context:
        result = sensor.evaluate_tick(context)
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def tick(scenario: Scenario, sensor_name: str, cursor: str | None = None) -> Any:
    """One evaluation of a sensor of the scenario."""
    return evaluate_sensor(scenario.defs, scenario.instance, sensor_name, cursor)


@dataclasses.dataclass
class Processed:
    """What one pass over the folder did: the two sensor ticks and the runs they requested."""

    discovery: Any
    submit_runs: dict[str, dg.ExecuteInProcessResult]
    status: Any
    runs: dict[str, dg.ExecuteInProcessResult]


def process_folder(scenario: Scenario, before_status: Callable[[], None] | None = None) -> Processed:
    """Discovery tick -> upload runs -> (``before_status``) -> status tick -> results + enrichment runs."""
    discovery = tick(scenario, DISCOVERY)
    submitted = scenario.statements.keys.submitted
    submit_runs = {
        r.partition_key: run(scenario, [submitted], r.partition_key) for r in discovery.run_requests
    }
    if before_status is not None:
        before_status()
    status = tick(scenario, STATUS)
    runs = {
        r.partition_key: run(scenario, r.asset_selection, r.partition_key, r.asset_check_keys)
        for r in status.run_requests
    }
    return Processed(discovery, submit_runs, status, runs)


def partitions(scenario: Scenario) -> list[str]:
    """The statement partitions the instance knows."""
    return list(scenario.instance.get_dynamic_partitions(PARTITIONS_NAME))


def remote_statements(server: Any) -> list[dict[str, Any]]:
    """Every bank-statement job the sandbox holds for the key (``GET /v3/bank_statements``)."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": server.api_key}) as http:
        while True:
            page = http.get("/v3/bank_statements", params=params).raise_for_status().json()
            out.extend(page["data"])
            if not page.get("next_cursor"):
                return out
            params["cursor"] = page["next_cursor"]


def fail_remote_statement(server: Any, job_id: str, code: str, message: str) -> None:
    """Force a job into ``error`` through the sandbox admin endpoint."""
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": server.api_key}) as http:
        http.post(
            f"/_sandbox/bank_statements/{job_id}/fail", json={"code": code, "message": message}
        ).raise_for_status()


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The message of the run's failed step."""
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failures, "the run did not fail"
    return "\n".join(str(e.step_failure_data.error.message) for e in failures if e.step_failure_data.error)
