"""Bank statements through our client: generated PDFs, waiting, results against the generator's spec."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_sandbox_kit import KEYS, Harness, collect, run

from ntropy_dagster.client import (
    BadRequestError,
    BankStatementFailedError,
    BankStatementJob,
    BankStatementResults,
    NotFoundError,
    StatementInfo,
)
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox
from ntropy_dagster.sandbox.statements import (
    make_png_bytes,
    make_statement_pdf,
    printed_account_number,
    random_statement_spec,
)
from ntropy_dagster.sandbox.statements.banks import get_bank


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """This module's sandbox: statements stay ``processing`` for 0.5 s; batches are instant."""
    config = SandboxConfig.instant(api_keys=KEYS, statement_delay=0.5, dispatch_webhooks=False)
    with run_sandbox(config) as server:
        yield server


def _lines(transactions: Any) -> list[tuple[str, str, float, str]]:
    return [(str(t.date), t.description, float(t.amount), t.entry_type) for t in transactions]


async def test_statement_upload_wait_results_verify_delete(
    client: Any, api: Harness, tmp_path: Path, uid: str
) -> None:
    spec = random_statement_spec(11, n_transactions=9, n_accounts=2)
    path = tmp_path / "august.pdf"
    pdf = make_statement_pdf(spec, path=path)

    job = await run(client.bank_statements.upload(path))
    assert isinstance(job, BankStatementJob) and job.request_id
    assert (job.status, job.name, job.file.size) == ("processing", "august.pdf", len(pdf))
    assert job.file.no_pages >= 1

    done = await run(client.bank_statements.wait(job.id, poll_interval=0.05))
    assert done.status == "completed" and done.error is None
    assert api.sleeps.seconds  # it was still processing at the first poll

    results = await run(client.bank_statements.results(job.id))
    assert isinstance(results, BankStatementResults)
    expected = spec.accounts()
    assert len(results.accounts) == len(expected) == 2
    style = get_bank(spec.bank)
    for account, wanted in zip(results.accounts, expected, strict=True):
        assert account.number == printed_account_number(style, wanted.account_number)
        assert (account.opening_balance, account.closing_balance) == (
            float(wanted.opening_balance),
            float(wanted.closing_balance),
        )
        assert (account.total_incoming, account.total_outgoing) == (
            float(wanted.total_incoming),
            float(wanted.total_outgoing),
        )
        assert account.is_balance_reconciled is True
        assert (account.start_date, account.end_date) == (spec.period_start, spec.period_end)
        assert len(account.transactions) == len(wanted.transactions)
        assert _lines(account.transactions) == _lines(wanted.transactions)
    assert len(results.accounts[0].transactions) == 9

    info = await run(client.bank_statements.verify(job.id))
    assert isinstance(info, StatementInfo)
    assert (info.institution, info.start_date, info.end_date) == (
        spec.bank,
        spec.period_start,
        spec.period_end,
    )
    assert info.account_holder.name == spec.account_holder_name
    assert info.accounts[0].number == results.accounts[0].number

    # The extracted transactions feed straight into a batch.
    await run(client.account_holders.create(f"{uid}-ah", spec.account_holder_type))
    inputs = [t.to_transaction_input(account_holder_id=f"{uid}-ah") for t in results.accounts[0].transactions]
    batch = await run(client.batches.create(inputs))
    await run(client.batches.wait(batch.id, poll_interval=0.05))
    enriched = (await run(client.batches.results(batch.id))).results
    assert [r.id for r in enriched] == [t.id for t in inputs]
    assert all(r.error is None and r.categories.general for r in enriched)

    assert job.id in {j.id for j in await collect(client.bank_statements.list(status="completed"))}
    await run(client.bank_statements.delete(job.id))
    with pytest.raises(NotFoundError):
        await run(client.bank_statements.get(job.id))


async def test_png_renamed_to_pdf_fails_with_invalid_file_type(client: Any) -> None:
    job = await run(client.bank_statements.upload(make_png_bytes(), filename="scan.pdf"))
    assert job.status == "processing" and job.name == "scan.pdf"
    with pytest.raises(BankStatementFailedError) as failed:
        await run(client.bank_statements.wait(job.id, poll_interval=0.05))
    assert failed.value.job_id == job.id and failed.value.code == "invalid_file_type"
    assert failed.value.message
    with pytest.raises(BadRequestError) as unverifiable:
        await run(client.bank_statements.verify(job.id))
    assert "invalid_file_type" in unverifiable.value.message
    assert job.id in {j.id for j in await collect(client.bank_statements.list(status="error"))}


async def test_forced_statement_error_carries_its_code(client: Any, admin: httpx.Client) -> None:
    job = await run(client.bank_statements.upload(make_statement_pdf(seed=5, n_transactions=3)))
    forced = admin.post(
        f"/_sandbox/bank_statements/{job.id}/fail",
        json={"code": "statement_unreadable", "message": "forced by the test"},
    )
    assert forced.status_code == 200
    with pytest.raises(BankStatementFailedError) as failed:
        await run(client.bank_statements.wait(job.id, poll_interval=0.05))
    assert (failed.value.code, failed.value.message) == ("statement_unreadable", "forced by the test")
    errored = await run(client.bank_statements.get(job.id))
    assert errored.status == "error" and errored.error.code == "statement_unreadable"
    with pytest.raises(BadRequestError):
        await run(client.bank_statements.results(job.id))
