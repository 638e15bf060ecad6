"""The official ntropy-sdk 5.7, unchanged, drives every resource of the sandbox over real HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from ntropy_sdk import (
    SDK,
    NtropyNotAuthorizedError,
    NtropyNotFoundError,
    NtropyValidationError,
    NtropyValueError,
)
from ntropy_sdk.async_.sdk import AsyncSDK
from ntropy_sdk.bank_statements import BankStatementJobStatus
from ntropy_sdk.batches import BatchStatus
from ntropy_sdk.v2.errors import NtropyBankStatementError, NtropyBatchError
from sandbox_testkit import KEY, tx

from ntropy_dagster.sandbox import SandboxServer
from ntropy_dagster.sandbox.statements import make_png_bytes, make_statement_pdf


def test_account_holders(sdk: SDK, uid: str) -> None:
    created = sdk.account_holders.create(id=f"{uid}-ah", type="consumer", name="Jane")
    assert created.id == f"{uid}-ah" and created.request_id
    assert sdk.account_holders.get(f"{uid}-ah").name == "Jane"
    with pytest.raises(NtropyValueError):
        sdk.account_holders.create(id=f"{uid}-ah", type="consumer")
    ids = {h.id for h in sdk.account_holders.list(limit=1000).data}
    assert f"{uid}-ah" in ids
    sdk.account_holders.delete(f"{uid}-ah")
    with pytest.raises(NtropyNotFoundError):
        sdk.account_holders.get(f"{uid}-ah")


def test_transactions_create_get_list_assign_delete(sdk: SDK, uid: str) -> None:
    sdk.account_holders.create(id=f"{uid}-a", type="consumer")
    sdk.account_holders.create(id=f"{uid}-b", type="consumer")
    start = dt.datetime.now(dt.timezone.utc)
    for i in range(7):
        enriched = sdk.transactions.create(
            id=f"{uid}-{i}",
            description="SQ *STARBUCKS 10 Union Sq",
            date="2024-03-0" + str(i + 1),
            amount=4.5 + i,
            entry_type="outgoing",
            currency="USD",
            account_holder_id=f"{uid}-a",
            location={"raw_address": "10 Union Sq, New York, NY", "country": "US"},
        )
        assert enriched.id == f"{uid}-{i}" and enriched.error is None
    got = sdk.transactions.get(f"{uid}-0")
    assert got.account_holder_id == f"{uid}-a" and got.amount == 4.5
    page = sdk.transactions.list(created_after=start, account_holder_id=f"{uid}-a", limit=3)
    assert len(page.data) == 3 and page.next_cursor
    every = [t.id for t in page.auto_paginate(page_size=2)]
    assert every == [f"{uid}-{i}" for i in reversed(range(7))]
    cutoff = sdk.transactions.get(f"{uid}-4").created_at
    older = sdk.transactions.list(created_before=cutoff, account_holder_id=f"{uid}-a", limit=2)
    assert [t.id for t in older.auto_paginate(page_size=2)] == [
        f"{uid}-3",
        f"{uid}-2",
        f"{uid}-1",
        f"{uid}-0",
    ]
    moved = sdk.transactions.assign(transaction_id=f"{uid}-0", account_holder_id=f"{uid}-b")
    assert moved.account_holder_id == f"{uid}-b"
    sdk.transactions.delete(f"{uid}-0")
    with pytest.raises(NtropyNotFoundError):
        sdk.transactions.get(f"{uid}-0")


def test_batch_wait_for_results(sdk: SDK, uid: str) -> None:
    sdk.account_holders.create(id=f"{uid}-biz", type="business")
    data = [
        tx(f"{uid}-{i}", account_holder_id=f"{uid}-biz", description="AMAZON WEB SERVICES")
        for i in range(300)
    ]
    batch = sdk.batches.create(operation="POST /v3/transactions", data=data)
    assert batch.status == BatchStatus.PROCESSING and batch.total == 300
    result = sdk.batches.wait_for_results(batch.id, poll_interval=0.05, with_progress=False)
    assert result.status == BatchStatus.COMPLETED and result.total == 300 and len(result.results) == 300
    assert result.results[0].id == f"{uid}-0"
    assert sdk.batches.get(batch.id).progress == 300
    listed = sdk.batches.list(status=BatchStatus.COMPLETED, limit=1000)
    assert batch.id in {b.id for b in listed.data}
    failing = sdk.batches.create(operation="POST /v3/transactions", data=data[:2])
    sdk.retry_ratelimited_request(method="POST", url=f"/_sandbox/batches/{failing.id}/fail", payload={})
    with pytest.raises(NtropyBatchError):
        sdk.batches.wait_for_results(failing.id, poll_interval=0.05, with_progress=False)


def test_recurring_groups_of_monthly_netflix(sdk: SDK, uid: str) -> None:
    sdk.account_holders.create(id=f"{uid}-r", type="consumer")
    for month in range(1, 7):
        sdk.transactions.create(
            id=f"{uid}-n{month}",
            description="NETFLIX.COM",
            date=f"2024-{month:02d}-01",
            amount=17.99,
            entry_type="outgoing",
            currency="USD",
            account_holder_id=f"{uid}-r",
        )
    groups = sdk.account_holders.recurring_groups(f"{uid}-r").groups
    assert len(groups) == 1
    (group,) = groups
    assert group.periodicity.value == "monthly" and len(group.transaction_ids) == 6
    assert group.counterparty.website == "netflix.com"
    assert group.total_amount == pytest.approx(6 * 17.99)


def test_entities(sdk: SDK) -> None:
    resolved = sdk.entities.resolve(name="Starbucks")
    assert resolved.id and resolved.website == "starbucks.com"
    assert sdk.entities.get(resolved.id).name == resolved.name
    by_site = sdk.entities.resolve(website="starbucks.com")
    assert by_site.id == resolved.id
    with pytest.raises(NtropyNotFoundError):
        sdk.entities.get("00000000-0000-0000-0000-000000000000")


def test_webhooks(sdk: SDK) -> None:
    hook = sdk.webhooks.create(url="http://127.0.0.1:9/hook", events=["batches.completed"], token="t0")
    assert hook.enabled and hook.token == "t0"
    assert sdk.webhooks.get(hook.id).url == "http://127.0.0.1:9/hook"
    assert hook.id in {w.id for w in sdk.webhooks.list().data}
    sdk.webhooks.patch(hook.id, events=["batches.completed", "batches.error"], enabled=False, token=None)
    patched = sdk.webhooks.get(hook.id)
    assert (
        patched.events == ["batches.completed", "batches.error"]
        and not patched.enabled
        and patched.token is None
    )
    hook.delete(sdk)
    with pytest.raises(NtropyNotFoundError):
        sdk.webhooks.get(hook.id)


def test_reports(sdk: SDK, uid: str) -> None:
    report = sdk.reports.create(transaction_id=f"{uid}-t", description="wrong merchant", fields=["entities"])
    assert report.status == "open"
    assert sdk.reports.get(report.id).description == "wrong merchant"
    assert report.id in {r.id for r in sdk.reports.list(status="open", limit=1000).data}
    sdk.reports.delete(report.id)
    with pytest.raises(NtropyNotFoundError):
        sdk.reports.get(report.id)


def test_categories_get_set_reset(sdk: SDK, uid: str) -> None:
    defaults = sdk.categories.get("consumer")
    assert defaults["incoming"] and defaults["outgoing"]
    custom = {"incoming": ["salary", "refunds"], "outgoing": ["streaming", "coffee"]}
    assert sdk.categories.set(f"{uid}-set", custom) == custom
    assert sdk.categories.get(f"{uid}-set") == custom
    sdk.account_holders.create(id=f"{uid}-c", type="consumer", category_id=f"{uid}-set")
    enriched = sdk.transactions.create(
        id=f"{uid}-t",
        description="NETFLIX.COM",
        date="2024-01-01",
        amount=9.99,
        entry_type="outgoing",
        currency="USD",
        account_holder_id=f"{uid}-c",
    )
    assert enriched.categories.general in {"streaming", "coffee", "not enough information", "other"}
    assert sdk.categories.delete(f"{uid}-set") == {"incoming": [], "outgoing": []}
    with pytest.raises(NtropyNotFoundError):
        sdk.categories.get(f"{uid}-set")
    assert sdk.categories.delete("consumer") == defaults


def test_rules(sdk: SDK) -> None:
    rule = {"if": {"is_substring": [{"get": "description"}, "COFFEE"]}, "then": [{"add_label": "coffee"}]}
    created = sdk.rules.create(rule)
    assert isinstance(created.id, str)
    assert created.id in {r.id for r in sdk.rules.get()}
    patched = sdk.rules.patch(created.id, {"add_label": "beans"})
    assert patched.id == created.id
    sdk.rules.delete(created.id)
    sdk.rules.replace([rule, {"add_label": "x"}])
    assert len(sdk.rules.get()) == 2
    sdk.rules.replace([])
    assert sdk.rules.get() == []
    with pytest.raises(NtropyValidationError):
        sdk.rules.create({"no_such_action": 1})


def test_bank_statements(sdk: SDK) -> None:
    pdf = make_statement_pdf(seed=3, n_transactions=9)
    job = sdk.bank_statements.create(pdf, filename="march.pdf")
    assert job.status == BankStatementJobStatus.PROCESSING and job.file.no_pages >= 1
    results = sdk.bank_statements.wait_for_results(job.id, poll_interval=0.05)
    transactions = [t for account in results.accounts for t in account.transactions]
    assert len(transactions) == 9
    assert transactions[0].to_transaction_input(account_holder_id="x").id
    info = sdk.bank_statements.verify(job.id)
    assert info.institution
    assert job.id in {j.id for j in sdk.bank_statements.list(limit=1000).data}
    sdk.bank_statements.delete(job.id)
    with pytest.raises(NtropyNotFoundError):
        sdk.bank_statements.get(job.id)
    bad = sdk.bank_statements.create(make_png_bytes(), filename="scan.png")
    with pytest.raises(NtropyBankStatementError) as error:
        sdk.bank_statements.wait_for_results(bad.id, poll_interval=0.05)
    assert error.value.code == "invalid_file_type"


def test_error_classes(sandbox: SandboxServer, sdk: SDK) -> None:
    intruder = SDK("wrong-key")
    intruder.base_url = sandbox.base_url
    with pytest.raises(NtropyNotAuthorizedError):
        intruder.batches.list()
    with pytest.raises(NtropyNotFoundError) as missing:
        sdk.batches.get("no-such-batch", request_id="req-404")
    assert missing.value.req_id == "req-404"
    with pytest.raises(NtropyValidationError):
        sdk.batches.create(operation="POST /v3/transactions", data=[{"id": "only-an-id"}])


async def test_async_sdk_flow(sandbox: SandboxServer, uid: str) -> None:
    async with AsyncSDK(KEY) as sdk:
        sdk.base_url = sandbox.base_url
        await sdk.account_holders.create(id=f"{uid}-async", type="consumer")
        enriched = await sdk.transactions.create(
            id=f"{uid}-t",
            description="NETFLIX.COM",
            date="2024-01-01",
            amount=17.99,
            entry_type="outgoing",
            currency="USD",
            account_holder_id=f"{uid}-async",
        )
        assert enriched.error is None
        batch = await sdk.batches.create(
            operation="POST /v3/transactions", data=[tx(f"{uid}-{i}") for i in range(5)]
        )
        result = await sdk.batches.wait_for_results(batch.id, poll_interval=0.05)
        assert len(result.results) == 5
        page = await sdk.transactions.list(account_holder_id=f"{uid}-async")
        assert [t.id for t in page.data] == [f"{uid}-t"]
