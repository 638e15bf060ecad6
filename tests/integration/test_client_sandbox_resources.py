"""NtropyClient and AsyncNtropyClient drive every CRUD resource of the sandbox over real HTTP.

Mirrors tests/sandbox/test_sdk_compat.py (the official SDK against the same server) with our client.
Every test runs twice, once per client (the ``kind`` fixture).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from client_sandbox_kit import Harness, collect, run, tx

from ntropy_dagster.client import (
    WEBHOOK_EVENTS,
    AccountHolder,
    BadRequestError,
    EnrichedTransaction,
    InputValidationError,
    Location,
    NotFoundError,
    RecurrenceGroup,
    Transaction,
    TransactionInput,
)


async def test_account_holders_create_get_list_duplicate_delete(client: Any, api: Harness, uid: str) -> None:
    created = await run(client.account_holders.create(f"{uid}-ah", "consumer", name="Jane"))
    assert isinstance(created, AccountHolder)
    assert (created.id, created.type, created.name) == (f"{uid}-ah", "consumer", "Jane")
    assert created.created_at is not None and created.created_at.tzinfo is not None
    assert (await run(client.account_holders.get(f"{uid}-ah"))).name == "Jane"

    listed = await collect(client.account_holders.list(created_after=created.created_at))
    assert [h.id for h in listed] == [f"{uid}-ah"]

    with pytest.raises(BadRequestError) as duplicate:
        await run(client.account_holders.create(f"{uid}-ah", "consumer"))
    assert duplicate.value.status_code == 400
    assert duplicate.value.request_id == api.sent[-1].headers["X-Request-ID"]
    assert "already exists" in duplicate.value.message

    await run(client.account_holders.delete(f"{uid}-ah"))
    with pytest.raises(NotFoundError) as missing:
        await run(client.account_holders.get(f"{uid}-ah"))
    assert missing.value.status_code == 404 and missing.value.request_id


async def test_deleting_an_account_holder_deletes_its_transactions(client: Any, uid: str) -> None:
    await run(client.account_holders.create(f"{uid}-ah", "consumer"))
    await run(client.transactions.create(tx(f"{uid}-t", account_holder_id=f"{uid}-ah")))
    await run(client.account_holders.delete(f"{uid}-ah"))
    with pytest.raises(NotFoundError):
        await run(client.transactions.get(f"{uid}-t"))


async def test_single_transaction_is_enriched_and_stored(client: Any, uid: str) -> None:
    await run(client.account_holders.create(f"{uid}-ah", "consumer"))
    enriched = await run(client.transactions.create(tx(f"{uid}-t", account_holder_id=f"{uid}-ah")))
    assert isinstance(enriched, EnrichedTransaction) and not isinstance(enriched, Transaction)
    assert enriched.id == f"{uid}-t" and enriched.error is None
    counterparty = enriched.entities.counterparty
    assert (counterparty.name, counterparty.website, counterparty.type) == (
        "Netflix",
        "netflix.com",
        "organization",
    )
    assert 4899 in counterparty.mccs
    assert enriched.categories.general == "streaming services"

    stored = await run(client.transactions.get(f"{uid}-t"))
    assert isinstance(stored, Transaction)
    assert (stored.description, stored.date, stored.amount, stored.entry_type, stored.currency) == (
        "NETFLIX.COM",
        dt.date(2024, 1, 1),
        17.99,
        "outgoing",
        "USD",
    )
    assert stored.account_holder_id == f"{uid}-ah"
    assert stored.entities.counterparty.name == "Netflix"
    assert stored.created_at == enriched.created_at

    anonymous = await run(client.transactions.create(tx(f"{uid}-anon")))
    assert anonymous.categories.general == "missing account holder information"


async def test_docs_walkthrough_with_typed_input_and_location(client: Any, uid: str) -> None:
    # Contract §3: "SQ* STARBUCKS 10 Union Sq" is Starbucks paid through Square, a coffee shop.
    await run(client.account_holders.create(f"{uid}-ah", "consumer"))
    transaction = TransactionInput(
        id=f"{uid}-sq",
        description="SQ *STARBUCKS 10 Union Sq",
        date=dt.date(2024, 3, 1),
        amount=4.5,
        entry_type="outgoing",
        currency="USD",
        account_holder_id=f"{uid}-ah",
        location=Location(raw_address="10 Union Sq, New York, NY 10003", country="US"),
    )
    enriched = await run(client.transactions.create(transaction))
    counterparty = enriched.entities.counterparty
    assert (counterparty.id, counterparty.website, counterparty.mccs) == (
        "d4bc3c80-ec1a-3da2-836e-2a4ca4758be5",
        "starbucks.com",
        [5814],
    )
    assert [i.id for i in enriched.entities.intermediaries] == ["916bc837-55ef-3106-88f6-5a8269ca9f2a"]
    assert enriched.entities.intermediaries[0].name == "Square"
    assert enriched.categories.general == "coffee shops"
    structured = enriched.location.structured
    assert (structured.city, structured.state, structured.postcode, structured.country_code) == (
        "New York",
        "NY",
        "10003",
        "US",
    )
    assert isinstance(structured.latitude, float) and isinstance(structured.longitude, float)


async def test_transaction_create_upserts_by_id(client: Any, uid: str) -> None:
    first = await run(client.transactions.create(tx(f"{uid}-t")))
    second = await run(
        client.transactions.create(tx(f"{uid}-t", description="SPOTIFY USA", amount=9.99, date="2024-02-01"))
    )
    assert second.created_at > first.created_at
    assert second.entities.counterparty.name == "Spotify"
    stored = await run(client.transactions.get(f"{uid}-t"))
    assert (stored.description, stored.amount, stored.date) == ("SPOTIFY USA", 9.99, dt.date(2024, 2, 1))
    since = await collect(client.transactions.list(created_after=first.created_at))
    assert [t.id for t in since].count(f"{uid}-t") == 1


async def test_transaction_list_pages_and_time_filters(client: Any, api: Harness, uid: str) -> None:
    holder = f"{uid}-ah"
    await run(client.account_holders.create(holder, "consumer"))
    created = [
        await run(client.transactions.create(tx(f"{uid}-{i}", account_holder_id=holder, amount=1.0 + i)))
        for i in range(7)
    ]
    newest_first = [f"{uid}-{i}" for i in reversed(range(7))]

    pages = await collect(client.transactions.list(account_holder_id=holder, limit=2).pages())
    assert [len(page.data) for page in pages] == [2, 2, 2, 1]
    assert all(page.next_cursor for page in pages[:-1]) and pages[-1].next_cursor is None
    assert [t.id for page in pages for t in page.data] == newest_first
    assert await collect(client.transactions.list(account_holder_id=holder, limit=2)) == [
        t for page in pages for t in page.data
    ]

    # created_after is inclusive, created_before exclusive; both must hold on every page.
    api.sent.clear()
    window = client.transactions.list(
        account_holder_id=holder,
        created_after=created[2].created_at,
        created_before=created[6].created_at,
        limit=2,
    )
    assert [t.id for t in await collect(window)] == [f"{uid}-{i}" for i in (5, 4, 3, 2)]
    listed = api.sent_to("/v3/transactions")
    assert len(listed) == 2 and "cursor" in listed[1].url.params
    assert all({"created_after", "created_before"} <= set(r.url.params) for r in listed)

    older = client.transactions.list(account_holder_id=holder, created_before=created[3].created_at, limit=2)
    assert [t.id for t in await collect(older)] == [f"{uid}-{i}" for i in (2, 1, 0)]


async def test_assign_and_delete_transaction(client: Any, uid: str) -> None:
    for name, kind in (("a", "consumer"), ("b", "consumer"), ("biz", "business")):
        await run(client.account_holders.create(f"{uid}-{name}", kind))
    await run(client.transactions.create(tx(f"{uid}-t", account_holder_id=f"{uid}-a")))

    moved = await run(client.transactions.assign(f"{uid}-t", f"{uid}-b"))
    assert isinstance(moved, Transaction) and moved.account_holder_id == f"{uid}-b"
    assert (await run(client.transactions.get(f"{uid}-t"))).account_holder_id == f"{uid}-b"
    listed = await collect(client.transactions.list(account_holder_id=f"{uid}-b"))
    assert [t.id for t in listed] == [f"{uid}-t"]

    with pytest.raises(BadRequestError):  # a consumer's transaction cannot go to a business
        await run(client.transactions.assign(f"{uid}-t", f"{uid}-biz"))
    with pytest.raises(NotFoundError):
        await run(client.transactions.assign(f"{uid}-t", f"{uid}-nobody"))

    await run(client.transactions.delete(f"{uid}-t"))
    with pytest.raises(NotFoundError):
        await run(client.transactions.get(f"{uid}-t"))
    with pytest.raises(NotFoundError):
        await run(client.transactions.delete(f"{uid}-t"))


async def test_recurring_groups_monthly_and_bi_weekly(client: Any, uid: str) -> None:
    await run(client.account_holders.create(f"{uid}-r", "consumer"))
    for month in range(1, 7):
        await run(
            client.transactions.create(
                tx(f"{uid}-n{month}", date=f"2024-{month:02d}-01", account_holder_id=f"{uid}-r")
            )
        )
    groups = await run(client.account_holders.recurring_groups(f"{uid}-r"))
    assert len(groups) == 1
    (group,) = groups
    assert isinstance(group, RecurrenceGroup) and group.request_id
    assert group.periodicity == "monthly"
    assert sorted(group.transaction_ids) == sorted(f"{uid}-n{m}" for m in range(1, 7))
    assert group.counterparty.website == "netflix.com" and group.counterparty.type == "organization"
    assert group.total_amount == pytest.approx(6 * 17.99)
    assert (group.start_date, group.end_date) == (dt.date(2024, 1, 1), dt.date(2024, 6, 1))

    await run(client.account_holders.create(f"{uid}-s", "consumer"))
    start = dt.date(2024, 1, 5)
    for i in range(8):
        day = (start + dt.timedelta(days=14 * i)).isoformat()
        salary = tx(f"{uid}-p{i}", description="ACME CORP PAYROLL", entry_type="incoming", amount=2500)
        await run(client.transactions.create({**salary, "date": day, "account_holder_id": f"{uid}-s"}))
    (salary_group,) = await run(client.account_holders.recurring_groups(f"{uid}-s"))
    assert salary_group.periodicity == "bi-weekly"
    assert salary_group.entry_type == "incoming" and len(salary_group.transaction_ids) == 8

    with pytest.raises(NotFoundError):
        await run(client.account_holders.recurring_groups(f"{uid}-nobody"))


async def test_entities_resolve_and_get(client: Any, api: Harness) -> None:
    by_website = await run(client.entities.resolve(website="netflix.com"))
    by_name = await run(client.entities.resolve(name="Netflix"))
    assert by_website.id and by_website.id == by_name.id
    assert (by_website.name, by_website.logo) == ("Netflix", "https://logos.ntropy.com/netflix.com")
    fetched = await run(client.entities.get(by_website.id))
    assert fetched.model_dump() == by_website.model_dump()
    with pytest.raises(NotFoundError):
        await run(client.entities.get("00000000-0000-0000-0000-000000000000"))
    with pytest.raises(NotFoundError):
        await run(client.entities.resolve(name="Zzqx Unknown Thing"))

    sent = len(api.sent)
    with pytest.raises(InputValidationError):  # name and website are mutually exclusive
        await run(client.entities.resolve(name="Netflix", website="netflix.com"))
    assert len(api.sent) == sent


async def test_webhooks_create_get_list_update_delete(client: Any, api: Harness, uid: str) -> None:
    url = f"http://127.0.0.1:9/{uid}"
    hook = await run(client.webhooks.create(url=url, events=["batches.completed"], token="t0"))
    assert (hook.url, hook.events, hook.token, hook.enabled) == (url, ["batches.completed"], "t0", True)
    assert (await run(client.webhooks.get(hook.id))).url == url
    assert hook.id in {w.id for w in await collect(client.webhooks.list())}

    updated = await run(
        client.webhooks.update(
            hook.id, events=["batches.completed", "batches.error"], enabled=False, token=None
        )
    )
    assert updated is not None and updated.id == hook.id
    fetched = await run(client.webhooks.get(hook.id))
    assert (fetched.events, fetched.enabled, fetched.token, fetched.url) == (
        ["batches.completed", "batches.error"],
        False,
        None,
        url,
    )
    patch = api.sent_to(f"/v3/webhooks/{hook.id}")[-2]
    assert patch.method == "PATCH" and b'"url"' not in patch.content  # only the given fields are sent

    await run(client.webhooks.delete(hook.id))
    with pytest.raises(NotFoundError):
        await run(client.webhooks.get(hook.id))

    sent = len(api.sent)
    with pytest.raises(InputValidationError):  # the docs' "batches.finished" is not an event name
        await run(client.webhooks.create(url=url, events=["batches.finished"]))
    assert len(api.sent) == sent and "batches.finished" not in WEBHOOK_EVENTS


async def test_reports_create_get_list_delete(client: Any, admin: httpx.Client, uid: str) -> None:
    report = await run(
        client.reports.create(
            transaction_id=f"{uid}-t", description="wrong merchant", fields=[".entities.counterparty"]
        )
    )
    assert (report.status, report.transaction_id, report.fields) == (
        "open",
        f"{uid}-t",
        [".entities.counterparty"],
    )
    assert (await run(client.reports.get(report.id))).description == "wrong merchant"
    assert report.id in {r.id for r in await collect(client.reports.list(status="open"))}
    assert report.id not in {r.id for r in await collect(client.reports.list(status="rejected"))}

    rejected = {"status": "rejected", "rejection_reason": "the merchant is right"}
    admin.post(f"/_sandbox/reports/{report.id}/status", json=rejected).raise_for_status()
    fetched = await run(client.reports.get(report.id))
    assert (fetched.status, fetched.rejection_reason) == ("rejected", "the merchant is right")
    assert report.id in {r.id for r in await collect(client.reports.list(status="rejected"))}
    assert report.id not in {r.id for r in await collect(client.reports.list(status="open"))}
    await run(client.reports.delete(report.id))
    with pytest.raises(NotFoundError):
        await run(client.reports.get(report.id))


async def test_categories_get_set_reset(client: Any, uid: str) -> None:
    defaults = await run(client.categories.get("consumer"))
    assert "streaming services" in defaults.outgoing and "salary" in defaults.incoming

    custom_id = f"{uid}-set"
    custom = await run(
        client.categories.set(custom_id, incoming=["salary", "refunds"], outgoing=["streaming", "coffee"])
    )
    assert (custom.incoming, custom.outgoing) == (["salary", "refunds"], ["streaming", "coffee"])
    fetched = await run(client.categories.get(custom_id))
    assert fetched.model_dump() == custom.model_dump()

    await run(client.account_holders.create(f"{uid}-c", "consumer", category_id=custom_id))
    netflix = await run(client.transactions.create(tx(f"{uid}-n", account_holder_id=f"{uid}-c")))
    coffee = await run(
        client.transactions.create(
            tx(f"{uid}-s", description="STARBUCKS 123", amount=5, account_holder_id=f"{uid}-c")
        )
    )
    assert (netflix.categories.general, coffee.categories.general) == ("streaming", "coffee")

    emptied = await run(client.categories.reset(custom_id))
    assert (emptied.incoming, emptied.outgoing) == ([], [])
    with pytest.raises(NotFoundError):
        await run(client.categories.get(custom_id))
    restored = await run(client.categories.reset("consumer"))
    assert restored.model_dump() == defaults.model_dump()
