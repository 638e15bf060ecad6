"""Error mapping and request ids, end to end: what the sandbox answers is what the client raises/returns."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from client_sandbox_kit import Harness, collect, run, tx

from ntropy_dagster.client import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    NotFoundError,
    RetryPolicy,
    UnprocessableEntityError,
)


async def test_wrong_api_key_raises_authentication_error(harnesses: Callable[..., Harness]) -> None:
    intruder = harnesses(api_key="not-a-configured-key")
    with pytest.raises(AuthenticationError) as denied:
        await collect(intruder.client.batches.list())
    error = denied.value
    assert error.status_code == 401 and error.message == "Invalid API key"
    (request,) = intruder.sent  # a 401 is not retried
    assert error.request_id == request.headers["X-Request-ID"]
    assert error.method == "GET" and error.path == "/v3/batches"
    assert "not-a-configured-key" not in str(error) + repr(error)


async def test_unknown_batch_raises_not_found_with_request_id(client: Any, api: Harness) -> None:
    with pytest.raises(NotFoundError) as missing:
        await run(client.batches.get("no-such-batch"))
    error = missing.value
    assert (error.status_code, error.path) == (404, "/v3/batches/no-such-batch")
    assert "not found" in error.message
    assert error.request_id == api.sent[-1].headers["X-Request-ID"]
    assert error.body == {"detail": error.message}


async def test_request_id_sent_comes_back_on_every_model(client: Any, api: Harness, uid: str) -> None:
    results = [
        await run(client.account_holders.create(f"{uid}-ah", "consumer")),
        await run(client.account_holders.get(f"{uid}-ah")),
        await run(client.transactions.create(tx(f"{uid}-t", account_holder_id=f"{uid}-ah"))),
        await run(client.transactions.get(f"{uid}-t")),
        (await collect(client.transactions.list(account_holder_id=f"{uid}-ah").pages()))[0],
        await run(client.categories.get("consumer")),
        await run(client.entities.resolve(website="netflix.com")),
    ]
    assert len(api.sent) == len(results) == len(api.traffic.received)
    sent_ids = [request.headers["X-Request-ID"] for request in api.sent]
    assert len(set(sent_ids)) == len(sent_ids)  # a fresh id per call
    assert [response.headers["X-Request-ID"] for response in api.traffic.received] == sent_ids  # echoed
    assert [model.request_id for model in results] == sent_ids


async def test_server_side_422_for_values_the_client_lets_through(client: Any, api: Harness) -> None:
    # The client does not police list page sizes or webhook URL schemes; the sandbox does.
    with pytest.raises(UnprocessableEntityError) as bad_limit:
        await collect(client.transactions.list(limit=0))
    assert [e["loc"] for e in bad_limit.value.field_errors] == [["query", "limit"]]
    assert bad_limit.value.request_id == api.sent[-1].headers["X-Request-ID"]

    with pytest.raises(UnprocessableEntityError) as bad_url:
        await run(client.webhooks.create(url="ftp://127.0.0.1/hook", events=["batches.completed"]))
    assert [e["loc"] for e in bad_url.value.field_errors] == [["body", "url"]]
    assert "url: " in bad_url.value.message


async def test_closed_port_raises_connection_error_after_retries(harnesses: Callable[..., Harness]) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    harness = harnesses(
        base_url=f"http://127.0.0.1:{port}",
        retry=RetryPolicy(max_attempts=3, jitter=False),
        real_sleep=False,
    )
    with pytest.raises(APIConnectionError) as refused:
        await run(harness.client.batches.get("x"))
    assert isinstance(refused.value, APIError) and refused.value.status_code is None
    assert (refused.value.method, refused.value.path) == ("GET", "/v3/batches/x")
    assert refused.value.request_id == harness.sent[0].headers["X-Request-ID"]
    assert len(harness.sent) == 3 and harness.sleeps.seconds == [0.5, 1.0]
