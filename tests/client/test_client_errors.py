"""Typed errors per status, their one-line messages, and that the API key never leaks."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from ntropy_client_testkit import FakeTime, close, make_client, run
from ntropy_fake_api import API_KEY, BASE_URL, FakeNtropy

from ntropy_dagster.client import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncNtropyClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    NtropyClient,
    NtropyError,
    OutOfCreditsError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    TransactionValidationError,
    UnprocessableEntityError,
)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLargeError),
        (422, UnprocessableEntityError),
        (423, OutOfCreditsError),
        (429, RateLimitError),
        (500, InternalServerError),
        (501, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (418, APIError),
    ],
)
async def test_status_maps_to_error_class(
    kind: str, fake: FakeNtropy, fake_time: FakeTime, code: int, error: type[APIError]
) -> None:
    client = make_client(kind, fake, fake_time, retry=RetryPolicy(max_attempts=1))
    fake.fail_next(httpx.Response(code, json={"detail": "it went wrong"}, headers={"X-Request-ID": "req-42"}))
    with pytest.raises(error) as info:
        await run(client.batches.get("b-1"))
    await close(client)
    exc = info.value
    assert type(exc) is error
    assert isinstance(exc, NtropyError)
    assert (exc.status_code, exc.method, exc.path, exc.request_id) == (
        code,
        "GET",
        "/v3/batches/b-1",
        "req-42",
    )
    assert exc.body == {"detail": "it went wrong"}
    assert exc.message == "it went wrong"
    text = str(exc)
    assert "\n" not in text
    assert text.startswith(f"{code} ")
    assert text.endswith("GET /v3/batches/b-1: it went wrong (request id req-42)")


def test_error_message_format_examples() -> None:
    exc = NotFoundError(
        status_code=404,
        method="GET",
        path="/v3/batches/x",
        body={"detail": "Batch not found"},
        request_id="r1",
    )
    assert str(exc) == "404 Not Found: GET /v3/batches/x: Batch not found (request id r1)"
    legacy = BadRequestError(
        status_code=400, method="POST", path="/v3/account_holders", body={"details": "dup"}
    )
    assert str(legacy) == "400 Bad Request: POST /v3/account_holders: dup (request id None)"
    assert "dup" in repr(legacy) and "BadRequestError" in repr(legacy)


def test_transport_and_parse_error_message_format() -> None:
    # Transport and parse failures are APIErrors (one ``except APIError`` per failed call) whose messages
    # and reprs kept their own format: no status for a call that got no response.
    refused = APIConnectionError("ConnectError: refused", method="GET", path="/v3/batches/x", request_id="r2")
    assert isinstance(refused, APIError) and refused.status_code is None and refused.body is None
    assert str(refused) == "GET /v3/batches/x: ConnectError: refused (request id r2)"
    assert repr(refused) == f"APIConnectionError({str(refused)!r})"
    assert refused.args == (str(refused),)
    slow = APITimeoutError("ReadTimeout: slow", method="POST", path="/v3/batches")
    assert isinstance(slow, APIConnectionError) and slow.status_code is None
    assert str(slow) == "POST /v3/batches: ReadTimeout: slow (request id None)"
    unparsed = APIResponseValidationError(
        "Batch: id: Field required", method="GET", path="/v3/batches/x", request_id="r3", status_code=200
    )
    assert isinstance(unparsed, APIError) and unparsed.status_code == 200
    assert (
        str(unparsed) == "GET /v3/batches/x: unexpected response: Batch: id: Field required (request id r3)"
    )
    assert repr(unparsed) == f"APIResponseValidationError({str(unparsed)!r})"
    bare = APIError(status_code=None, method="GET", path="/v3/x", message="no answer", request_id="r4")
    assert str(bare) == "GET /v3/x: no answer (request id r4)"


async def test_422_field_errors(client: Any, fake: FakeNtropy) -> None:
    detail = [
        {
            "loc": ["body", "data", 3, "amount"],
            "msg": "Input should be greater than or equal to 0",
            "type": "greater_than_equal",
        },
        {"loc": ["query", "limit"], "msg": "Input should be greater than 0", "type": "greater_than"},
    ]
    fake.fail_next(httpx.Response(422, json={"detail": detail}))
    with pytest.raises(UnprocessableEntityError) as info:
        await run(client.batches.get("b"))
    exc = info.value
    assert exc.field_errors == detail
    assert "body.data[3].amount: Input should be greater than or equal to 0" in str(exc)
    assert "query.limit: Input should be greater than 0" in str(exc)


async def test_non_json_error_body(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(httpx.Response(404, text="<html>gateway says no</html>"))
    with pytest.raises(NotFoundError) as info:
        await run(client.batches.get("b"))
    assert info.value.body == "<html>gateway says no</html>"
    assert "gateway says no" in str(info.value)


async def test_unparseable_success_body(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(httpx.Response(200, json={"unexpected": True}, headers={"X-Request-ID": "r-9"}))
    with pytest.raises(
        APIResponseValidationError, match=r"Batch: id: Field required .*request id r-9"
    ) as info:
        await run(client.batches.get("b"))
    # An API error of the call: the response's status, method, path and request id.
    assert isinstance(info.value, APIError)
    assert (info.value.status_code, info.value.method, info.value.path, info.value.request_id) == (
        200,
        "GET",
        "/v3/batches/b",
        "r-9",
    )
    assert len(fake.requests) == 1  # a response that does not parse is not retried


async def test_wrong_api_key_is_authentication_error(
    kind: str, fake: FakeNtropy, fake_time: FakeTime
) -> None:
    cls = NtropyClient if kind == "sync" else AsyncNtropyClient
    client = cls(api_key="wrong-key", base_url=BASE_URL, transport=httpx.MockTransport(fake))
    with pytest.raises(AuthenticationError, match="401 Unauthorized: GET /v3/batches/b: Invalid API key"):
        await run(client.batches.get("b"))
    await close(client)


def test_missing_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NTROPY_API_KEY", raising=False)
    with pytest.raises(NtropyError, match="no API key"):
        NtropyClient()
    monkeypatch.setenv("NTROPY_API_KEY", "from-env")
    with NtropyClient() as client:
        assert client._api_key.get() == "from-env"


async def test_api_key_never_leaks(
    kind: str, fake: FakeNtropy, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx/httpcore debug logs included
    client = make_client(kind, fake, fake_time, retry=RetryPolicy(max_attempts=2, jitter=False))
    errors: list[BaseException] = []
    # A server that echoes the key back in its error body must not get it into our messages either.
    fake.fail_next(
        httpx.Response(400, json={"detail": f"bad key {API_KEY}"}),
        # A GET is retried on 500 too: both attempts fail.
        *[httpx.Response(500, text=f"crash dump X-Api-Key: {API_KEY}") for _ in range(2)],
        httpx.ConnectError(f"cannot connect with {API_KEY}"),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ReadTimeout("slow"),
        *[httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "1"}) for _ in range(2)],
    )
    for _ in range(5):
        with pytest.raises(NtropyError) as info:
            await run(client.batches.get("b"))
        errors.append(info.value)
    with pytest.raises(NtropyError) as info:
        await run(client.transactions.create({"id": "t", "amount": -1}))
    errors.append(info.value)
    await run(client.categories.get("consumer"))
    assert [type(e) for e in errors] == [
        BadRequestError,
        InternalServerError,
        APIConnectionError,
        APITimeoutError,
        RateLimitError,
        TransactionValidationError,
    ]
    assert [isinstance(e, APIError) for e in errors] == [True] * 5 + [False]
    assert "bad key ***" in str(errors[0])
    assert errors[0].body == {"detail": "bad key ***"}

    texts = [repr(client), str(client), repr(client.batches), repr(client._api_key)]
    for exc in errors:
        texts += [str(exc), repr(exc), str(getattr(exc, "body", "")), str(getattr(exc, "message", ""))]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    assert any(record.name == "ntropy_dagster.client" for record in caplog.records)
    for text in texts:
        assert API_KEY not in text
    await close(client)


async def test_debug_log_lines(client: Any, fake: FakeNtropy, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ntropy_dagster.client")
    fake.fail_next(httpx.Response(503))
    await run(client.categories.get("consumer"))
    lines = [r.getMessage() for r in caplog.records if r.name == "ntropy_dagster.client"]
    request_id = fake.requests[0].headers["X-Request-ID"]
    assert len(lines) == 2
    assert lines[0].startswith(f"GET /v3/categories/consumer -> 503 (request id {request_id}, attempt 1,")
    assert lines[1].startswith(f"GET /v3/categories/consumer -> 200 (request id {request_id}, attempt 2,")
