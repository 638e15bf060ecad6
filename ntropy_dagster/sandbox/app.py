"""The FastAPI application factory of the sandbox."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator

from fastapi import FastAPI

from .._version import __version__
from .config import SandboxConfig
from .context import SandboxContext
from .enrichment import EnrichmentEngine
from .faults import FaultState
from .limits import LimitState
from .middleware import SandboxMiddleware
from .processing import TransactionProcessor
from .responses import OrjsonResponse
from .routes import (
    account_holders,
    admin,
    bank_statements,
    batches,
    categories,
    entities,
    reports,
    rules,
    transactions,
    webhooks,
)
from .store import Store
from .webhooks import WebhookDispatcher

ROUTERS = (
    transactions.router,
    batches.router,
    account_holders.router,
    bank_statements.router,
    entities.router,
    webhooks.router,
    reports.router,
    rules.router,
    categories.router,
    admin.router,
)


def create_app(config: SandboxConfig | None = None) -> FastAPI:
    """Build the sandbox app.

    State lives in ``config.db_path`` (created if needed; WAL mode, shareable between processes) or, when
    it is ``None``, in a temporary file removed at shutdown. The webhook dispatcher thread starts with the
    app's lifespan (so it runs under uvicorn, not under a bare ``httpx.ASGITransport``).
    """
    config = config or SandboxConfig()
    temp_dir: str | None = None
    db_path = config.db_path
    if db_path is None:
        temp_dir = tempfile.mkdtemp(prefix="ntropy-sandbox-")
        db_path = os.path.join(temp_dir, "sandbox.db")
    store = Store(db_path)
    engine = EnrichmentEngine()
    limits = config.realistic_limits
    context = SandboxContext(
        config=config,
        store=store,
        engine=engine,
        faults=FaultState(
            config.faults,
            time_scale=limits.time_scale if limits else 1.0,
            enforce_limits=bool(limits and limits.endpoint_limits),
        ),
        processor=TransactionProcessor(store, engine),
        limits=LimitState(limits, store) if limits else None,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        dispatcher = WebhookDispatcher(store, config) if config.dispatch_webhooks else None
        if dispatcher is not None:
            dispatcher.start()
        try:
            yield
        finally:
            if dispatcher is not None:
                dispatcher.stop()
            store.close()
            if temp_dir is not None:
                shutil.rmtree(temp_dir, ignore_errors=True)

    app = FastAPI(
        title="Ntropy v3 sandbox",
        version=__version__,
        description="Offline, Ntropy-compatible v3 API for tests and demos.",
        default_response_class=OrjsonResponse,
        lifespan=lifespan,
    )
    for router in ROUTERS:
        app.include_router(router)
    app.state.sandbox = context
    app.add_middleware(
        SandboxMiddleware, context=context, routes=[route for router in ROUTERS for route in router.routes]
    )
    return app
