"""Every client method, sync and async, against the fake API: path, method, params and body sent; parsing."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from ntropy_client_testkit import collect, run
from ntropy_fake_api import FakeNtropy

from ntropy_dagster.client import (
    AccountHolder,
    BankStatementJob,
    BankStatementResults,
    Batch,
    BatchResults,
    CategorySet,
    EnrichedTransaction,
    Entity,
    InputValidationError,
    NotFoundError,
    RecurrenceGroup,
    Report,
    StatementInfo,
    Transaction,
    TransactionInput,
    Webhook,
)

TX = {
    "id": "tx-1",
    "description": "SQ* STARBUCKS 10 Union Sq",
    "date": "2024-03-01",
    "amount": 4.5,
    "entry_type": "outgoing",
    "currency": "USD",
    "account_holder_id": "ah-1",
}


def last(fake: FakeNtropy) -> tuple[str, str, dict[str, str], Any]:
    request = fake.requests[-1]
    body = json.loads(request.content) if request.content else None
    return request.method, request.url.path, dict(request.url.params), body


async def test_transactions_create_get_assign_delete(client: Any, fake: FakeNtropy) -> None:
    enriched = await run(client.transactions.create(TransactionInput(**TX)))
    assert isinstance(enriched, EnrichedTransaction)
    assert enriched.entities.counterparty.website == "starbucks.com"
    assert enriched.categories.general == "coffee shops"
    assert enriched.model_extra == {"brand_new_field": True}
    assert enriched.request_id == fake.requests[-1].headers["X-Request-ID"]
    assert last(fake) == ("POST", "/v3/transactions", {}, TX)

    # A mapping works as well as a model; credit/debit are mapped to incoming/outgoing before sending.
    await run(
        client.transactions.create({**TX, "id": "tx-2", "entry_type": "credit", "date": date(2024, 3, 2)})
    )
    assert last(fake)[3] == {**TX, "id": "tx-2", "entry_type": "incoming", "date": "2024-03-02"}

    tx = await run(client.transactions.get("tx-1"))
    assert isinstance(tx, Transaction)
    assert (tx.amount, tx.date, tx.account_holder_id) == (4.5, date(2024, 3, 1), "ah-1")
    assert last(fake)[:2] == ("GET", "/v3/transactions/tx-1")

    moved = await run(client.transactions.assign("tx-1", "ah-2"))
    assert moved.account_holder_id == "ah-2"
    assert last(fake) == ("POST", "/v3/transactions/tx-1/assign", {}, {"account_holder_id": "ah-2"})

    assert await run(client.transactions.delete("tx-1")) is None
    assert last(fake)[:2] == ("DELETE", "/v3/transactions/tx-1")
    with pytest.raises(NotFoundError):
        await run(client.transactions.get("tx-1"))


async def test_ids_are_escaped_in_paths(client: Any, fake: FakeNtropy) -> None:
    with pytest.raises(NotFoundError):
        await run(client.transactions.get("a/b c"))
    assert fake.requests[-1].url.raw_path == b"/v3/transactions/a%2Fb%20c"


async def test_transactions_list_sends_filters(client: Any, fake: FakeNtropy) -> None:
    for i in range(3):
        await run(client.transactions.create({**TX, "id": f"t{i}"}))
    after = datetime(2024, 1, 1, tzinfo=timezone.utc)
    items = await collect(
        client.transactions.list(created_after=after, account_holder_id="ah-1", dataset_id=7, limit=2)
    )
    assert [t.id for t in items] == ["t0", "t1", "t2"]
    assert all(isinstance(t, Transaction) for t in items)
    method, path, params, _ = last(fake)
    assert (method, path) == ("GET", "/v3/transactions")
    assert params == {
        "created_after": "2024-01-01T00:00:00+00:00",
        "account_holder_id": "ah-1",
        "dataset_id": "7",
        "limit": "2",
        "cursor": "2",
    }


async def test_batches_create_get_list_results(client: Any, fake: FakeNtropy) -> None:
    data = [{**TX, "id": f"b{i}"} for i in range(3)]
    batch = await run(client.batches.create(iter(data), priority="low"))
    assert isinstance(batch, Batch)
    assert (batch.status, batch.total, batch.priority) == ("processing", 3, "low")
    method, path, _, body = last(fake)
    assert (method, path) == ("POST", "/v3/batches")
    assert body == {"operation": "POST /v3/transactions", "data": data, "priority": "low"}
    assert fake.requests[-1].headers["Content-Type"] == "application/json"

    got = await run(client.batches.get(batch.id))
    assert got.id == batch.id
    assert last(fake)[:2] == ("GET", f"/v3/batches/{batch.id}")

    results = await run(client.batches.results(batch.id))
    assert isinstance(results, BatchResults)
    assert [r.id for r in results.results] == ["b0", "b1", "b2"]
    assert results.results[0].entities.counterparty.name == "Starbucks"

    records = await run(client.batches.results_records(batch.id))
    assert isinstance(records, list)
    assert [r["id"] for r in records] == ["b0", "b1", "b2"]
    assert records[0]["entities"]["counterparty"]["type"] == "organization"
    assert last(fake)[:2] == ("GET", f"/v3/batches/{batch.id}/results")

    listed = await collect(client.batches.list(status="completed", limit=5))
    assert [b.id for b in listed] == [batch.id]
    assert last(fake)[2] == {"status": "completed", "limit": "5"}


async def test_batches_create_default_priority(client: Any, fake: FakeNtropy) -> None:
    await run(client.batches.create([TX]))
    assert last(fake)[3]["priority"] == "default"
    with pytest.raises(ValueError, match="priority"):
        await run(client.batches.create([TX], priority="urgent"))


async def test_account_holders(client: Any, fake: FakeNtropy) -> None:
    holder = await run(client.account_holders.create("ah-1", "consumer", name="Jane"))
    assert isinstance(holder, AccountHolder)
    assert (holder.id, holder.type, holder.name, holder.category_id) == ("ah-1", "consumer", "Jane", None)
    assert last(fake) == (
        "POST",
        "/v3/account_holders",
        {},
        {"id": "ah-1", "type": "consumer", "name": "Jane"},
    )

    await run(client.account_holders.create("ah-2", "business", category_id="custom"))
    assert last(fake)[3] == {"id": "ah-2", "type": "business", "category_id": "custom"}

    assert (await run(client.account_holders.get("ah-1"))).name == "Jane"
    assert last(fake)[:2] == ("GET", "/v3/account_holders/ah-1")

    listed = await collect(client.account_holders.list(created_before="2100-01-01T00:00:00"))
    assert {h.id for h in listed} == {"ah-1", "ah-2"}
    assert last(fake)[2]["created_before"] == "2100-01-01T00:00:00"

    groups = await run(client.account_holders.recurring_groups("ah-1"))
    assert all(isinstance(g, RecurrenceGroup) for g in groups)
    assert [g.periodicity for g in groups] == ["bi-weekly", "semi-yearly"]
    assert groups[0].counterparty.website == "netflix.com"
    assert groups[0].start_date == date(2024, 1, 1)
    assert groups[0].request_id == fake.requests[-1].headers["X-Request-ID"]
    assert last(fake) == ("POST", "/v3/account_holders/ah-1/recurring_groups", {}, None)

    assert await run(client.account_holders.delete("ah-1")) is None
    assert last(fake)[:2] == ("DELETE", "/v3/account_holders/ah-1")

    with pytest.raises(InputValidationError, match="type"):
        await run(client.account_holders.create("ah-3", "unknown"))


async def test_bank_statements(client: Any, fake: FakeNtropy, tmp_path: Path) -> None:
    pdf = b"%PDF-1.4 fake statement"
    job = await run(client.bank_statements.upload(pdf, filename="jan.pdf"))
    assert isinstance(job, BankStatementJob)
    assert (job.status, job.file.no_pages) == ("processing", 1)
    request = fake.requests[-1]
    assert (request.method, request.url.path) == ("POST", "/v3/bank_statements")
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    body = request.content.decode("latin-1")
    assert body.count("Content-Disposition: form-data;") == 1
    assert 'name="file"; filename="jan.pdf"' in body
    assert "Content-Type: application/pdf" in body
    assert "%PDF-1.4 fake statement" in body

    path = tmp_path / "feb.pdf"
    path.write_bytes(pdf)
    await run(client.bank_statements.upload(path))
    assert 'filename="feb.pdf"' in fake.requests[-1].content.decode("latin-1")
    with path.open("rb") as handle:
        await run(client.bank_statements.upload(handle))
    assert 'filename="feb.pdf"' in fake.requests[-1].content.decode("latin-1")
    await run(client.bank_statements.upload(str(path), filename="other.pdf"))
    assert 'filename="other.pdf"' in fake.requests[-1].content.decode("latin-1")

    assert (await run(client.bank_statements.get(job.id))).id == job.id
    assert last(fake)[:2] == ("GET", f"/v3/bank_statements/{job.id}")

    results = await run(client.bank_statements.results(job.id))
    assert isinstance(results, BankStatementResults)
    statement_tx = results.accounts[0].transactions[0]
    assert (statement_tx.entry_type, statement_tx.date) == ("outgoing", date(2024, 2, 1))
    as_input = statement_tx.to_transaction_input(account_holder_id="ah-1")
    assert as_input.model_dump(mode="json", exclude_none=True)["currency"] == "USD"
    assert last(fake)[:2] == ("GET", f"/v3/bank_statements/{job.id}/results")

    info = await run(client.bank_statements.verify(job.id))
    assert isinstance(info, StatementInfo)
    assert (info.institution, info.account_holder.name, info.accounts[0].type) == (
        "Chase",
        "Jane Doe",
        "checking",
    )
    assert last(fake)[:2] == ("POST", f"/v3/bank_statements/{job.id}/verify")

    listed = await collect(client.bank_statements.list(status="completed"))
    assert [j.id for j in listed] == [job.id]  # the get above finished it
    assert last(fake)[2] == {"status": "completed"}

    assert await run(client.bank_statements.delete(job.id)) is None
    assert last(fake)[:2] == ("DELETE", f"/v3/bank_statements/{job.id}")


async def test_entities(client: Any, fake: FakeNtropy) -> None:
    entity = await run(client.entities.resolve(name="Starbucks", location="Seattle"))
    assert isinstance(entity, Entity)
    assert (entity.website, entity.mccs) == ("starbucks.com", [5814])
    assert last(fake) == ("POST", "/v3/entities/resolve", {}, {"name": "Starbucks", "location": "Seattle"})
    await run(client.entities.resolve(website="starbucks.com"))
    assert last(fake)[3] == {"website": "starbucks.com"}
    with pytest.raises(InputValidationError, match="exactly one of name or website"):
        await run(client.entities.resolve(name="a", website="b.com"))

    square = await run(client.entities.get("916bc837"))
    assert (square.id, square.name) == ("916bc837", "Square")
    assert last(fake)[:2] == ("GET", "/v3/entities/916bc837")


async def test_webhooks(client: Any, fake: FakeNtropy) -> None:
    hook = await run(
        client.webhooks.create(url="https://example.com/hook", events=["batches.completed"], hmac_secret="s3")
    )
    assert isinstance(hook, Webhook)
    assert (hook.url, hook.events, hook.enabled) == ("https://example.com/hook", ["batches.completed"], True)
    assert last(fake)[3] == {
        "url": "https://example.com/hook",
        "events": ["batches.completed"],
        "hmac_secret": "s3",
    }

    assert (await run(client.webhooks.get(hook.id))).id == hook.id
    assert last(fake)[:2] == ("GET", f"/v3/webhooks/{hook.id}")

    updated = await run(client.webhooks.update(hook.id, enabled=False, token=None))
    assert last(fake) == ("PATCH", f"/v3/webhooks/{hook.id}", {}, {"token": None, "enabled": False})
    assert isinstance(updated, Webhook)
    assert updated.enabled is False
    await run(client.webhooks.update(hook.id, events=["batches.error", "reports.resolved"]))
    assert last(fake)[3] == {"events": ["batches.error", "reports.resolved"]}

    assert [h.id for h in await collect(client.webhooks.list())] == [hook.id]
    assert last(fake)[:3] == ("GET", "/v3/webhooks", {})

    assert await run(client.webhooks.delete(hook.id)) is None
    assert last(fake)[:2] == ("DELETE", f"/v3/webhooks/{hook.id}")

    with pytest.raises(InputValidationError, match=r"events\[0\]"):
        await run(client.webhooks.create(url="https://example.com", events=["batches.finished"]))


async def test_reports(client: Any, fake: FakeNtropy) -> None:
    report = await run(
        client.reports.create(
            transaction_id="tx-1", description="wrong merchant", fields=[".entities.counterparty"]
        )
    )
    assert isinstance(report, Report)
    assert (report.status, report.fields) == ("open", [".entities.counterparty"])
    assert last(fake)[3] == {
        "transaction_id": "tx-1",
        "description": "wrong merchant",
        "fields": [".entities.counterparty"],
    }
    assert (await run(client.reports.get(report.id))).description == "wrong merchant"
    assert last(fake)[:2] == ("GET", f"/v3/reports/{report.id}")
    assert [r.id for r in await collect(client.reports.list(status="open"))] == [report.id]
    assert last(fake)[2] == {"status": "open"}
    assert await run(client.reports.delete(report.id)) is None
    assert last(fake)[:2] == ("DELETE", f"/v3/reports/{report.id}")


async def test_rules(client: Any, fake: FakeNtropy) -> None:
    rule = {
        "if": {"is_substring": [{"get": "description"}, "UBER"]},
        "then": [{"set": "website", "to": "uber.com"}],
    }
    created = await run(client.rules.create(rule))
    assert created == {**rule, "id": "1"}
    assert last(fake) == ("POST", "/v3/rules", {}, rule)
    assert await run(client.rules.list()) == [created]
    assert last(fake)[:2] == ("GET", "/v3/rules")

    replaced = await run(client.rules.replace([rule, {"add_label": "rides"}]))
    assert [r["id"] for r in replaced] == ["1", "2"]
    assert last(fake) == ("POST", "/v3/rules/replace", {}, [rule, {"add_label": "rides"}])

    patched = await run(client.rules.update("2", {"remove_label": "rides"}))
    assert patched == {"remove_label": "rides", "id": "2"}
    assert last(fake) == ("PATCH", "/v3/rules/2", {}, {"remove_label": "rides"})

    assert await run(client.rules.delete("1")) is None
    assert last(fake)[:2] == ("DELETE", "/v3/rules/1")
    assert await run(client.rules.list()) == [patched]

    with pytest.raises(TypeError):
        await run(client.rules.create(["not", "a", "dict"]))


async def test_categories(client: Any, fake: FakeNtropy) -> None:
    default = await run(client.categories.get("consumer"))
    assert isinstance(default, CategorySet)
    assert default.incoming == ["earned income"]
    assert last(fake)[:2] == ("GET", "/v3/categories/consumer")

    new = await run(client.categories.set("consumer", incoming=["salary"], outgoing=["rent", "food"]))
    assert (new.incoming, new.outgoing) == (["salary"], ["rent", "food"])
    assert last(fake) == (
        "POST",
        "/v3/categories/consumer",
        {},
        {"incoming": ["salary"], "outgoing": ["rent", "food"]},
    )

    reset = await run(client.categories.reset("consumer"))
    assert reset.outgoing == ["groceries"]
    assert last(fake)[:2] == ("POST", "/v3/categories/consumer/reset")

    with pytest.raises(TypeError):
        await run(client.categories.set("consumer", incoming="salary", outgoing=[]))
