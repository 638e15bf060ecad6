"""Transport: headers, request ids, timeouts, base URLs, connection pooling, ASGI/WSGI transports, imports."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from typing import Any

import httpx
import msgspec
import pytest
from ntropy_client_testkit import FakeTime, close, make_client, run
from ntropy_fake_api import API_KEY, FakeNtropy

from ntropy_dagster._version import __version__
from ntropy_dagster.client import (
    EU_BASE_URL,
    US_BASE_URL,
    APIResponseValidationError,
    AsyncNtropyClient,
    NtropyClient,
)


async def test_headers_on_every_request(client: Any, fake: FakeNtropy) -> None:
    await run(client.categories.get("consumer"))
    await run(client.categories.get("business"))
    first, second = fake.requests
    for request in fake.requests:
        assert request.headers["X-Api-Key"] == API_KEY
        assert request.headers["User-Agent"] == (
            f"ntropy-dagster/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
        )
        assert request.headers["Accept"] == "application/json"
        request_id = request.headers["X-Request-ID"]
        assert len(request_id) == 32 and int(request_id, 16) >= 0  # uuid4 hex
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


async def test_response_request_id_preferred(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(
        httpx.Response(200, json={"incoming": [], "outgoing": []}, headers={"X-Request-ID": "server-id"})
    )
    result = await run(client.categories.get("consumer"))
    assert result.request_id == "server-id"


def test_base_urls_and_region() -> None:
    assert (US_BASE_URL, EU_BASE_URL) == ("https://api.ntropy.com", "https://api.eu.ntropy.com")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"incoming": [], "outgoing": []})

    transport = httpx.MockTransport(handler)
    for kwargs in ({}, {"region": "eu"}, {"base_url": "http://127.0.0.1:8000/"}):
        with NtropyClient(api_key="k", transport=transport, **kwargs) as client:
            client.categories.get("consumer")
    assert seen == [
        "https://api.ntropy.com/v3/categories/consumer",
        "https://api.eu.ntropy.com/v3/categories/consumer",
        "http://127.0.0.1:8000/v3/categories/consumer",
    ]
    with pytest.raises(ValueError, match="region"):
        NtropyClient(api_key="k", region="asia")  # type: ignore[arg-type]


def test_timeouts_are_explicit() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={"incoming": [], "outgoing": []})

    with NtropyClient(api_key="k", timeout=45.0, transport=httpx.MockTransport(handler)) as client:
        client.categories.get("consumer")
        assert client.timeout == httpx.Timeout(45.0, connect=10.0)
    custom = httpx.Timeout(5.0, read=600.0)
    with NtropyClient(api_key="k", timeout=custom, transport=httpx.MockTransport(handler)) as client:
        client.categories.get("consumer")
    assert seen == [
        {"connect": 10.0, "read": 45.0, "write": 45.0, "pool": 45.0},
        {"connect": 5.0, "read": 600.0, "write": 5.0, "pool": 5.0},
    ]


def test_one_connection_pool_per_client(fake: FakeNtropy) -> None:
    client = NtropyClient(api_key=API_KEY, transport=httpx.MockTransport(fake))
    pool = client._http
    assert isinstance(pool, httpx.Client)
    client.categories.get("consumer")
    client.batches.list().to_list()
    assert client._http is pool and not pool.is_closed
    with client:
        pass
    assert pool.is_closed


async def test_async_client_context_manager(fake: FakeNtropy) -> None:
    async with AsyncNtropyClient(api_key=API_KEY, transport=httpx.MockTransport(fake)) as client:
        assert isinstance(client._http, httpx.AsyncClient)
        await client.categories.get("consumer")
    assert client._http.is_closed


async def test_async_sleep_may_be_a_coroutine(fake: FakeNtropy) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = AsyncNtropyClient(api_key=API_KEY, transport=httpx.MockTransport(fake), sleep=sleep)
    fake.fail_next(httpx.Response(429, headers={"Retry-After": "2"}))
    await client.categories.get("consumer")
    await client.close()
    assert slept == [2.0]


def _wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = json.dumps({"incoming": ["wsgi"], "outgoing": [environ["HTTP_X_REQUEST_ID"]]}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


async def _asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    headers = dict(scope["headers"])
    body = json.dumps({"incoming": ["asgi"], "outgoing": [headers[b"x-request-id"].decode()]}).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


async def test_wsgi_and_asgi_transports() -> None:
    with NtropyClient(
        api_key="k", base_url="http://sandbox", transport=httpx.WSGITransport(app=_wsgi_app)
    ) as sync:
        result = sync.categories.get("consumer")
    assert result.incoming == ["wsgi"] and len(result.outgoing[0]) == 32
    async with AsyncNtropyClient(
        api_key="k", base_url="http://sandbox", transport=httpx.ASGITransport(app=_asgi_app)
    ) as client:
        result = await client.categories.get("consumer")
    assert result.incoming == ["asgi"] and len(result.outgoing[0]) == 32


def test_sync_and_async_share_resource_code() -> None:
    sync = NtropyClient(api_key="k", transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    asyn = AsyncNtropyClient(api_key="k", transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert type(sync.batches) is type(asyn.batches)
    assert sync.batches.create.__wrapped__ is asyn.batches.create.__wrapped__
    sync.close()


def test_import_has_no_framework_dependencies() -> None:
    code = (
        "import sys, ntropy_dagster.client\n"
        "bad = {'dagster', 'sqlalchemy', 'pandas'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_results_records_fast_path(kind: str, fake: FakeNtropy, fake_time: FakeTime) -> None:
    import time

    import orjson

    record = {
        "id": "x",
        "created_at": "2024-01-01T00:00:00.000000+00:00",
        "entities": {
            "counterparty": {
                "id": "e",
                "name": "Starbucks",
                "website": "starbucks.com",
                "logo": "https://l/s",
                "mccs": [5814],
                "type": "organization",
            },
            "intermediaries": [{"id": "i", "name": "Square", "website": "squareup.com", "mccs": []}],
        },
        "categories": {"general": "coffee shops", "accounting": None},
        "location": {"raw_address": "10 Union Sq", "structured": {"city": "New York", "country_code": "US"}},
        "error": None,
    }
    results = [{**record, "id": f"t{i}"} for i in range(24_960)]
    body = orjson.dumps({"id": "b", "total": len(results), "status": "completed", "results": results})
    fake.fail_next(httpx.Response(200, content=body, headers={"Content-Type": "application/json"}))
    client = make_client(kind, fake, fake_time)
    started = time.process_time()  # CPU time: robust to other processes sharing the machine
    records = await run(client.batches.results_records("b"))
    elapsed = time.process_time() - started
    await close(client)
    assert len(records) == 24_960 and records[-1]["id"] == "t24959"
    assert records[0]["entities"]["intermediaries"][0]["name"] == "Square"
    assert 24_960 / elapsed > 20_000  # the pipeline's target; orjson alone is far above it


class _Row(msgspec.Struct):
    id: str
    amount: float


class _Results(msgspec.Struct):
    results: list[_Row]


async def test_results_decoded_hands_the_body_to_the_decoder(
    kind: str, fake: FakeNtropy, fake_time: FakeTime
) -> None:
    decoder = msgspec.json.Decoder(_Results)
    good = b'{"results": [{"id": "a", "amount": 1.5, "other": {"skipped": true}}]}'
    bad = b'{"results": [{"id": "a", "amount": 1.5}, {"id": "b", "amount": "lots"}]}'
    fake.fail_next(
        httpx.Response(200, content=good, headers={"X-Request-ID": "req-good"}),
        httpx.Response(200, content=bad, headers={"X-Request-ID": "req-bad"}),
    )
    client = make_client(kind, fake, fake_time)
    try:
        decoded = await run(client.batches.results_decoded("b1", decoder.decode))
        assert decoded == _Results([_Row("a", 1.5)])
        # A body off the decoder's schema is an API response that does not parse: the error names the
        # field, the endpoint and the response's request id.
        with pytest.raises(APIResponseValidationError) as caught:
            await run(client.batches.results_decoded("b2", decoder.decode))
    finally:
        await close(client)
    error = caught.value
    assert error.request_id == "req-bad"
    assert error.path == "/v3/batches/b2/results"
    assert "$.results[1].amount" in str(error)
