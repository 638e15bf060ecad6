"""Resource base class and the descriptors that turn one operation definition into sync and async methods.

A resource method is written once, returning a sans-IO operation (``Op[T]``) or, for list endpoints, a
page-request builder. :class:`endpoint` and :class:`paginated` bind it to the client that owns the resource:
on :class:`~ntropy_dagster.client.NtropyClient` the method returns ``T`` (or a sync paginator), on
:class:`~ntropy_dagster.client.AsyncNtropyClient` an awaitable of ``T`` (or an async paginator).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from itertools import islice
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import httpx
import orjson
import pydantic

from ntropy_dagster.client._base import AsyncClientBase, ClientCore, Op, RequestSpec, SyncClientBase
from ntropy_dagster.client.errors import InputValidationError
from ntropy_dagster.client.models import Page
from ntropy_dagster.client.models._common import ResponseModel
from ntropy_dagster.client.pagination import AsyncPaginator, PageRequest, SyncPaginator

__all__ = [
    "Resource",
    "endpoint",
    "paginated",
    "parse_json",
    "parse_model",
    "parse_model_list",
    "parse_none",
    "validate_input",
]

P = ParamSpec("P")
T = TypeVar("T")
M = TypeVar("M", bound=ResponseModel)
C = TypeVar("C", bound=ClientCore, covariant=True)
InputT = TypeVar("InputT", bound=pydantic.BaseModel)


class Resource(Generic[C]):
    """One API resource (``client.batches``...), bound to the client that sends its requests."""

    def __init__(self, client: C) -> None:
        self._client = client

    def _request(
        self, method: str, path: str, parse: Callable[[httpx.Response, str], T], **options: Any
    ) -> Op[T]:
        """The operation performing one request (``options``: the other :class:`RequestSpec` fields)."""
        return self._client.call(RequestSpec(method, path, parse, **options))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class endpoint(Generic[P, T]):
    """Decorator: the method returns an ``Op[T]``; callers get ``T`` (sync) or ``Awaitable[T]`` (async)."""

    def __init__(self, build: Callable[Concatenate[Any, P], Op[T]]) -> None:
        self._build = build
        # typeshed types the wrapper as a callable; a descriptor takes the name and docstring just as well.
        functools.update_wrapper(self, build)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> endpoint[P, T]: ...
    @overload
    def __get__(self, obj: Resource[SyncClientBase], owner: type | None = None) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, obj: Resource[AsyncClientBase], owner: type | None = None
    ) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        build, client = self._build, obj._client

        @functools.wraps(build)
        def bound(*args: P.args, **kwargs: P.kwargs) -> Any:
            # Arguments are validated now (even for the async client), the I/O happens in _run.
            return client._run(build(obj, *args, **kwargs))

        return bound


class paginated(Generic[P, T]):
    """Decorator: the method returns a page-request builder; callers get a (sync or async) paginator."""

    def __init__(self, build: Callable[Concatenate[Any, P], PageRequest[T]]) -> None:
        self._build = build
        # typeshed types the wrapper as a callable; a descriptor takes the name and docstring just as well.
        functools.update_wrapper(self, build)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> paginated[P, T]: ...
    @overload
    def __get__(
        self, obj: Resource[SyncClientBase], owner: type | None = None
    ) -> Callable[P, SyncPaginator[T]]: ...
    @overload
    def __get__(
        self, obj: Resource[AsyncClientBase], owner: type | None = None
    ) -> Callable[P, AsyncPaginator[T]]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        build, client = self._build, obj._client
        pager = AsyncPaginator if client.is_async else SyncPaginator

        @functools.wraps(build)
        def bound(*args: P.args, **kwargs: P.kwargs) -> Any:
            return pager(client, build(obj, *args, **kwargs))

        return bound


def _with_request_id(obj: M, request_id: str) -> M:
    obj._request_id = request_id
    return obj


def parse_model(model: type[M]) -> Callable[[httpx.Response, str], M]:
    """Parser of a JSON object body into ``model``, tagged with the response's request id."""

    def parse(response: httpx.Response, request_id: str) -> M:
        return _with_request_id(model.model_validate_json(response.content), request_id)

    return parse


def parse_model_list(model: type[M]) -> Callable[[httpx.Response, str], list[M]]:
    """Parser of a bare JSON array body into a list of ``model``."""
    adapter = pydantic.TypeAdapter(list[model])  # type: ignore[valid-type]

    def parse(response: httpx.Response, request_id: str) -> list[M]:
        return [_with_request_id(item, request_id) for item in adapter.validate_json(response.content)]

    return parse


def parse_page(model: type[M]) -> Callable[[httpx.Response, str], Page[M]]:
    """Parser of a ``{"next_cursor", "data"}`` list page of ``model`` items."""
    return parse_model(Page[model])  # type: ignore[valid-type]


def parse_json(response: httpx.Response, request_id: str) -> Any:
    """Parser returning the decoded JSON body as plain Python objects (orjson)."""
    return orjson.loads(response.content) if response.content else None


def parse_none(response: httpx.Response, request_id: str) -> None:
    """Parser for endpoints whose body is ignored (DELETE)."""
    return None


def validate_input(
    model: type[InputT],
    value: InputT | Mapping[str, Any],
    *,
    error: type[InputValidationError] = InputValidationError,
    what: str = "request",
) -> InputT:
    """Validate one request body, raising ``error`` (with pydantic's errors) before anything is sent."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except pydantic.ValidationError as exc:
        raise error(exc.errors(include_url=False, include_input=False), what=what) from None


def bounded_list(
    items: Iterable[T], *, max_items: int, error: type[InputValidationError], what: str
) -> list[T]:
    """``items`` as a list of 1 to ``max_items`` items (reading at most ``max_items + 1`` of them), else
    ``error`` located at ``data``."""
    batch = list(islice(iter(items), max_items + 1))
    if len(batch) > max_items:
        raise error(
            [{"loc": ("data",), "msg": f"more than {max_items} items", "type": "too_long"}], what=what
        )
    if not batch:
        raise error(
            [{"loc": ("data",), "msg": "at least one item is required", "type": "too_short"}], what=what
        )
    return batch


def validate_many(
    adapter: pydantic.TypeAdapter[list[InputT]],
    items: Iterable[InputT | Mapping[str, Any]],
    *,
    max_items: int,
    error: type[InputValidationError],
    what: str,
) -> list[InputT]:
    """Validate a list body item by item; errors are located as ``data[i].field``.

    At most ``max_items + 1`` items are read from ``items``, so an oversized generator is rejected without
    being consumed entirely.
    """
    batch = bounded_list(items, max_items=max_items, error=error, what=what)
    try:
        return adapter.validate_python(batch)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise error([{**e, "loc": ("data", *e["loc"])} for e in errors], what=what) from None


def page_request(path: str, model: type[M], **filters: Any) -> PageRequest[M]:
    """The page-request builder of a list endpoint: the same filters on every page, plus the cursor."""
    parse = parse_page(model)

    def page(cursor: str | None) -> RequestSpec[Page[M]]:
        return RequestSpec("GET", path, parse, params={**filters, "cursor": cursor})

    return page
