"""One error tree: every exception the package defines derives from ``NtropyError``, and a failed API call
is an ``APIError`` carrying method and path, whether the API answered or not.

The transport failures are raised for real: a client pointed at a port nobody listens on, and a client
whose read timeout is shorter than the latency injected into a sandbox.
"""

from __future__ import annotations

import importlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import ntropy_dagster
from ntropy_dagster.client import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncNtropyClient,
    NtropyClient,
    NtropyError,
    RetryPolicy,
    errors,
)
from ntropy_dagster.core import errors as core_errors
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox
from ntropy_dagster.sandbox.config import FaultConfig

KEY = "error-tree-key"
EXCLUDED = "ntropy_dagster.sandbox"  # the offline test server: not part of the package's API
LATENCY_MS = 1500
TIMEOUT = 0.3


def _package_modules() -> list[str]:
    """Every module of the package outside the sandbox, imported.

    Found from the files, not with ``pkgutil.walk_packages``: that one skips folders without an
    ``__init__.py`` (implicit namespace packages), which would leave a whole layer unchecked.
    """
    root = Path(ntropy_dagster.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # running it is its purpose: importing it would start a program
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name == EXCLUDED or name.startswith(EXCLUDED + "."):
            continue
        importlib.import_module(name)
        names.append(name)
    return names


def _subclasses(root: type[BaseException]) -> Iterator[type[BaseException]]:
    for cls in root.__subclasses__():
        yield cls
        yield from _subclasses(cls)


def _defined_exceptions(modules: list[str]) -> set[type[BaseException]]:
    """The exception classes whose ``__module__`` is one of ``modules`` (warning categories aside).

    Walks the subclasses of :class:`Exception` rather than module attributes, so classes defined inside
    functions (once those ran) and classes not exported by name are found too.
    """
    wanted = set(modules)
    return {
        cls for cls in _subclasses(Exception) if cls.__module__ in wanted and not issubclass(cls, Warning)
    }


def test_every_exception_of_the_package_derives_from_ntropy_error() -> None:
    modules = _package_modules()
    assert "ntropy_dagster.core.errors" in modules and "ntropy_dagster.dagster.failures" in modules
    found = _defined_exceptions(modules)
    # The walk sees the whole tree (client, pipeline), so an empty or partial walk cannot pass.
    names = {cls.__name__ for cls in found}
    assert {
        "APIError",
        "APIConnectionError",
        "WaitTimeoutError",
        "PipelineError",
        "SlotTimeoutError",
    } <= names
    outside = sorted(
        f"{cls.__module__}.{cls.__qualname__}" for cls in found if not issubclass(cls, NtropyError)
    )
    assert outside == [], f"exceptions outside the NtropyError tree: {outside}"


def test_call_failures_are_api_errors() -> None:
    for cls in (APIConnectionError, APITimeoutError, APIResponseValidationError):
        assert issubclass(cls, APIError) and issubclass(cls, NtropyError)
    assert issubclass(APITimeoutError, APIConnectionError)


def _closed_port() -> int:
    with socket.socket() as probe:  # free a moment ago: nobody listens on it
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _get_batch(client: NtropyClient | AsyncNtropyClient, batch_id: str) -> Any:
    if isinstance(client, AsyncNtropyClient):
        try:
            return await client.batches.get(batch_id)
        finally:
            await client.close()
    with client:
        return client.batches.get(batch_id)


def _assert_call_error(exc: BaseException, path: str) -> None:
    """``exc`` is an APIError of the call ``GET path`` without a response, safe to show."""
    assert isinstance(exc, APIError) and isinstance(exc, NtropyError)
    assert (exc.method, exc.path, exc.status_code, exc.body) == ("GET", path, None, None)
    assert exc.request_id and exc.request_id in str(exc)
    assert str(exc).startswith(f"GET {path}: ")
    assert repr(exc) == f"{type(exc).__name__}({str(exc)!r})"
    assert KEY not in str(exc) + repr(exc) + exc.message


@pytest.mark.parametrize("client_class", [NtropyClient, AsyncNtropyClient])
async def test_refused_connection_is_an_api_error_with_method_and_path(
    client_class: type[NtropyClient | AsyncNtropyClient],
) -> None:
    client = client_class(
        api_key=KEY, base_url=f"http://127.0.0.1:{_closed_port()}", retry=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(APIError) as caught:  # one `except APIError` covers calls that got no answer
        await _get_batch(client, "b-1")
    assert type(caught.value) is APIConnectionError
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert "ConnectError" in caught.value.message
    _assert_call_error(caught.value, "/v3/batches/b-1")


@pytest.fixture(scope="module")
def slow_sandbox() -> Iterator[SandboxServer]:
    """A sandbox that waits ``LATENCY_MS`` before handling each ``/v3`` request."""
    config = SandboxConfig.instant(
        api_keys=(KEY,), faults=FaultConfig(latency_ms=LATENCY_MS), dispatch_webhooks=False
    )
    with run_sandbox(config) as server:
        yield server


@pytest.mark.parametrize("client_class", [NtropyClient, AsyncNtropyClient])
async def test_timeout_is_an_api_error_with_method_and_path(
    client_class: type[NtropyClient | AsyncNtropyClient], slow_sandbox: SandboxServer
) -> None:
    client = client_class(
        api_key=KEY, base_url=slow_sandbox.base_url, timeout=TIMEOUT, retry=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(APIError) as caught:
        await _get_batch(client, "b-2")
    assert type(caught.value) is APITimeoutError
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    _assert_call_error(caught.value, "/v3/batches/b-2")


def test_slow_sandbox_answers_a_patient_client(slow_sandbox: SandboxServer) -> None:
    # The timeout above comes from the latency, not from a sandbox that never answers: the same call
    # with a longer timeout gets the API's own answer (the batch does not exist), an APIError with a status.
    patient = NtropyClient(api_key=KEY, base_url=slow_sandbox.base_url, retry=RetryPolicy(max_attempts=1))
    with patient, pytest.raises(APIError) as caught:
        patient.batches.get("b-2")
    assert caught.value.status_code == 404


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (errors.AuthenticationError(status_code=401, method="GET", path="/v3/batches"), False),
        (errors.BadRequestError(status_code=400, method="POST", path="/v3/account_holders"), False),
        (errors.UnprocessableEntityError(status_code=422, method="POST", path="/v3/batches"), False),
        (errors.OutOfCreditsError(status_code=423, method="POST", path="/v3/batches"), False),
        (errors.ConflictError(status_code=409, method="GET", path="/v3/batches/b/results"), True),
        (errors.RateLimitError(status_code=429, method="GET", path="/v3/batches"), True),
        (errors.InternalServerError(status_code=503, method="GET", path="/v3/batches"), True),
        (errors.APIConnectionError("refused", method="GET", path="/v3/batches"), True),
        (errors.APITimeoutError("slow", method="GET", path="/v3/batches"), True),
        (errors.TransactionValidationError([{"loc": ("id",), "msg": "bad"}]), False),
        (errors.BankStatementFailedError("job-1", "unreadable"), False),
        (core_errors.PartitionRejectedError("all rows rejected"), False),
        (core_errors.SlotTimeoutError("no slot"), True),
    ],
)
def test_every_error_says_whether_trying_again_may_succeed(error: NtropyError, retryable: bool) -> None:
    # The Dagster layer retries a failed step only for retryable errors (a 401 never heals by itself).
    assert error.retryable is retryable
