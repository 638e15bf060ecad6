"""Category sets in force per API key: the engine's defaults, overridden or extended per key."""

from __future__ import annotations

from typing import Any

import orjson

from .enrichment import DEFAULT_CATEGORIES
from .store import Store


def custom_set(store: Store, api_key: str, category_id: str) -> dict[str, list[str]] | None:
    """The set stored for this key under ``category_id``, if any."""
    row = store.query_one(
        "SELECT doc FROM categories WHERE api_key = ? AND category_id = ?", (api_key, category_id)
    )
    return orjson.loads(row[0]) if row else None


def default_set(category_id: str) -> dict[str, list[str]] | None:
    """The built-in set for ``consumer``/``business``; ``None`` for other ids."""
    defaults: Any = DEFAULT_CATEGORIES.get(category_id)
    if defaults is None:
        return None
    return {"incoming": list(defaults["incoming"]), "outgoing": list(defaults["outgoing"])}


def set_in_force(store: Store, api_key: str, category_id: str) -> dict[str, list[str]] | None:
    """The custom set if one is stored, else the default one, else ``None`` (unknown id)."""
    return custom_set(store, api_key, category_id) or default_set(category_id)


def for_account_holder(
    store: Store, api_key: str, holder_type: str, category_id: str | None
) -> dict[str, list[str]]:
    """The set used for an account holder's transactions.

    Assumption: an account holder naming a category id that has no set (yet) uses its type's set.
    """
    if category_id:
        found = set_in_force(store, api_key, category_id)
        if found is not None:
            return found
    return set_in_force(store, api_key, holder_type) or {"incoming": [], "outgoing": []}
