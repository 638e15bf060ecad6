"""Personalisation rulesets: one ordered list of rules per API key, each rule with a string id."""

from __future__ import annotations

from typing import Any

import orjson

from .store import Store

MAX_RULESET_BYTES = 200_000


def load(store: Store, api_key: str) -> tuple[list[dict[str, Any]], int]:
    """The key's rules (each carrying ``id``) and the next free numeric id."""
    row = store.query_one("SELECT rules, next_id FROM rules WHERE api_key = ?", (api_key,))
    if row is None:
        return [], 1
    return orjson.loads(row[0]), int(row[1])


def save(store: Store, api_key: str, rules: list[dict[str, Any]], next_id: int) -> None:
    """Persist the key's whole ruleset."""
    store.execute(
        "INSERT INTO rules (api_key, rules, next_id) VALUES (?, ?, ?) "
        "ON CONFLICT (api_key) DO UPDATE SET rules = excluded.rules, next_id = excluded.next_id",
        (api_key, orjson.dumps(rules), next_id),
    )


def without_ids(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules as the engine expects them (our bookkeeping ``id`` removed)."""
    return [{k: v for k, v in rule.items() if k != "id"} for rule in rules]


def size_of(rules: list[dict[str, Any]]) -> int:
    """Serialised size of a ruleset in bytes (the 200,000-byte limit applies to it)."""
    return len(orjson.dumps(without_ids(rules)))
