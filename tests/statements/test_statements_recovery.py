"""Durable state: slow jobs keep the status sensor waiting, and an upload interrupted before its job id
was recorded is adopted instead of uploaded again."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import httpx

from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.statements.files import content_hash_of
from ntropy_dagster.core.statements.state import PROCESSING, UPLOADING, StatementState
from ntropy_dagster.dagster.statements import statement_partition_key
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from ntropy_dagster.sandbox.statements import make_statement_pdf
from tests.dagster.conftest import API_KEY, ntropy_resource
from tests.statements.conftest import (
    DISCOVERY,
    STATUS,
    failure_message,
    make_scenario,
    partitions,
    remote_statements,
    run,
    tick,
)


def test_slow_jobs_wait_and_interrupted_uploads_are_adopted(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    slow, crashed = make_statement_pdf(seed=31, bank="Chase"), make_statement_pdf(seed=32, bank="Monzo")
    (folder / "slow.pdf").write_bytes(slow)
    (folder / "crashed.pdf").write_bytes(crashed)
    slow_key = statement_partition_key("slow.pdf", content_hash_of(slow))
    crashed_key = statement_partition_key("crashed.pdf", content_hash_of(crashed))
    config = SandboxConfig(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"), statement_delay=600)
    with run_sandbox(config) as server, dg.instance_for_test() as instance:
        scenario = make_scenario(folder, server, f"sqlite:///{tmp_path / 'warehouse.db'}", instance)
        keys = scenario.statements.keys
        state = StatementState(scenario.warehouse.get_warehouse())
        assert {r.partition_key for r in tick(scenario, DISCOVERY).run_requests} == {slow_key, crashed_key}
        assert sorted(partitions(scenario)) == sorted([slow_key, crashed_key])

        # A run died right after its POST: the intent is recorded, the job exists, its id is not.
        client = ntropy_resource(server).get_client()
        state.write(crashed_key, status=UPLOADING, submitted_at=utcnow())
        orphan = client.bank_statements.upload(crashed, filename="crashed.pdf")
        assert run(scenario, [keys.submitted], crashed_key).success
        recorded = state.get(crashed_key)
        assert recorded is not None and recorded.job_id == orphan.id and recorded.status == PROCESSING

        assert run(scenario, [keys.submitted], slow_key).success
        assert len(remote_statements(server)) == 2

        waiting = tick(scenario, STATUS)
        assert not waiting.run_requests
        assert "2 bank statement job(s) still processing" in waiting.skip_message

        slow_row = state.get(slow_key)
        assert slow_row is not None and slow_row.job_id is not None
        early = run(scenario, [keys.enriched], slow_key)
        assert not early.success
        assert "has no stored results" in failure_message(early)
        with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": server.api_key}) as http:
            http.post(f"/_sandbox/bank_statements/{slow_row.job_id}/complete").raise_for_status()
        (request,) = tick(scenario, STATUS).run_requests
        assert request.run_key == f"{slow_key}:{slow_row.job_id}"
        assert run(scenario, request.asset_selection, slow_key, request.asset_check_keys).success
        assert scenario.warehouse.get_warehouse().count("enriched_transactions", source="bank_statement") > 0
        # Stored and handled: only the still-processing job remains, and nothing is requested twice.
        again = tick(scenario, STATUS)
        assert not again.run_requests and "1 bank statement job(s) still processing" in again.skip_message
