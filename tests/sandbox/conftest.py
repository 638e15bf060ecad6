"""Fixtures for the sandbox app tests: one shared uvicorn sandbox (instant mode) reached over real HTTP."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from ntropy_sdk import SDK
from sandbox_testkit import KEY, OTHER_KEY, WebhookReceiver

from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox shared by the session: instant processing, fast webhook retries."""
    config = SandboxConfig.instant(
        api_keys=(KEY, OTHER_KEY),
        webhook_backoff=0.2,
        dispatch_interval=0.05,
        webhook_timeout=2.0,
    )
    with run_sandbox(config) as server:
        yield server


@pytest.fixture
def http(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """An httpx client authenticated with :data:`KEY`."""
    with httpx.Client(base_url=sandbox.base_url, headers={"X-Api-Key": KEY}, timeout=30) as client:
        yield client


@pytest.fixture
def sdk(sandbox: SandboxServer) -> SDK:
    """The official SDK pointed at the sandbox."""
    client = SDK(KEY)
    client.base_url = sandbox.base_url
    return client


@pytest.fixture
def uid() -> str:
    """A unique prefix for ids, so tests sharing the sandbox never collide."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    """Start receivers on free ports: ``receiver, url = receiver_factory(fail_first=1)``."""
    servers: list[ThreadingHTTPServer] = []

    def start(fail_first: int = 0) -> tuple[WebhookReceiver, str]:
        receiver = WebhookReceiver(fail_first=fail_first)
        server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return receiver, f"http://127.0.0.1:{server.server_address[1]}/hook"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
