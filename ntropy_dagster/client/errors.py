"""Exceptions raised by the Ntropy client.

Every error derives from :class:`NtropyError`. Every failure of one API call is an :class:`APIError`
carrying the method, path and request id, so it can be traced in Ntropy's logs::

    NtropyError
    ├── APIError                      one API call failed: method, path, request_id, status_code
    │   ├── BadRequestError ... InternalServerError   an HTTP error status (400, 401, ..., 5xx)
    │   ├── APIConnectionError        no response: connect/read/protocol error (status_code None)
    │   │   └── APITimeoutError       no response in time (status_code None)
    │   └── APIResponseValidationError  a success response that does not parse (its status_code)
    ├── InputValidationError (also a ValueError)   nothing was sent
    │   └── TransactionValidationError
    ├── BatchFailedError, BankStatementFailedError  the remote job ended in ``error``
    └── WaitTimeoutError (also a TimeoutError)      polling gave up

``except APIError`` catches every failed call; ``status_code is None`` tells a transport failure. The
pipeline's own errors (:mod:`ntropy_dagster.core.errors`) derive from :class:`NtropyError` too. No
message or repr contains the API key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BankStatementFailedError",
    "BatchFailedError",
    "ConflictError",
    "InputValidationError",
    "InternalServerError",
    "NotFoundError",
    "NtropyError",
    "OutOfCreditsError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "TransactionValidationError",
    "UnprocessableEntityError",
    "WaitTimeoutError",
    "error_for_status",
    "format_loc",
    "message_from_body",
]


class NtropyError(Exception):
    """Base class of every exception raised by ntropy-dagster (the client, the core and the Dagster layer).

    ``retryable`` says whether trying the same operation again later may succeed: the Dagster layer retries
    a failed step (its retry policy) only then. A transient failure (a 5xx or 429 that outlived the
    client's own retries, a timeout) is retryable; a request the API refused for its content, input that
    failed validation, or a statement whose job failed is not.
    """

    retryable: bool = True


def message_from_body(body: Any) -> str:
    """Extract a human message from an error body (FastAPI ``detail`` or legacy ``details``)."""
    if isinstance(body, Mapping):
        for key in ("details", "detail", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, list) and value:
                return "; ".join(_describe_field_error(item) for item in value)
            if isinstance(value, Mapping) and value:
                return message_from_body(value)
        return ""
    if isinstance(body, str):
        return body.strip()[:500]
    return ""


def format_loc(loc: Sequence[Any]) -> str:
    """Render a pydantic/FastAPI error location as ``data[3].location.country``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _describe_field_error(item: Any) -> str:
    if isinstance(item, Mapping):
        loc = item.get("loc")
        msg = str(item.get("msg", ""))
        return f"{format_loc(loc)}: {msg}" if isinstance(loc, (list, tuple)) and loc else msg
    return str(item)


#: 4xx statuses a later attempt can get past: timeout, busy/not ready (409), too early, rate limited.
_RETRYABLE_CLIENT_STATUSES = frozenset({408, 409, 425, 429})


class APIError(NtropyError):
    """One API call failed: the API answered with a non-success HTTP status, or (subclasses) no answer came
    or the answer did not parse.

    Attributes: ``status_code`` (None when no response arrived: :class:`APIConnectionError`), ``method``,
    ``path`` (without query string), ``body`` (parsed JSON, or the text when the body is not JSON; None
    without a response), ``request_id`` (from the ``X-Request-ID`` response header, else the one we sent)
    and ``message`` (taken from ``detail``/``details`` in the body, or the transport failure).
    """

    status_code: int | None

    def __init__(
        self,
        *,
        status_code: int | None,
        method: str,
        path: str,
        body: Any = None,
        request_id: str | None = None,
        message: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.method = method
        self.path = path
        self.body = body
        self.request_id = request_id
        self.message = message if message is not None else message_from_body(body)
        self.retryable = (
            status_code is None or status_code in _RETRYABLE_CLIENT_STATUSES or status_code >= 500
        )
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.status_code is None:
            text = f"{self.method} {self.path}"
        else:
            try:
                reason = HTTPStatus(self.status_code).phrase
            except ValueError:
                reason = "HTTP error"
            text = f"{self.status_code} {reason}: {self.method} {self.path}"
        if self.message:
            text += f": {self.message}"
        return f"{text} (request id {self.request_id})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, method={self.method!r}, "
            f"path={self.path!r}, request_id={self.request_id!r}, message={self.message!r})"
        )


class BadRequestError(APIError):
    """400: a value is invalid for the request (e.g. a duplicate account holder id)."""


class AuthenticationError(APIError):
    """401: the API key is missing or invalid."""


class PermissionDeniedError(APIError):
    """403: the feature is not active for this API key."""


class NotFoundError(APIError):
    """404: the resource does not exist."""


class ConflictError(APIError):
    """409: the resource is busy or not ready (e.g. results of an unfinished batch)."""


class PayloadTooLargeError(APIError):
    """413: the payload is too large (e.g. a ruleset above 200,000 bytes)."""


class UnprocessableEntityError(APIError):
    """422: the body or query does not match the schema.

    ``field_errors`` lists FastAPI's ``{"loc", "msg", "type"}`` entries from ``detail``.
    """

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        """The structured validation errors of the body, if it has FastAPI's shape."""
        if isinstance(self.body, Mapping) and isinstance(self.body.get("detail"), list):
            return [dict(item) for item in self.body["detail"] if isinstance(item, Mapping)]
        return []


class OutOfCreditsError(APIError):
    """423: the account has not enough enrichment credits."""


class RateLimitError(APIError):
    """429 after the retry policy ran out. ``retry_after`` is the server's last ``Retry-After`` in seconds."""

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)


class InternalServerError(APIError):
    """Any 5xx status (``status_code`` tells which)."""


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    423: OutOfCreditsError,
    429: RateLimitError,
}


def error_for_status(status_code: int) -> type[APIError]:
    """The exception class for an HTTP status (``APIError`` for statuses without their own class)."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status_code, APIError)


class APIConnectionError(APIError):
    """The request could not be completed at the transport level (connect, read, protocol error).

    No response arrived, so ``status_code`` and ``body`` are None; ``message`` names the transport error.
    """

    def __init__(self, message: str, *, method: str, path: str, request_id: str | None = None) -> None:
        super().__init__(status_code=None, method=method, path=path, request_id=request_id, message=message)

    def __str__(self) -> str:
        return f"{self.method} {self.path}: {self.message} (request id {self.request_id})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool timeout)."""


class APIResponseValidationError(APIError):
    """A success response could not be parsed into the expected model.

    ``status_code`` is the response's (a 2xx); ``message`` says what did not parse.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        request_id: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(
            status_code=status_code, method=method, path=path, request_id=request_id, message=message
        )

    def __str__(self) -> str:
        return (
            f"{self.method} {self.path}: unexpected response: {self.message} (request id {self.request_id})"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class InputValidationError(NtropyError, ValueError):
    """Client-side validation of a request failed; nothing was sent.

    ``errors`` is a list of ``{"loc": tuple, "msg": str, "type": str}`` dicts (pydantic's shape).
    """

    retryable = False

    def __init__(self, errors: Sequence[Mapping[str, Any]], *, what: str = "request") -> None:
        self.errors: list[dict[str, Any]] = [
            {"loc": tuple(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in errors
        ]
        lines = [_describe_field_error(e) for e in self.errors]
        count = len(lines)
        summary = f"invalid {what}: {count} error{'s' if count != 1 else ''}"
        super().__init__("\n".join([summary, *lines]))


class TransactionValidationError(InputValidationError):
    """One or more transactions failed client-side validation (message names index and field of each)."""


class BatchFailedError(NtropyError):
    """A batch reached status ``error``. ``batch`` is the last polled :class:`Batch`."""

    def __init__(self, batch_id: str, batch: Any = None) -> None:
        self.batch_id = batch_id
        self.batch = batch
        super().__init__(f"batch {batch_id} failed (status error)")


class BankStatementFailedError(NtropyError):
    """A bank statement job reached status ``error``; ``code`` and ``message`` come from the job."""

    retryable = False

    def __init__(self, job_id: str, code: str | None = None, message: str | None = None) -> None:
        self.job_id = job_id
        self.code = code
        self.message = message
        super().__init__(f"bank statement {job_id} failed: {code or 'unknown'}: {message or ''}".rstrip(": "))


class WaitTimeoutError(NtropyError, TimeoutError):
    """Waiting for a batch or bank statement took too long. ``last`` is the last polled object."""

    def __init__(self, what: str, resource_id: str, timeout: float, last: Any = None) -> None:
        self.resource_id = resource_id
        self.timeout = timeout
        self.last = last
        super().__init__(f"{what} {resource_id} not finished after {timeout:g} s")
