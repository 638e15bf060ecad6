"""The request machinery shared by the sync and async clients.

Every API operation is written once, as a *sans-IO* generator: it yields :class:`SendRequest` (an
``httpx.Request`` to send) and :class:`Sleep` commands and returns the parsed result. The retry loop
(:meth:`ClientCore.call`) and the pollers are such generators too. A client only supplies the driver that
executes the commands: :class:`SyncClientBase` with ``httpx.Client`` and ``time.sleep``,
:class:`AsyncClientBase` with ``httpx.AsyncClient`` and ``asyncio.sleep``. So method, path, params, body,
response parsing and the retry policy exist once; only sending and sleeping differ.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import platform
import time
import uuid
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Generic, Literal, TypedDict, TypeVar
from urllib.parse import quote

import httpx
import orjson
import pydantic
from typing_extensions import Self, Unpack

from ntropy_dagster._version import __version__
from ntropy_dagster.client._retry import RetryPolicy, parse_retry_after, request_was_not_sent
from ntropy_dagster.client.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    NtropyError,
    RateLimitError,
    WaitTimeoutError,
    error_for_status,
    format_loc,
    message_from_body,
)

__all__ = [
    "EU_BASE_URL",
    "US_BASE_URL",
    "AsyncClientBase",
    "ClientCore",
    "ClientOptions",
    "Op",
    "RequestSpec",
    "SendRequest",
    "Sleep",
    "SyncClientBase",
    "path_segment",
]

US_BASE_URL = "https://api.ntropy.com"
EU_BASE_URL = "https://api.eu.ntropy.com"
_REGIONS = {"us": US_BASE_URL, "eu": EU_BASE_URL}
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

logger = logging.getLogger("ntropy_dagster.client")

T = TypeVar("T")


@dataclass(frozen=True)
class SendRequest:
    """Command: send this request and resume with the ``httpx.Response`` (or a transport error thrown in)."""

    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    """Command: sleep this many seconds, then resume."""

    seconds: float


Op = Generator["SendRequest | Sleep", Any, T]
"""A sans-IO operation returning ``T``, run by a client's driver."""


@dataclass(frozen=True)
class RequestSpec(Generic[T]):
    """Everything needed to perform one API call: the request and how to parse its success response.

    ``idempotent`` says whether repeating the request after it may have reached the server is safe
    (None: decided by the method; GET/PUT/DELETE are, POST/PATCH are not unless the operation says so).
    """

    method: str
    path: str
    parse: Callable[[httpx.Response, str], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    files: Mapping[str, Any] | None = None
    idempotent: bool | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_idempotent(self) -> bool:
        """Whether a request that may have been received can be sent again."""
        if self.idempotent is not None:
            return self.idempotent
        return self.method in _IDEMPOTENT_METHODS


def path_segment(value: object) -> str:
    """Quote an id for use as one URL path segment (``/`` and other reserved characters escaped).

    ``.`` and ``..`` are escaped too: left as they are, URL normalisation would remove them as dot
    segments and the request would go to another resource.
    """
    text = str(value)
    if not text:
        raise ValueError("an id must not be empty")
    if text in {".", ".."}:
        return text.replace(".", "%2E")
    return quote(text, safe="")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def encode_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as strings: None dropped, datetimes as ISO-8601, bools as true/false."""
    return {k: _query_value(v) for k, v in (params or {}).items() if v is not None}


class _ApiKey:
    """Holds the API key so that it never shows up in a repr, a log line or a traceback's locals dump."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def redact(self, text: str) -> str:
        return text.replace(self._value, "***") if self._value and text else text

    def __repr__(self) -> str:
        return "<api key redacted>"

    __str__ = __repr__


def _user_agent() -> str:
    return f"ntropy-dagster/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"


def _to_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    # Assumption: a connection that cannot be opened in 10 s will not open; reads may legitimately take
    # longer (a 20 MB batch result), so they get the full timeout.
    return httpx.Timeout(timeout, connect=min(10.0, timeout))


class ClientOptions(TypedDict, total=False):
    """Keyword options common to both clients (see :class:`ClientCore`)."""

    base_url: str | None
    region: Literal["us", "eu"] | None
    timeout: float | httpx.Timeout | None
    retry: RetryPolicy | None
    clock: Callable[[], float] | None


class ClientCore:
    """Configuration and request logic common to both clients (no I/O happens here)."""

    is_async: bool = False

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        region: Literal["us", "eu"] | None = None,
        timeout: float | httpx.Timeout | None = 30.0,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("NTROPY_API_KEY")
        if not key:
            raise NtropyError("no API key: pass api_key= or set NTROPY_API_KEY")
        if region is not None and region not in _REGIONS:
            raise ValueError(f"region must be one of {sorted(_REGIONS)}, got {region!r}")
        self._api_key = _ApiKey(key)
        self.base_url = (base_url or _REGIONS[region or "us"]).rstrip("/")
        self.timeout = _to_timeout(timeout)
        self.retry = retry or RetryPolicy()
        self._clock = clock or time.monotonic
        self._user_agent = _user_agent()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _build_request(self, spec: RequestSpec[Any], request_id: str) -> httpx.Request:
        headers = {
            "X-Api-Key": self._api_key.get(),
            "X-Request-ID": request_id,
            "User-Agent": self._user_agent,
            "Accept": "application/json",
            **spec.headers,
        }
        content = spec.content
        if content is None and spec.json is not None:
            content = orjson.dumps(spec.json)
        if content is not None:
            headers["Content-Type"] = "application/json"
        return httpx.Request(
            spec.method,
            self.base_url + spec.path,
            params=encode_params(spec.params),
            content=content,
            files=spec.files,
            headers=headers,
            extensions={"timeout": self.timeout.as_dict()},
        )

    def call(self, spec: RequestSpec[T]) -> Op[T]:
        """Perform ``spec`` with the retry policy: send, retry what may be retried, parse or raise."""
        policy = self.retry
        request_id = uuid.uuid4().hex
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            request = self._build_request(spec, request_id)
            try:
                response = yield SendRequest(request)
            except httpx.TransportError as exc:
                error: APIError = self._connection_error(spec, request_id, exc)
                self._log(spec, type(exc).__name__, request_id, attempt, started)
                retryable = spec.is_idempotent or request_was_not_sent(exc)
                delay = policy.backoff(attempt) if retryable else None
            else:
                self._log(spec, response.status_code, request_id, attempt, started)
                if response.is_success:
                    return self._parse(spec, response, request_id)
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                error = self._api_error(spec, response, request_id, retry_after)
                delay = policy.status_delay(response.status_code, attempt, retry_after, spec.is_idempotent)
            if (
                delay is None
                or attempt >= policy.max_attempts
                or self._clock() - started + delay > policy.max_elapsed
            ):
                raise error
            yield Sleep(delay)

    def _log(
        self, spec: RequestSpec[Any], outcome: object, request_id: str, attempt: int, started: float
    ) -> None:
        # Only method, path, outcome, request id, attempt and timing: never headers, params or bodies.
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s (request id %s, attempt %d, %.3f s elapsed)",
                spec.method,
                spec.path,
                outcome,
                request_id,
                attempt,
                self._clock() - started,
            )

    def _connection_error(
        self, spec: RequestSpec[Any], request_id: str, exc: httpx.TransportError
    ) -> APIConnectionError:
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        message = self._api_key.redact(f"{type(exc).__name__}: {exc}".rstrip(": "))
        error = cls(message, method=spec.method, path=spec.path, request_id=request_id)
        error.__cause__ = exc
        return error

    def _api_error(
        self, spec: RequestSpec[Any], response: httpx.Response, request_id: str, retry_after: float | None
    ) -> APIError:
        # Redacted before parsing, so even a server echoing the key back cannot leak it through the error.
        text = self._api_key.redact(response.text)
        try:
            body: Any = orjson.loads(text) if text else None
        except orjson.JSONDecodeError:
            body = text
        kwargs: dict[str, Any] = {
            "status_code": response.status_code,
            "method": spec.method,
            "path": spec.path,
            "body": body,
            "request_id": response.headers.get("X-Request-ID") or request_id,
            "message": self._api_key.redact(message_from_body(body)),
        }
        cls = error_for_status(response.status_code)
        if cls is RateLimitError:
            return RateLimitError(retry_after=retry_after, **kwargs)
        return cls(**kwargs)

    @staticmethod
    def _parse(spec: RequestSpec[T], response: httpx.Response, request_id: str) -> T:
        response_id = response.headers.get("X-Request-ID") or request_id
        try:
            return spec.parse(response, response_id)
        # ValueError: orjson's decode errors, and msgspec's (a decoder handed to results_decoded).
        except (pydantic.ValidationError, ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, pydantic.ValidationError):
                first = exc.errors(include_url=False)[0]
                detail = f"{exc.title}: {format_loc(first['loc'])}: {first['msg']}"
                if exc.error_count() > 1:
                    detail += f" (and {exc.error_count() - 1} more)"
            else:
                detail = f"{type(exc).__name__}: {exc}"
            raise APIResponseValidationError(
                detail,
                method=spec.method,
                path=spec.path,
                request_id=response_id,
                status_code=response.status_code,
            ) from exc

    def poll(
        self,
        spec: RequestSpec[T],
        *,
        finished: Callable[[T], bool],
        timeout: float,
        poll_interval: float,
        on_progress: Callable[[T], object] | None,
        describe: tuple[str, str],
    ) -> Op[T]:
        """GET ``spec`` every ``poll_interval`` s until ``finished(obj)`` (which may raise), or time out."""
        deadline = self._clock() + timeout
        while True:
            obj = yield from self.call(spec)
            if on_progress is not None:
                on_progress(obj)
            if finished(obj):
                return obj
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeoutError(describe[0], describe[1], timeout, last=obj)
            yield Sleep(min(poll_interval, remaining))


class _Stepper(Generic[T]):
    """Advances an :data:`Op`, feeding it the outcome of the previous command."""

    def __init__(self, op: Op[T]) -> None:
        self._op = op
        self._value: Any = None
        self._error: BaseException | None = None
        self.result: T | None = None

    def next_command(self) -> SendRequest | Sleep | None:
        """The next command, or None when the operation returned (its value is in ``result``)."""
        try:
            if self._error is not None:
                error, self._error = self._error, None
                return self._op.throw(error)
            return self._op.send(self._value)
        except StopIteration as stop:
            self.result = stop.value
            return None

    def deliver(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value, self._error = value, error


class SyncClientBase(ClientCore):
    """Runs operations with ``httpx.Client`` (one pooled connection set per client) and ``time.sleep``."""

    is_async = False

    def __init__(
        self,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(api_key, **options)
        self._sleep = sleep or time.sleep
        self._http = httpx.Client(transport=transport, timeout=self.timeout)

    def _run(self, op: Op[T]) -> T:
        step = _Stepper(op)
        while (command := step.next_command()) is not None:
            if isinstance(command, Sleep):
                self._sleep(command.seconds)
                step.deliver()
                continue
            try:
                step.deliver(self._http.send(command.request))
            except httpx.TransportError as exc:
                step.deliver(error=exc)
        return step.result  # type: ignore[return-value]

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClientBase(ClientCore):
    """Runs operations with ``httpx.AsyncClient`` and ``asyncio.sleep`` (or an injected sleep)."""

    is_async = True

    def __init__(
        self,
        api_key: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None] | None] | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(api_key, **options)
        self._sleep = sleep or asyncio.sleep
        self._http = httpx.AsyncClient(transport=transport, timeout=self.timeout)

    async def _run(self, op: Op[T]) -> T:
        step = _Stepper(op)
        while (command := step.next_command()) is not None:
            if isinstance(command, Sleep):
                slept = self._sleep(command.seconds)
                if inspect.isawaitable(slept):
                    await slept
                step.deliver()
                continue
            try:
                step.deliver(await self._http.send(command.request))
            except httpx.TransportError as exc:
                step.deliver(error=exc)
        return step.result  # type: ignore[return-value]

    async def close(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    aclose = close

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
