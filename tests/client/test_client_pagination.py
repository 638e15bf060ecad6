"""Cursor pagination: every filter on every page, stop on a null cursor, skip empty intermediate pages."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest
from ntropy_client_testkit import FakeTime, close, collect, make_client, run

from ntropy_dagster.client import Batch, NtropyError, Page

AFTER = datetime(2024, 1, 1, tzinfo=timezone.utc)
BEFORE = datetime(2024, 2, 1, 12, 30, tzinfo=timezone.utc)


class PagedServer:
    """Serves fixed pages keyed by cursor and records the query of every request."""

    def __init__(self, pages: dict[str | None, tuple[list[str], str | None]]) -> None:
        self.pages = pages
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.queries.append(params)
        ids, next_cursor = self.pages[params.get("cursor")]
        data = [{"id": i, "status": "completed", "total": 1, "progress": 1} for i in ids]
        return httpx.Response(
            200, json={"next_cursor": next_cursor, "data": data}, headers={"X-Request-ID": "p"}
        )


@pytest.fixture
def three_pages() -> PagedServer:
    return PagedServer(
        {
            None: (["a", "b"], "c1"),
            "c1": (["c", "d"], "c2"),
            "c2": ([], "c3"),  # an empty page that is not the last one
            "c3": (["e"], None),
        }
    )


async def test_filters_kept_on_every_page(kind: str, fake_time: FakeTime, three_pages: PagedServer) -> None:
    client = make_client(kind, three_pages, fake_time)
    batches = await collect(
        client.batches.list(status="completed", created_after=AFTER, created_before=BEFORE, limit=2)
    )
    await close(client)
    assert [b.id for b in batches] == ["a", "b", "c", "d", "e"]
    assert all(isinstance(b, Batch) for b in batches)
    assert [q.get("cursor") for q in three_pages.queries] == [None, "c1", "c2", "c3"]
    for query in three_pages.queries:
        assert query["status"] == "completed"
        assert query["created_after"] == "2024-01-01T00:00:00+00:00"
        assert query["created_before"] == "2024-02-01T12:30:00+00:00"
        assert query["limit"] == "2"


async def test_pages_iteration(kind: str, fake_time: FakeTime, three_pages: PagedServer) -> None:
    client = make_client(kind, three_pages, fake_time)
    pages = await collect(client.transactions.list(account_holder_id="ah").pages())
    await close(client)
    assert [p.next_cursor for p in pages] == ["c1", "c2", "c3", None]
    assert [len(p.data) for p in pages] == [2, 2, 0, 1]
    assert all(isinstance(p, Page) and p.request_id == "p" for p in pages)
    assert all(q["account_holder_id"] == "ah" for q in three_pages.queries)


async def test_iteration_is_lazy(kind: str, fake_time: FakeTime, three_pages: PagedServer) -> None:
    client = make_client(kind, three_pages, fake_time)
    paginator = client.reports.list(status="open")
    assert three_pages.queries == []  # nothing fetched until iterated
    if kind == "sync":
        first = next(iter(paginator))
    else:
        first = await paginator.__aiter__().__anext__()
    assert first.id == "a"
    assert len(three_pages.queries) == 1
    await close(client)


async def test_to_list(kind: str, fake_time: FakeTime, three_pages: PagedServer) -> None:
    client = make_client(kind, three_pages, fake_time)
    items = await run(client.bank_statements.list().to_list())
    await close(client)
    assert len(items) == 5


async def test_single_page_and_missing_cursor_key(kind: str, fake_time: FakeTime) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": "w", "url": "https://x", "events": []}]})

    client = make_client(kind, handler, fake_time)
    hooks = await collect(client.webhooks.list())
    await close(client)
    assert [h.id for h in hooks] == ["w"]


async def test_cursor_that_does_not_advance_is_an_error(kind: str, fake_time: FakeTime) -> None:
    server = PagedServer({None: (["a"], "same"), "same": ([], "same")})
    client = make_client(kind, server, fake_time)
    with pytest.raises(NtropyError, match="did not advance"):
        await collect(client.batches.list())
    await close(client)
    assert len(server.queries) == 2


async def test_page_requests_are_retried(kind: str, fake_time: FakeTime, three_pages: PagedServer) -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 2:
            return httpx.Response(503)
        return three_pages(request)

    client = make_client(kind, flaky, fake_time)
    items = await collect(client.batches.list(created_before=BEFORE))
    await close(client)
    assert len(items) == 5
    assert fake_time.sleeps == [0.5]
