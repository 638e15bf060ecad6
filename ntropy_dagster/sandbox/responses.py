"""JSON responses built with orjson (stored documents are spliced in as bytes, never re-parsed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Response


class OrjsonResponse(Response):
    """Default response class of the sandbox app."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialise with orjson."""
        return orjson.dumps(content)


def raw_json(body: bytes, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response whose body is already JSON."""
    return Response(content=body, status_code=status_code, media_type="application/json", headers=headers)


def page(items: Sequence[bytes], next_cursor: str | None) -> Response:
    """``{"next_cursor": ..., "data": [...]}`` from already serialised items."""
    body = b'{"next_cursor":' + orjson.dumps(next_cursor) + b',"data":[' + b",".join(items) + b"]}"
    return raw_json(body)


def no_content() -> Response:
    """Answer of the DELETE endpoints. Assumption: 204 without a body (the SDK ignores the body)."""
    return Response(status_code=204)


def error_response(status_code: int, detail: str, retry_after: int | None = None) -> Response:
    """``{"detail": ...}`` with ``status_code`` (and ``Retry-After`` when given), as FastAPI answers errors."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return raw_json(orjson.dumps({"detail": detail}), status_code=status_code, headers=headers)
