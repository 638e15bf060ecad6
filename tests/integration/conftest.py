"""Fixtures: our own client (sync and async) against our own sandbox over real HTTP on 127.0.0.1.

``sandbox`` is one instant-mode server for the session; a module that needs another configuration (a
finite processing rate, fault injection) overrides the ``sandbox`` fixture and every other fixture follows.
Tests isolate their data with the ``uid`` prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from client_sandbox_kit import KEY, KEYS, Harness, new_harness, run

from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """An instant-mode sandbox shared by the session (no webhook dispatcher: nothing listens)."""
    with run_sandbox(SandboxConfig.instant(api_keys=KEYS, dispatch_webhooks=False)) as server:
        yield server


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    """Which client a test drives: ``NtropyClient`` or ``AsyncNtropyClient``."""
    return str(request.param)


@pytest.fixture
async def harnesses(kind: str, sandbox: SandboxServer) -> AsyncIterator[Callable[..., Harness]]:
    """Factory of extra clients of the test's ``kind`` on the test's sandbox, closed at teardown.

    ``harnesses(base_url=..., api_key=..., retry=..., real_sleep=...)`` (all optional).
    """
    made: list[Harness] = []

    def make(base_url: str | None = None, **options: Any) -> Harness:
        harness = new_harness(kind, base_url or sandbox.base_url, **options)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await run(harness.client.close())


@pytest.fixture
def api(harnesses: Callable[..., Harness]) -> Harness:
    """The default client (:data:`KEY`, default retry policy, real sleeps) with its request log."""
    return harnesses()


@pytest.fixture
def client(api: Harness) -> Any:
    """The default client itself."""
    return api.client


@pytest.fixture
def admin(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """A plain httpx client for the sandbox's ``/_sandbox`` admin routes (not part of the Ntropy API)."""
    with httpx.Client(base_url=sandbox.base_url, headers={"X-Api-Key": KEY}, timeout=30) as http:
        yield http


@pytest.fixture
def uid() -> str:
    """A unique id prefix, so tests sharing a sandbox never collide."""
    return uuid.uuid4().hex[:10]
