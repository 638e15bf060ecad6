"""``/v3/webhooks``: create (max 10 per key), get, list, patch, delete."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Response

from ..context import ApiKey, Ctx, SandboxContext
from ..lifecycle import utc_now
from ..listing import load_one
from ..models import WebhookIn, WebhookPatch
from ..pagination import fetch_page, page_request
from ..responses import no_content, page, raw_json

router = APIRouter(tags=["webhooks"])

MAX_WEBHOOKS = 10
COLUMNS = "id, created_at, url, events, token, enabled"


def webhook_view(row: tuple[Any, ...]) -> dict[str, Any]:
    """The ``Webhook`` object for a row selected with :data:`COLUMNS` (the HMAC secret is never shown)."""
    webhook_id, created_at, url, events, token, enabled = row
    return {
        "id": webhook_id,
        "created_at": created_at,
        "url": url,
        "events": orjson.loads(events),
        "token": token,
        "enabled": bool(enabled),
    }


def _load(ctx: SandboxContext, api_key: str, webhook_id: str) -> tuple[Any, ...]:
    return load_one(
        ctx.store, api_key, table="webhooks", columns=COLUMNS, item_id=webhook_id, label="Webhook"
    )


@router.post("/v3/webhooks")
def create_webhook(body: WebhookIn, ctx: Ctx, api_key: ApiKey) -> Response:
    """Register a webhook for some events."""
    ts, created_at = utc_now()
    webhook_id = str(uuid.uuid4())
    with ctx.store.transaction() as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM webhooks WHERE api_key = ?", (api_key,)).fetchone()
        if count >= MAX_WEBHOOKS:
            raise HTTPException(400, f"At most {MAX_WEBHOOKS} webhooks can be registered")
        conn.execute(
            "INSERT INTO webhooks (api_key, id, ts, created_at, url, events, token, hmac_secret) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                api_key,
                webhook_id,
                ts,
                created_at,
                body.url,
                orjson.dumps(list(dict.fromkeys(body.events))),
                body.token,
                body.hmac_secret,
            ),
        )
    return raw_json(orjson.dumps(webhook_view(_load(ctx, api_key, webhook_id))))


@router.get("/v3/webhooks")
def list_webhooks(ctx: Ctx, api_key: ApiKey, cursor: str | None = None, limit: int | None = None) -> Response:
    """All webhooks of the key (paged like every list, newest first)."""
    req = page_request("webhooks", cursor, limit, {})
    rows, next_cursor = fetch_page(ctx.store, req, table="webhooks", columns=COLUMNS, api_key=api_key)
    return page([orjson.dumps(webhook_view(row[1:])) for row in rows], next_cursor)


@router.get("/v3/webhooks/{webhook_id}")
def get_webhook(webhook_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """One webhook."""
    return raw_json(orjson.dumps(webhook_view(_load(ctx, api_key, webhook_id))))


@router.patch("/v3/webhooks/{webhook_id}")
def patch_webhook(webhook_id: str, body: WebhookPatch, ctx: Ctx, api_key: ApiKey) -> Response:
    """Change some fields; re-enabling resets the failure counter."""
    _load(ctx, api_key, webhook_id)
    changes: dict[str, Any] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if name in ("url", "events", "enabled") and value is None:
            continue  # not nullable: an explicit null leaves the field unchanged
        if name == "events":
            value = orjson.dumps(list(dict.fromkeys(value)))
        changes[name] = value
    if changes.get("enabled"):
        changes["failures"] = 0
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)
        ctx.store.execute(
            f"UPDATE webhooks SET {assignments} WHERE api_key = ? AND id = ?",
            [*changes.values(), api_key, webhook_id],
        )
    return raw_json(orjson.dumps(webhook_view(_load(ctx, api_key, webhook_id))))


@router.delete("/v3/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Remove a webhook; pending deliveries to it are dropped."""
    with ctx.store.transaction() as conn:
        if not conn.execute(
            "DELETE FROM webhooks WHERE api_key = ? AND id = ?", (api_key, webhook_id)
        ).rowcount:
            raise HTTPException(404, f"Webhook with id '{webhook_id}' not found")
        conn.execute("DELETE FROM deliveries WHERE webhook_id = ? AND status = 'pending'", (webhook_id,))
    return no_content()
