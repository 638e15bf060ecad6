"""Per-app state reachable from route handlers (config, store, engine, faults)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from .config import SandboxConfig
from .enrichment import EnrichmentEngine
from .faults import FaultState
from .limits import LimitState, RejectionLedger
from .processing import TransactionProcessor
from .store import Store

API_KEY_SCOPE = "ntropy.api_key"


@dataclass
class SandboxContext:
    """Everything a request handler needs.

    ``limits`` is set in the realistic-limits mode only; ``rejections`` counts every 429 sent.
    """

    config: SandboxConfig
    store: Store
    engine: EnrichmentEngine
    faults: FaultState
    processor: TransactionProcessor
    limits: LimitState | None = None
    rejections: RejectionLedger = field(default_factory=RejectionLedger)


async def get_context(request: Request) -> SandboxContext:
    """Dependency: the app's :class:`SandboxContext`."""
    return request.app.state.sandbox


async def get_api_key(request: Request) -> str:
    """Dependency: the API key the middleware authenticated."""
    return request.scope[API_KEY_SCOPE]


Ctx = Annotated[SandboxContext, Depends(get_context)]
ApiKey = Annotated[str, Depends(get_api_key)]
