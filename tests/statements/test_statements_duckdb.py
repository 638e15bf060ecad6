"""The statement path on a DuckDB warehouse: one statement from the folder to the enriched table, twice."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from ntropy_dagster.sandbox.statements import make_statement_pdf, random_statement_spec
from tests.dagster.conftest import API_KEY, query
from tests.statements.conftest import make_scenario, process_folder, remote_statements


def test_one_statement_end_to_end_on_duckdb(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    spec = random_statement_spec(21, bank="N26", n_accounts=2, months=2)
    (folder / "n26.pdf").write_bytes(make_statement_pdf(spec))
    config = SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"))
    with run_sandbox(config) as server, dg.instance_for_test() as instance:
        scenario = make_scenario(folder, server, f"duckdb:///{tmp_path / 'warehouse.duckdb'}", instance)
        done = process_folder(scenario)
        (key,) = done.runs
        assert done.runs[key].success and done.submit_runs[key].success
        checks = {e.check_name: e.passed for e in done.runs[key].get_asset_check_evaluations()}
        assert checks == {"balances_reconcile": True, "all_transactions_enriched": True}

        statement = query(scenario.warehouse, "select * from {t}bank_statements").iloc[0]
        lines = sum(len(a.transactions) for a in spec.accounts())
        assert statement["status"] == "completed" and statement["institution"] == "N26"
        assert statement["transaction_count"] == lines and bool(statement["is_reconciled"])
        enriched = query(scenario.warehouse, "select * from {t}enriched_transactions")
        assert len(enriched) == lines and set(enriched["source"]) == {"bank_statement"}

        # A second pass finds nothing new and uploads nothing.
        again = process_folder(scenario)
        assert not again.discovery.run_requests and not again.status.run_requests
        assert len(remote_statements(server)) == 1
