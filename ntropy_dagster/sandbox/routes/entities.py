"""``/v3/entities``: resolve a name or website to an entity; get an entity by id."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Response

from ..context import Ctx
from ..models import EntityResolveIn
from ..responses import raw_json

router = APIRouter(tags=["entities"])


def _entity(found: dict[str, Any]) -> Response:
    entity = {"id": None, "name": None, "website": None, "logo": None, "mccs": [], **found}
    if entity["mccs"] is None:
        entity["mccs"] = []
    return raw_json(orjson.dumps(entity))


@router.post("/v3/entities/resolve")
def resolve_entity(body: EntityResolveIn, ctx: Ctx) -> Response:
    """Resolve by ``name`` or ``website`` (exactly one of them), optionally helped by ``location``."""
    if body.name and body.website:
        raise HTTPException(400, "Provide either 'name' or 'website', not both")
    if not body.name and not body.website:
        raise HTTPException(400, "Provide one of 'name' or 'website'")
    found = ctx.engine.resolve_entity(name=body.name, website=body.website, location=body.location)
    if found is None:
        # Assumption: an unresolvable name/website answers 404 (the contract does not say).
        raise HTTPException(404, "No entity matches the given name or website")
    return _entity(found)


@router.get("/v3/entities/{entity_id}")
def get_entity(entity_id: str, ctx: Ctx) -> Response:
    """One entity of the sandbox's merchant catalogue."""
    found = ctx.engine.get_entity(entity_id)
    if found is None:
        raise HTTPException(404, f"Entity with id '{entity_id}' not found")
    return _entity(found)
