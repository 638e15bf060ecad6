"""Enrichment of submitted transactions: account-holder lookup, category set, rules, engine call, storage."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson

from . import category_sets, rulesets
from .enrichment import EnrichmentEngine
from .store import Store

log = logging.getLogger(__name__)

MISSING_ACCOUNT_HOLDER = "missing account holder information"
_LOOKUP_CHUNK = 500


class TransactionProcessor:
    """Turns validated transaction inputs into stored, enriched transactions."""

    def __init__(self, store: Store, engine: EnrichmentEngine) -> None:
        self.store = store
        self.engine = engine

    def _holders(self, api_key: str, ids: set[str]) -> dict[str, tuple[str, str | None]]:
        found: dict[str, tuple[str, str | None]] = {}
        pending = sorted(ids)
        for start in range(0, len(pending), _LOOKUP_CHUNK):
            chunk = pending[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self.store.query(
                f"SELECT id, type, category_id FROM account_holders WHERE api_key = ? AND id IN ({marks})",
                [api_key, *chunk],
            )
            found.update({row[0]: (row[1], row[2]) for row in rows})
        return found

    def enrich(
        self, api_key: str, inputs: Sequence[dict[str, Any]], *, created_at: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Enrich ``inputs``; return the ``EnrichedTransaction`` dicts and the full ``Transaction`` dicts."""
        holders = self._holders(
            api_key, {tx["account_holder_id"] for tx in inputs if tx["account_holder_id"]}
        )
        sets: dict[tuple[str, str | None], dict[str, list[str]]] = {}
        rules = rulesets.without_ids(rulesets.load(self.store, api_key)[0])
        enriched_list: list[dict[str, Any]] = []
        docs: list[dict[str, Any]] = []
        for tx in inputs:
            holder_id = tx["account_holder_id"]
            enriched: dict[str, Any] = {"id": tx["id"], "created_at": created_at}
            if holder_id and holder_id not in holders:
                enriched.update(
                    entities=None,
                    categories=None,
                    location=None,
                    error={
                        "code": "account_holder_not_found",
                        "message": f"Account holder with id '{holder_id}' was not found",
                    },
                )
            else:
                holder = holders.get(holder_id) if holder_id else None
                categories = None
                if holder is not None:
                    if holder not in sets:
                        sets[holder] = category_sets.for_account_holder(self.store, api_key, *holder)
                    categories = sets[holder]
                enriched.update(self._run_engine(tx, holder, categories, rules))
            doc = {
                "id": tx["id"],
                "description": tx["description"],
                "date": tx["date"],
                "amount": tx["amount"],
                "entry_type": tx["entry_type"],
                "currency": tx["currency"],
                "account_holder_id": holder_id,
                **{k: v for k, v in enriched.items() if k != "id"},
            }
            enriched_list.append(enriched)
            docs.append(doc)
        return enriched_list, docs

    def _run_engine(
        self,
        tx: dict[str, Any],
        holder: tuple[str, str | None] | None,
        categories: dict[str, list[str]] | None,
        rules: list[dict[str, Any]],
    ) -> dict[str, Any]:
        try:
            out = self.engine.enrich(
                tx,
                account_holder_type=holder[0] if holder else None,
                categories=categories,
                rules=rules,
            )
        except Exception as exc:  # one bad item must not fail the whole batch
            log.exception("enrichment failed for transaction %r", tx.get("id"))
            return {
                "entities": None,
                "categories": None,
                "location": None,
                "error": {"code": "internal_error", "message": f"Enrichment failed: {exc}"},
            }
        result = {
            "entities": out.get("entities"),
            "categories": out.get("categories"),
            "location": out.get("location"),
            "error": None,
        }
        if holder is None and not result["categories"]:
            result["categories"] = {"general": MISSING_ACCOUNT_HOLDER}
        return result

    def store_transactions(self, conn: Any, api_key: str, ts: float, docs: Sequence[dict[str, Any]]) -> None:
        """Upsert rows inside the caller's write transaction; a re-used id replaces the old transaction."""
        conn.executemany(
            "INSERT OR REPLACE INTO transactions (api_key, id, ts, account_holder_id, doc) "
            "VALUES (?, ?, ?, ?, ?)",
            [(api_key, d["id"], ts, d["account_holder_id"], orjson.dumps(d)) for d in docs],
        )
