"""Offline, Ntropy-compatible v3 API server ("sandbox").

Public API (imported lazily so the engines can be used without FastAPI):

* :class:`SandboxConfig` / :class:`FaultConfig` / :class:`RealisticLimits` - configuration.
* :func:`create_app` - the FastAPI app (for in-process ASGI transports).
* :func:`run_sandbox` - uvicorn in a background thread on a free port; returns a :class:`SandboxServer`.
* ``python -m ntropy_dagster.sandbox`` / ``ntropy-sandbox`` - the command line server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import FaultConfig, RealisticLimits, SandboxConfig
    from .server import SandboxServer, run_sandbox

__all__ = ["FaultConfig", "RealisticLimits", "SandboxConfig", "SandboxServer", "create_app", "run_sandbox"]

_EXPORTS = {
    "create_app": ".app",
    "FaultConfig": ".config",
    "RealisticLimits": ".config",
    "SandboxConfig": ".config",
    "SandboxServer": ".server",
    "run_sandbox": ".server",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
