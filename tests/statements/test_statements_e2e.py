"""End to end over HTTP: a folder of PDFs -> discovery -> upload -> status sensor -> results -> enrichment
-> marts, with good statements and every kind of bad file in the same ticks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import pandas as pd
import pytest

from ntropy_dagster.core.statements.files import content_hash_of
from ntropy_dagster.core.statements.state import StatementState
from ntropy_dagster.dagster.statements import statement_partition_key
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from ntropy_dagster.sandbox.statements import (
    StatementSpec,
    make_corrupt_pdf,
    make_png_bytes,
    make_statement_pdf,
    random_statement_spec,
)
from tests.dagster.conftest import API_KEY, query
from tests.statements.conftest import (
    DISCOVERY,
    SALARY,
    STATUS,
    Scenario,
    fail_remote_statement,
    failure_message,
    make_scenario,
    partitions,
    process_folder,
    remote_statements,
    run,
    salary_spec,
    tick,
)


def good_specs() -> dict[str, StatementSpec]:
    """Statements of several banks and layouts, multi-page, two accounts, one misprinted balance."""
    return {
        "chase-feb": random_statement_spec(1, bank="Chase", months=2, n_transactions=120),
        "boa-two-accounts": random_statement_spec(2, bank="Bank of America", n_accounts=2),
        "barclays": random_statement_spec(3, bank="Barclays", account_holder_type="consumer"),
        "hsbc-misprint": random_statement_spec(
            4, bank="HSBC UK", account_holder_type="consumer", misprint_closing_balance=Decimal("5.00")
        ),
        "acme-salary": salary_spec(),
    }


@dataclasses.dataclass
class Outcome:
    scenario: Scenario
    specs: dict[str, StatementSpec]
    keys: dict[str, str]
    discovery: Any
    status: Any
    runs: dict[str, dg.ExecuteInProcessResult]
    submit_runs: dict[str, dg.ExecuteInProcessResult]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    tmp = tmp_path_factory.mktemp("statements")
    folder = tmp / "inbox"
    folder.mkdir()
    specs = good_specs()
    files: dict[str, bytes] = {f"{name}.pdf": make_statement_pdf(spec) for name, spec in specs.items()}
    files["doomed.pdf"] = make_statement_pdf(seed=9, bank="Monzo")
    files["corrupt.pdf"] = make_corrupt_pdf(seed=5)
    files["photo.PDF"] = make_png_bytes()
    files["empty.pdf"] = b""
    files["notes.txt"] = b"not a statement"
    for name, data in files.items():
        (folder / name).write_bytes(data)
    keys = {
        name.rsplit(".", 1)[0]: statement_partition_key(name, content_hash_of(data))
        for name, data in files.items()
        if name != "notes.txt"
    }
    config = SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp / "sandbox.db"))
    with run_sandbox(config) as server, dg.instance_for_test() as instance:
        scenario = make_scenario(folder, server, f"sqlite:///{tmp / 'warehouse.db'}", instance)

        def fail_doomed() -> None:
            row = StatementState(scenario.warehouse.get_warehouse()).get(keys["doomed"])
            assert row is not None and row.job_id is not None
            fail_remote_statement(server, row.job_id, "unreadable_statement", "Page 2 is a scanned image")

        done = process_folder(scenario, before_status=fail_doomed)
        yield Outcome(scenario, specs, keys, done.discovery, done.status, done.runs, done.submit_runs)


def statements_table(outcome: Outcome) -> pd.DataFrame:
    frame = outcome.scenario.warehouse.get_warehouse().read_frame("bank_statements")
    return frame.set_index("statement_key")


def test_discovery_adds_one_partition_per_pdf_and_requests_its_upload(outcome: Outcome) -> None:
    requests = outcome.discovery.run_requests
    assert sorted(r.partition_key for r in requests) == sorted(outcome.keys.values())
    assert all(r.run_key == r.partition_key for r in requests)
    assert {tuple(r.asset_selection) for r in requests} == {(outcome.scenario.statements.keys.submitted,)}
    assert sorted(partitions(outcome.scenario)) == sorted(outcome.keys.values())
    assert outcome.keys["acme-salary"].startswith("acme-salary-") and len(outcome.keys["acme-salary"]) == 24
    # Every upload run succeeded, the rejected ones included: their state is recorded, not raised.
    assert all(r.success for r in outcome.submit_runs.values())


def test_bad_files_are_rejected_without_upload(outcome: Outcome) -> None:
    table = statements_table(outcome)
    expected = {"photo": "invalid_file_type", "empty": "empty_file"}
    for name, code in expected.items():
        row = table.loc[outcome.keys[name]]
        assert row["status"] == "rejected"
        assert row["error_code"] == code
        assert row["error_message"]
        assert pd.isna(row["job_id"])
        result = outcome.submit_runs[outcome.keys[name]]
        (check,) = result.get_asset_check_evaluations()
        assert check.check_name == "file_accepted" and not check.passed
    assert "PNG" in table.loc[outcome.keys["photo"], "error_message"]
    uploaded = {s["name"] for s in remote_statements(outcome.scenario.server)}
    assert uploaded == {f"{n}.pdf" for n in outcome.keys if n not in expected}


def test_status_sensor_requests_each_finished_job_once(outcome: Outcome) -> None:
    table = statements_table(outcome)
    finished = {k for k in outcome.keys if k not in ("photo", "empty")}
    requests = {r.partition_key: r for r in outcome.status.run_requests}
    assert set(requests) == {outcome.keys[k] for k in finished}
    stmt = outcome.scenario.statements.keys
    for key, request in requests.items():
        assert request.run_key == f"{key}:{table.loc[key, 'job_id']}"
        assert request.asset_selection == [stmt.transactions, stmt.enriched]
        assert set(request.asset_check_keys) == {
            dg.AssetCheckKey(stmt.transactions, "balances_reconcile"),
            dg.AssetCheckKey(stmt.enriched, "all_transactions_enriched"),
        }
    # Nothing left in flight: the next tick skips and says why.
    idle = tick(outcome.scenario, STATUS)
    assert not idle.run_requests
    assert "No bank statement jobs in flight" in idle.skip_message


def test_statements_land_with_masked_numbers_balances_and_transactions(outcome: Outcome) -> None:
    table = statements_table(outcome)
    wh = outcome.scenario.warehouse.get_warehouse()
    total = 0
    for name, spec in outcome.specs.items():
        key = outcome.keys[name]
        assert outcome.runs[key].success, name
        row = table.loc[key]
        accounts = spec.accounts()
        assert row["status"] == "completed"
        assert row["institution"] == spec.bank
        assert row["account_holder_name"] == spec.account_holder_name
        assert row["account_count"] == len(accounts)
        masked = [f"****{''.join(c for c in a.account_number if c.isdigit())[-4:]}" for a in accounts]
        assert row["account_number_masked"] == ", ".join(masked)
        assert float(row["opening_balance"]) == pytest.approx(float(sum(a.opening_balance for a in accounts)))
        printed = sum(a.printed_closing_balance for a in accounts)
        assert float(row["closing_balance"]) == pytest.approx(float(printed))
        assert row["start_date"] == spec.period_start and row["end_date"] == spec.period_end
        assert bool(row["is_reconciled"]) == (name != "hsbc-misprint")
        per_account = orjson.loads(row["accounts"])
        assert [a["account_number_masked"] for a in per_account] == masked
        lines = wh.read_frame("bank_statement_transactions", statement_key=key)
        assert len(lines) == sum(len(a.transactions) for a in accounts) == row["transaction_count"]
        assert lines["page_number"].min() == 1
        first = accounts[0]
        ordered = lines[lines["account_index"] == 0].sort_values("row_index")
        expected = pd.Series([float(b) for b in first.running_balances()], index=ordered.index)
        printed_balances = ordered["running_balance"].notna()  # some layouts print one per day
        assert printed_balances.sum() > len(ordered) / 3
        assert (ordered["running_balance"][printed_balances].round(2) == expected[printed_balances]).all()
        # Only the masks are stored: no full account number appears in any column.
        full = ["".join(c for c in a.account_number if c.isdigit()) for a in accounts]
        stored = " ".join(str(v) for v in [*row.to_dict().values(), *lines.astype(str).to_numpy().ravel()])
        assert not any(len(number) > 4 and number in stored for number in full)
        total += len(lines)
    assert total >= 300
    assert table.loc[outcome.keys["chase-feb"], "page_count"] > 1


def test_balance_check_passes_per_account_and_catches_the_misprint(outcome: Outcome) -> None:
    for name in outcome.specs:
        evaluations = {
            e.check_name: e for e in outcome.runs[outcome.keys[name]].get_asset_check_evaluations()
        }
        balance = evaluations["balances_reconcile"]
        assert balance.passed == (name != "hsbc-misprint"), name
        assert evaluations["all_transactions_enriched"].passed, name
    misprint = outcome.runs[outcome.keys["hsbc-misprint"]].get_asset_check_evaluations()
    (balance,) = [e for e in misprint if e.check_name == "balances_reconcile"]
    assert "opening + in - out" in (balance.description or "")


def test_failed_jobs_fail_their_run_with_the_reason_and_others_complete(outcome: Outcome) -> None:
    table = statements_table(outcome)
    doomed = outcome.keys["doomed"]
    assert not outcome.runs[doomed].success
    assert "unreadable_statement: Page 2 is a scanned image" in failure_message(outcome.runs[doomed])
    assert table.loc[doomed, ["status", "error_code"]].tolist() == ["error", "unreadable_statement"]
    # The failure shows the job and the API's code, and is not retried (the file needs a person).
    (failure,) = [
        e for e in outcome.runs[doomed].all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE
    ]
    shown = {k: v.value for k, v in failure.step_failure_data.user_failure_data.metadata.items()}
    assert shown["ntropy/job_id"] == table.loc[doomed, "job_id"]
    assert shown["ntropy/error_code"] == "unreadable_statement"
    assert shown["ntropy/partition_key"] == doomed
    corrupt = outcome.keys["corrupt"]
    assert not outcome.runs[corrupt].success
    assert "corrupted_file" in failure_message(outcome.runs[corrupt])
    assert table.loc[corrupt, "status"] == "error"
    assert table.loc[corrupt, "verify_error"]  # fast verification could not read it either
    assert all(outcome.runs[outcome.keys[n]].success for n in outcome.specs)
    # The summary check lists every statement that needs attention, with its reason.
    check_key = dg.AssetCheckKey(outcome.scenario.statements.keys.transactions, "all_statements_processed")
    # The pipeline's checks sensor (running by default) evaluates it once the statements' rows changed.
    [sensor] = [s for s in outcome.scenario.statements.sensors if "checks_automation" in s.name]
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    requested = dg.evaluate_automation_conditions(
        defs=outcome.scenario.defs, instance=outcome.scenario.instance, asset_selection=sensor.asset_selection
    )
    [evaluation] = [r for r in requested.results if r.key == check_key]
    assert requested.total_requested == 1 and evaluation.true_subset.size == 1
    job = outcome.scenario.defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_check_selection={check_key}, asset_selection=set()
    )
    result = job.execute_in_process(instance=outcome.scenario.instance, raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    listed = evaluation.metadata["failed_statements"].value
    assert set(listed) == {doomed, corrupt, outcome.keys["photo"], outcome.keys["empty"]}


def test_enriched_rows_feed_the_marts_and_the_salary_becomes_income(outcome: Outcome) -> None:
    scenario = outcome.scenario
    enriched = query(scenario.warehouse, "select * from {t}enriched_transactions")
    assert set(enriched["source"]) == {"bank_statement"}
    lines = query(scenario.warehouse, "select * from {t}bank_statement_transactions")
    assert len(enriched) == len(lines)
    assert set(enriched["partition_key"]) == {f"statement:{outcome.keys[n]}" for n in outcome.specs}
    salary_holder = statements_table(outcome).loc[outcome.keys["acme-salary"], "account_holder_id"]
    assert salary_holder.startswith("stmt-")

    marts = scenario.marts.keys
    result = run(scenario, [marts.recurring_groups, marts.income])
    assert result.success
    income = query(scenario.warehouse, "select * from {t}income_sources")
    acme = income[(income["account_holder_id"] == salary_holder) & (income["source_type"] == "salary")]
    assert len(acme) == 1
    row = acme.iloc[0]
    assert "acme" in str(row["source_name"]).lower()
    assert row["transaction_count"] == 6
    assert row["average_amount"] == pytest.approx(float(SALARY))
    assert row["monthly_income"] == pytest.approx(2 * float(SALARY), rel=0.1)
    # The raw path's batch sensor sees the statement batches as done: nothing to request.
    batch_tick = tick(scenario, "ntropy_batch_sensor")
    assert not batch_tick.run_requests


def test_rediscovery_and_reruns_upload_nothing(outcome: Outcome) -> None:
    scenario = outcome.scenario
    before = len(remote_statements(scenario.server))
    known = sorted(partitions(scenario))
    # A fresh cursor forces every file to be hashed again: the keys are the same, so nothing is new.
    again = tick(scenario, DISCOVERY)
    assert not again.run_requests and "No new statement files" in again.skip_message
    # Re-running an upload re-attaches to the recorded job.
    key = outcome.keys["barclays"]
    rerun = run(scenario, [scenario.statements.keys.submitted], key)
    assert rerun.success
    materialization = rerun.asset_materializations_for_node("submitted_bank_statements")[0]
    assert materialization.metadata["ntropy/reattached"].value is True
    assert len(remote_statements(scenario.server)) == before
    assert sorted(partitions(scenario)) == known


def test_a_changed_file_is_a_new_partition(outcome: Outcome) -> None:
    scenario = outcome.scenario
    folder = Path(scenario.statements.options.folder.location)
    path = folder / "barclays.pdf"
    changed = make_statement_pdf(random_statement_spec(33, bank="Barclays"))
    path.write_bytes(changed)
    result = tick(scenario, DISCOVERY)
    (request,) = result.run_requests
    assert request.partition_key == statement_partition_key("barclays.pdf", content_hash_of(changed))
    assert request.partition_key != outcome.keys["barclays"]


def test_assets_are_described_grouped_and_report_table_metadata(outcome: Outcome) -> None:
    scenario = outcome.scenario
    keys = scenario.statements.keys
    graph = scenario.defs.resolve_asset_graph()
    for key in (keys.submitted, keys.transactions, keys.enriched):
        node = graph.get(key)
        assert node.group_name == "ntropy_bank_statements"
        assert node.description and {"ntropy", "table"} <= set(node.kinds)
        assert node.partitions_def == scenario.statements.partitions_def
        assert node.pools == {"ntropy_api"}
    key = outcome.keys["chase-feb"]
    expected = {
        keys.submitted: ("bank_statements", 1),
        keys.transactions: ("bank_statement_transactions", len(outcome.specs["chase-feb"].transactions)),
        keys.enriched: ("enriched_transactions", len(outcome.specs["chase-feb"].transactions)),
    }
    materializations = [
        *outcome.submit_runs[key].get_asset_materialization_events(),
        *outcome.runs[key].get_asset_materialization_events(),
    ]
    assert {m.asset_key for m in materializations} == set(expected)
    for event in materializations:
        metadata = event.materialization.metadata
        table, rows = expected[event.asset_key]
        assert metadata["dagster/table_name"].value == f"main.ntropy_{table}"
        assert metadata["dagster/row_count"].value == rows
        assert isinstance(metadata["dagster/column_schema"].value, dg.TableSchema)
        assert metadata["ntropy/job_id"].value
        assert metadata["ntropy/institution"].value == "Chase"


def test_each_check_result_attaches_to_its_statement(outcome: Outcome) -> None:
    # The checks are partitioned like their statement assets: a result carries the run's statement.
    for name in outcome.specs:
        key = outcome.keys[name]
        evaluations = outcome.runs[key].get_asset_check_evaluations()
        assert evaluations and {e.partition for e in evaluations} == {key}, name
    for key, submitted in outcome.submit_runs.items():
        assert {e.partition for e in submitted.get_asset_check_evaluations()} <= {key}
