"""Helpers shared by the client tests (imported by module name: tests/client is on sys.path)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import httpx
from ntropy_fake_api import API_KEY, BASE_URL

from ntropy_dagster.client import AsyncNtropyClient, NtropyClient, RetryPolicy

TX = {
    "id": "t",
    "description": "x",
    "date": "2024-01-01",
    "amount": 1,
    "entry_type": "outgoing",
    "currency": "EUR",
}
"""A minimal valid transaction."""


@dataclass
class FakeTime:
    """A monotonic clock that only moves when the client sleeps; records every sleep."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


async def run(value: Any) -> Any:
    """Await the result of a client call if it came from the async client."""
    return await value if inspect.isawaitable(value) else value


async def collect(iterable: Any) -> list[Any]:
    """All items of a sync or async iterator."""
    if hasattr(iterable, "__aiter__"):
        return [item async for item in iterable]
    return list(iterable)


def make_client(
    kind: str, handler: Any, fake_time: FakeTime, **kwargs: Any
) -> NtropyClient | AsyncNtropyClient:
    cls = NtropyClient if kind == "sync" else AsyncNtropyClient
    kwargs.setdefault("retry", RetryPolicy(jitter=False))
    return cls(
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=httpx.MockTransport(handler),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        **kwargs,
    )


async def close(client: NtropyClient | AsyncNtropyClient) -> None:
    await run(client.close())
