"""``/v3/transactions``: create (upsert by id), get, list, delete, assign."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Response

from ..context import ApiKey, Ctx
from ..faults import Fault
from ..lifecycle import utc_now
from ..limits import SYNC_ENDPOINT
from ..listing import ListQuery, list_response, load_one
from ..models import AssignIn, TransactionIn
from ..responses import error_response, no_content, raw_json

router = APIRouter(tags=["transactions"])


def load_transaction(ctx: Ctx, api_key: str, transaction_id: str) -> dict[str, Any]:
    """The stored transaction or 404."""
    (doc,) = load_one(
        ctx.store, api_key, table="transactions", columns="doc", item_id=transaction_id, label="Transaction"
    )
    return orjson.loads(doc)


@router.post("/v3/transactions")
def create_transaction(body: TransactionIn, ctx: Ctx, api_key: ApiKey) -> Response:
    """Enrich one transaction synchronously; a re-used id replaces the earlier transaction.

    In the realistic-limits mode it is an enrichment operation like a batch: it costs one credit and
    needs a free operation slot (it holds none afterwards: the sandbox answers at once), else ``429``.
    """
    admission = None
    if ctx.limits is not None:
        outcome = ctx.limits.admit(api_key, 1)
        if isinstance(outcome, Fault):
            ctx.rejections.record(SYNC_ENDPOINT, outcome.reason)
            return error_response(outcome.status, outcome.detail, outcome.retry_after)
        admission = outcome
    try:
        ts, created_at = utc_now()
        enriched, docs = ctx.processor.enrich(api_key, [body.to_input()], created_at=created_at)
        with ctx.store.transaction() as conn:
            ctx.processor.store_transactions(conn, api_key, ts, docs)
    finally:
        if admission is not None and ctx.limits is not None:
            ctx.limits.release(admission)
    return raw_json(orjson.dumps(enriched[0]))


@router.get("/v3/transactions")
def list_transactions(
    ctx: Ctx,
    api_key: ApiKey,
    params: ListQuery,
    account_holder_id: str | None = None,
    dataset_id: int | None = None,
) -> Response:
    """Page of transactions, newest first.

    Assumption: ``dataset_id`` (undocumented) is accepted and ignored.
    """
    del dataset_id
    return list_response(
        ctx.store,
        api_key,
        params,
        resource="transactions",
        table="transactions",
        equal={"account_holder_id": account_holder_id},
    )


@router.get("/v3/transactions/{transaction_id:path}")
def get_transaction(transaction_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """One transaction with its input fields and enrichment."""
    return raw_json(orjson.dumps(load_transaction(ctx, api_key, transaction_id)))


@router.delete("/v3/transactions/{transaction_id:path}", status_code=204)
def delete_transaction(transaction_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Delete one transaction (404 if unknown)."""
    if not ctx.store.execute(
        "DELETE FROM transactions WHERE api_key = ? AND id = ?", (api_key, transaction_id)
    ):
        raise HTTPException(404, f"Transaction with id '{transaction_id}' not found")
    return no_content()


@router.post("/v3/transactions/{transaction_id:path}/assign")
def assign_transaction(transaction_id: str, body: AssignIn, ctx: Ctx, api_key: ApiKey) -> Response:
    """Move a transaction to another account holder of the same type and re-enrich it."""
    doc = load_transaction(ctx, api_key, transaction_id)
    types = dict(
        ctx.store.query(
            "SELECT id, type FROM account_holders WHERE api_key = ? AND id IN (?, ?)",
            (api_key, body.account_holder_id, doc.get("account_holder_id") or ""),
        )
    )
    if body.account_holder_id not in types:
        raise HTTPException(404, f"Account holder with id '{body.account_holder_id}' not found")
    old_type = types.get(doc.get("account_holder_id") or "")
    if old_type is not None and old_type != types[body.account_holder_id]:
        raise HTTPException(
            400,
            f"Cannot assign a transaction of a {old_type} account holder to a "
            f"{types[body.account_holder_id]} account holder",
        )
    location = doc.get("location") or {}
    tx_input = {
        **{k: doc[k] for k in ("id", "description", "date", "amount", "entry_type", "currency")},
        "account_holder_id": body.account_holder_id,
        "location": {"raw_address": location.get("raw_address"), "country": None}
        if location.get("raw_address")
        else None,
    }
    _, docs = ctx.processor.enrich(api_key, [tx_input], created_at=doc["created_at"])
    new_doc = docs[0]
    ctx.store.execute(
        "UPDATE transactions SET account_holder_id = ?, doc = ? WHERE api_key = ? AND id = ?",
        (body.account_holder_id, orjson.dumps(new_doc), api_key, transaction_id),
    )
    return raw_json(orjson.dumps(new_doc))
