"""The Dagster-free statement steps over HTTP: upload exactly once (adoption by name, size and age), and the
errors that stop a statement (rejected, gone, not uploaded, failed on Ntropy) without retries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.errors import PipelineError, StatementNotReadyError
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.statements.enrich import stored_row
from ntropy_dagster.core.statements.errors import StatementJobFailedError, StatementUnavailableError
from ntropy_dagster.core.statements.files import StatementFolder, content_hash_of, statement_partition_key
from ntropy_dagster.core.statements.jobs import fetch_statement_results, submitted_row, wait_for_job
from ntropy_dagster.core.statements.state import ERROR, PROCESSING, REJECTED, UPLOADING, StatementState
from ntropy_dagster.core.statements.upload import submit_statement
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from ntropy_dagster.sandbox.statements import make_statement_pdf
from tests.dagster.conftest import API_KEY
from tests.statements.conftest import fail_remote_statement, remote_statements

OPTIONS = PipelineOptions(poll_interval=0.1, blocking_timeout=30)


@dataclass
class Setup:
    server: Any
    client: NtropyClient
    warehouse: Warehouse
    state: StatementState
    folder: StatementFolder
    path: Path

    def add(self, name: str, data: bytes) -> str:
        """Put a file in the folder; return its statement key."""
        (self.path / name).write_bytes(data)
        return statement_partition_key(name, content_hash_of(data))

    def submit(self, key: str) -> Any:
        return submit_statement(
            self.client,
            self.state,
            self.folder,
            key,
            max_file_bytes=10_000_000,
            verify=False,
            default_account_holder_type="consumer",
        )


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.ensure_schema()
    config = SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"))
    with (
        run_sandbox(config) as server,
        NtropyClient(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        yield Setup(server, client, warehouse, StatementState(warehouse), StatementFolder(inbox), inbox)
    warehouse.dispose()


def test_an_interrupted_upload_adopts_the_oldest_unknown_job_with_the_files_name_and_size(
    setup: Setup,
) -> None:
    data = make_statement_pdf(seed=41, bank="Chase")
    other = make_statement_pdf(seed=42, bank="Monzo")
    assert len(other) != len(data)
    key = setup.add("crashed.pdf", data)
    # The interrupted run recorded its intent, then its POST created a job whose id it never recorded.
    setup.state.write(key, status=UPLOADING, submitted_at=utcnow())
    known = setup.client.bank_statements.upload(data, filename="crashed.pdf")
    setup.state.write("another-statement", job_id=known.id, status=PROCESSING)
    setup.client.bank_statements.upload(data, filename="renamed.pdf")
    setup.client.bank_statements.upload(other, filename="crashed.pdf")
    orphan = setup.client.bank_statements.upload(data, filename="crashed.pdf")
    setup.client.bank_statements.upload(data, filename="crashed.pdf")
    before = len(remote_statements(setup.server))

    submitted = setup.submit(key)
    assert not submitted.reattached
    assert submitted.row.job_id == orphan.id and submitted.row.status == PROCESSING
    assert len(remote_statements(setup.server)) == before  # nothing uploaded again
    # Once recorded, a re-run re-attaches without looking at the API's jobs.
    again = setup.submit(key)
    assert again.reattached and again.row.job_id == orphan.id


def test_a_statement_that_cannot_go_on_raises_an_error_that_is_not_retried(setup: Setup) -> None:
    empty = setup.add("empty.pdf", b"")
    rejected = setup.submit(empty)
    assert rejected.row.status == REJECTED and rejected.row.error_code == "empty_file"
    assert remote_statements(setup.server) == []
    with pytest.raises(StatementUnavailableError, match="rejected before upload: empty_file") as caught:
        fetch_statement_results(setup.client, setup.warehouse, empty, account_holder_id=None, options=OPTIONS)
    assert caught.value.retryable is False and caught.value.code == "empty_file"
    assert isinstance(caught.value, StatementNotReadyError)

    with pytest.raises(StatementUnavailableError, match="has not been uploaded"):
        submitted_row(setup.state, "never-seen-0123456789ab")

    # The recorded file is gone and no file of the folder has the statement's content any more.
    gone = setup.add("gone.pdf", make_statement_pdf(seed=43))
    setup.state.record_discovered(gone, str(setup.path / "gone.pdf"), "h", 1)
    (setup.path / "gone.pdf").unlink()
    with pytest.raises(StatementUnavailableError, match=r"No file in .* has the content of statement"):
        setup.submit(gone)

    # Uploaded but its results are not stored yet: the enrichment step cannot run.
    waiting = setup.add("waiting.pdf", make_statement_pdf(seed=44))
    job_id = setup.submit(waiting).row.job_id
    with pytest.raises(StatementUnavailableError, match="has no stored results") as not_stored:
        stored_row(setup.state, waiting)
    assert not_stored.value.job_id == job_id


def test_a_job_that_failed_on_ntropy_is_recorded_handled_and_raised_with_its_code(setup: Setup) -> None:
    key = setup.add("doomed.pdf", make_statement_pdf(seed=45))
    row = setup.submit(key).row
    assert row.job_id is not None
    fail_remote_statement(setup.server, row.job_id, "unreadable_statement", "Page 2 is a scanned image")
    with pytest.raises(StatementJobFailedError) as caught:
        wait_for_job(setup.client, setup.state, row, options=OPTIONS)
    error = caught.value
    assert isinstance(error, PipelineError) and error.retryable is False
    assert (error.job_id, error.code) == (row.job_id, "unreadable_statement")
    assert "unreadable_statement: Page 2 is a scanned image" in str(error)
    recorded = setup.state.get(key)
    assert recorded is not None and recorded.status == ERROR and recorded.handled_at is not None
    assert recorded.error_message == "Page 2 is a scanned image"
