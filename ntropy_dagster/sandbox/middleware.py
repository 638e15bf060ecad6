"""ASGI middleware: request ids on every response, API-key authentication, fault injection."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import API_KEY_SCOPE, SandboxContext

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/_sandbox/health", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"})


class SandboxMiddleware:
    """Outermost app layer of the sandbox.

    * ``X-Request-ID``: echoes the client's value or generates one, on every response (errors included,
      unhandled exceptions become a 500 ``{"detail": ...}`` here so they carry it too).
    * ``X-Api-Key`` (any case) must be one of the configured keys, else 401.
    * ``/v3`` requests pass through fault injection: bursts, random errors, token buckets, latency.
      Every 429 sent here is counted in ``context.rejections`` with its reason.
    """

    def __init__(self, app: ASGIApp, context: SandboxContext, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.context = context
        self.routes = tuple(routes)

    def _endpoint(self, scope: Scope) -> str | None:
        """``"METHOD /path/{param}"`` of the route serving this request (the rate-limit bucket name)."""
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                # ":path" converters (ids may contain "/") are not part of the endpoint's name.
                return f"{scope['method']} {getattr(route, 'path', '').replace(':path}', '}')}"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        path: str = scope["path"]
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                delay = self.context.faults.config.response_delay_ms
                if delay and path.startswith("/v3/"):
                    await asyncio.sleep(delay / 1000)
                started = True
                response_headers = MutableHeaders(scope=message)
                if "x-request-id" not in response_headers:
                    response_headers.append("X-Request-ID", request_id)
            await send(message)

        async def reply(status: int, detail: Any, extra: dict[str, str] | None = None) -> None:
            await JSONResponse({"detail": detail}, status_code=status, headers=extra)(
                scope, receive, send_with_id
            )

        if path not in PUBLIC_PATHS:
            api_key = headers.get("x-api-key")
            if not api_key:
                await reply(401, "Missing API key: set the X-API-Key header")
                return
            if api_key not in self.context.config.api_keys:
                await reply(401, "Invalid API key")
                return
            scope[API_KEY_SCOPE] = api_key
            if path.startswith("/v3/"):
                faults = self.context.faults
                if faults.config.latency_ms:
                    await asyncio.sleep(faults.config.latency_ms / 1000)
                endpoint = self._endpoint(scope)
                fault = faults.check(api_key, endpoint)
                if fault is not None:
                    if fault.status == 429:
                        self.context.rejections.record(endpoint, fault.reason)
                    extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
                    await reply(fault.status, fault.detail, extra)
                    return
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), path)
            if started:
                raise
            await reply(500, "Internal server error")
