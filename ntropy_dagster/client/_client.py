"""The two public clients: :class:`NtropyClient` (blocking) and :class:`AsyncNtropyClient` (asyncio)."""

from __future__ import annotations

from functools import cached_property

from typing_extensions import Self

from ntropy_dagster.client._base import AsyncClientBase, ClientCore, SyncClientBase
from ntropy_dagster.client.resources import (
    AccountHolders,
    BankStatements,
    Batches,
    CategorySets,
    Entities,
    Reports,
    Rules,
    Transactions,
    Webhooks,
)

__all__ = ["AsyncNtropyClient", "NtropyClient"]


class _Resources(ClientCore):
    """The resource attributes, defined once for both clients (each resource is bound to ``self``).

    A :class:`ClientCore` itself, so that ``Self`` (the concrete client) is a valid client type of a
    resource; the concrete clients add the sync or async driver (``class NtropyClient(_Resources,
    SyncClientBase)``).
    """

    @cached_property
    def transactions(self) -> Transactions[Self]:
        """``/v3/transactions``."""
        return Transactions(self)

    @cached_property
    def batches(self) -> Batches[Self]:
        """``/v3/batches``."""
        return Batches(self)

    @cached_property
    def account_holders(self) -> AccountHolders[Self]:
        """``/v3/account_holders``."""
        return AccountHolders(self)

    @cached_property
    def bank_statements(self) -> BankStatements[Self]:
        """``/v3/bank_statements``."""
        return BankStatements(self)

    @cached_property
    def entities(self) -> Entities[Self]:
        """``/v3/entities``."""
        return Entities(self)

    @cached_property
    def webhooks(self) -> Webhooks[Self]:
        """``/v3/webhooks``."""
        return Webhooks(self)

    @cached_property
    def reports(self) -> Reports[Self]:
        """``/v3/reports``."""
        return Reports(self)

    @cached_property
    def rules(self) -> Rules[Self]:
        """``/v3/rules``."""
        return Rules(self)

    @cached_property
    def categories(self) -> CategorySets[Self]:
        """``/v3/categories``."""
        return CategorySets(self)


class NtropyClient(_Resources, SyncClientBase):
    """Blocking client of the Ntropy v3 API.

    ``NtropyClient(api_key, base_url=US_BASE_URL | EU_BASE_URL, region="us" | "eu", timeout=30.0,
    retry=RetryPolicy(), transport=None, sleep=time.sleep, clock=time.monotonic)``. ``api_key`` defaults to
    ``$NTROPY_API_KEY``. One ``httpx.Client`` (connection pool) per instance: reuse the client and close it
    (or use it as a context manager). ``transport`` takes any ``httpx.BaseTransport`` (e.g.
    ``httpx.MockTransport``, ``httpx.WSGITransport``); ``sleep``/``clock`` exist for tests.
    """


class AsyncNtropyClient(_Resources, AsyncClientBase):
    """asyncio client of the Ntropy v3 API: the same resources and methods as :class:`NtropyClient`, awaited.

    List methods return async iterators (``async for tx in client.transactions.list(...)``). Use
    ``async with AsyncNtropyClient(...) as client`` or ``await client.close()``. ``transport`` takes an
    ``httpx.AsyncBaseTransport`` (e.g. ``httpx.MockTransport``, ``httpx.ASGITransport``); ``sleep`` may be
    a coroutine function or a plain function.
    """
