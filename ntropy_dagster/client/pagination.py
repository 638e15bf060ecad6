"""Cursor pagination: iterate every item of a list endpoint, page after page.

Every page request carries all the filters of the first one (the official SDK drops ``created_before`` after
page 1) plus the cursor of the previous page. Iteration stops when ``next_cursor`` is null; an empty page
with a non-null cursor is skipped, not taken as the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from ntropy_dagster.client.errors import NtropyError
from ntropy_dagster.client.models import Page

if TYPE_CHECKING:
    from ntropy_dagster.client._base import AsyncClientBase, RequestSpec, SyncClientBase

__all__ = ["AsyncPaginator", "PageRequest", "SyncPaginator"]

T = TypeVar("T")

PageRequest = Callable[[str | None], "RequestSpec[Page[T]]"]
"""Builds the request of the page after ``cursor`` (None: the first page), with every filter."""


def _following_cursor(page: Page[T], sent: str | None) -> str | None:
    cursor = page.next_cursor
    if cursor is not None and cursor == sent:
        # Assumption: a server answering the cursor we sent would make us loop forever; fail loudly instead.
        raise NtropyError(f"pagination cursor did not advance ({cursor!r}); stopping")
    return cursor


class SyncPaginator(Generic[T]):
    """Iterates all items across pages (``for item in paginator``); ``.pages()`` yields whole pages."""

    def __init__(self, client: SyncClientBase, page_request: PageRequest[T]) -> None:
        self._client = client
        self._page_request = page_request

    def pages(self) -> Iterator[Page[T]]:
        """Yield each page (with its ``next_cursor`` and ``request_id``), fetching lazily."""
        cursor: str | None = None
        while True:
            page = self._client._run(self._client.call(self._page_request(cursor)))
            yield page
            cursor = _following_cursor(page, cursor)
            if cursor is None:
                return

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data

    def to_list(self) -> list[T]:
        """Every item of every page in a list."""
        return list(self)


class AsyncPaginator(Generic[T]):
    """Async twin of :class:`SyncPaginator`: ``async for item in paginator`` / ``async for p in .pages()``."""

    def __init__(self, client: AsyncClientBase, page_request: PageRequest[T]) -> None:
        self._client = client
        self._page_request = page_request

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield each page (with its ``next_cursor`` and ``request_id``), fetching lazily."""
        cursor: str | None = None
        while True:
            page = await self._client._run(self._client.call(self._page_request(cursor)))
            yield page
            cursor = _following_cursor(page, cursor)
            if cursor is None:
                return

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.data:
                yield item

    async def to_list(self) -> list[T]:
        """Every item of every page in a list."""
        return [item async for item in self]
