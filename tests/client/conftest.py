"""Fixtures: a fake Ntropy API behind httpx.MockTransport, a fake clock, and sync + async clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from ntropy_client_testkit import FakeTime, close, make_client
from ntropy_fake_api import FakeNtropy

from ntropy_dagster.client import NtropyClient


@pytest.fixture
def fake() -> FakeNtropy:
    return FakeNtropy()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def client(kind: str, fake: FakeNtropy, fake_time: FakeTime) -> AsyncIterator[Any]:
    c = make_client(kind, fake, fake_time)
    yield c
    await close(c)


@pytest.fixture
def sync_client(fake: FakeNtropy, fake_time: FakeTime) -> Iterator[NtropyClient]:
    c = make_client("sync", fake, fake_time)
    assert isinstance(c, NtropyClient)
    yield c
    c.close()
