"""Helpers for the client-against-sandbox integration tests (tests/integration is on sys.path).

The clients under test talk real HTTP to a uvicorn sandbox on 127.0.0.1. Two thin wrappers around httpx's
own HTTP transports record every request that really went out and every response that came back (to check
request ids, retries, and that client-side validation sent nothing); a :class:`SleepLog` records (and
optionally performs) the client's sleeps.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ntropy_dagster.client import AsyncNtropyClient, NtropyClient, RetryPolicy

KEY = "integration-key"
"""The API key most tests use."""

RULES_KEY = "integration-rules-key"
"""A key of its own for the rules tests: a ruleset applies to every enrichment of its key."""

KEYS = (KEY, RULES_KEY)

Client = NtropyClient | AsyncNtropyClient

# The sandbox speaks plain HTTP on 127.0.0.1; skipping the TLS context saves loading the CA bundle
# (tens of milliseconds) for every client a test creates.
_VERIFY_TLS = False


@dataclass
class Traffic:
    """What went over the wire: requests in sending order, and the responses received for them."""

    sent: list[httpx.Request] = field(default_factory=list)
    received: list[httpx.Response] = field(default_factory=list)


class RecordingTransport(httpx.BaseTransport):
    """``httpx.HTTPTransport`` (real sockets) recording every request and response in ``traffic``."""

    def __init__(self, traffic: Traffic) -> None:
        self._inner = httpx.HTTPTransport(verify=_VERIFY_TLS)
        self._traffic = traffic

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._traffic.sent.append(request)
        response = self._inner.handle_request(request)
        self._traffic.received.append(response)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncHTTPTransport`` (real sockets) recording every request and response in ``traffic``."""

    def __init__(self, traffic: Traffic) -> None:
        self._inner = httpx.AsyncHTTPTransport(verify=_VERIFY_TLS)
        self._traffic = traffic

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._traffic.sent.append(request)
        response = await self._inner.handle_async_request(request)
        self._traffic.received.append(response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class SleepLog:
    """The client's ``sleep=``: records every requested delay; really sleeps only when ``real``."""

    is_async: bool
    real: bool = True
    seconds: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> Awaitable[None] | None:
        self.seconds.append(seconds)
        if not self.real:
            return None
        if self.is_async:
            return asyncio.sleep(seconds)
        time.sleep(seconds)
        return None


@dataclass
class Harness:
    """A client plus its traffic and the sleeps it asked for."""

    client: Any
    traffic: Traffic
    sleeps: SleepLog

    @property
    def sent(self) -> list[httpx.Request]:
        """Every request sent, in order."""
        return self.traffic.sent

    def sent_to(self, path: str) -> list[httpx.Request]:
        """The requests that went to ``path`` (query string ignored)."""
        return [r for r in self.traffic.sent if r.url.path == path]

    def statuses(self, path: str, method: str | None = None) -> list[int]:
        """Status codes of the responses received from ``path`` (and ``method``, if given), in order."""
        return [
            r.status_code
            for r in self.traffic.received
            if r.request.url.path == path and method in (None, r.request.method)
        ]


def new_harness(
    kind: str, base_url: str, api_key: str = KEY, *, retry: RetryPolicy | None = None, real_sleep: bool = True
) -> Harness:
    """A sync (``kind="sync"``) or async client pointed at ``base_url``, recording requests and sleeps."""
    traffic = Traffic()
    is_async = kind == "async"
    sleeps = SleepLog(is_async=is_async, real=real_sleep)
    options: dict[str, Any] = {"base_url": base_url, "retry": retry, "sleep": sleeps, "timeout": 30.0}
    if is_async:
        client: Client = AsyncNtropyClient(api_key, transport=AsyncRecordingTransport(traffic), **options)
    else:
        client = NtropyClient(api_key, transport=RecordingTransport(traffic), **options)
    return Harness(client, traffic, sleeps)


async def run(value: Any) -> Any:
    """The result of a client call: awaited when the async client returned an awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


async def collect(items: Iterable[Any] | Any) -> list[Any]:
    """Everything a sync or async paginator (or its ``.pages()``) yields."""
    if hasattr(items, "__aiter__"):
        return [item async for item in items]
    return list(items)


NETFLIX_CHARGE: dict[str, Any] = dict(
    description="NETFLIX.COM", date="2024-01-01", amount=17.99, entry_type="outgoing", currency="USD"
)
"""The fields of the default test transaction (no account holder, no location)."""


def tx(tx_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid transaction input: :data:`NETFLIX_CHARGE` with id ``tx_id`` and ``overrides`` applied."""
    return {"id": tx_id, **NETFLIX_CHARGE, **overrides}
