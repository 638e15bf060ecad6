"""``/v3/categories/{category_id}``: get, set and reset a category set (JSON bodies throughout)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, HTTPException, Response

from .. import category_sets
from ..context import ApiKey, Ctx
from ..models import CategorySetIn
from ..responses import raw_json

router = APIRouter(tags=["categories"])


@router.get("/v3/categories/{category_id}")
def get_categories(category_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """The set in force: the key's own set, else the default for ``consumer``/``business``."""
    found = category_sets.set_in_force(ctx.store, api_key, category_id)
    if found is None:
        raise HTTPException(404, f"Category set '{category_id}' not found")
    return raw_json(orjson.dumps(found))


@router.post("/v3/categories/{category_id}")
def set_categories(category_id: str, body: CategorySetIn, ctx: Ctx, api_key: ApiKey) -> Response:
    """Store a set under ``category_id`` (overriding a default one); echoes it."""
    doc = {
        "incoming": list(dict.fromkeys(c.strip() for c in body.incoming if c.strip())),
        "outgoing": list(dict.fromkeys(c.strip() for c in body.outgoing if c.strip())),
    }
    ctx.store.execute(
        "INSERT INTO categories (api_key, category_id, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (api_key, category_id) DO UPDATE SET doc = excluded.doc",
        (api_key, category_id, orjson.dumps(doc)),
    )
    return raw_json(orjson.dumps(doc))


@router.post("/v3/categories/{category_id}/reset")
def reset_categories(category_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Drop the key's own set; echoes the set now in force.

    Assumption: resetting a custom id (no default behind it) answers empty lists.
    """
    removed = ctx.store.execute(
        "DELETE FROM categories WHERE api_key = ? AND category_id = ?", (api_key, category_id)
    )
    default = category_sets.default_set(category_id)
    if default is None and not removed:
        raise HTTPException(404, f"Category set '{category_id}' not found")
    return raw_json(orjson.dumps(default or {"incoming": [], "outgoing": []}))
