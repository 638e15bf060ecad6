"""``/v3/account_holders``: create, get, list, delete (with their transactions), recurring groups."""

from __future__ import annotations

import sqlite3

import orjson
from fastapi import APIRouter, HTTPException, Response

from ..context import ApiKey, Ctx
from ..lifecycle import utc_now
from ..listing import ListQuery, list_response, load_one
from ..models import AccountHolderIn
from ..recurrence import detect_recurring_groups
from ..responses import no_content, raw_json

router = APIRouter(tags=["account_holders"])


def _not_found(account_holder_id: str) -> HTTPException:
    return HTTPException(404, f"Account holder with id '{account_holder_id}' not found")


@router.post("/v3/account_holders")
def create_account_holder(body: AccountHolderIn, ctx: Ctx, api_key: ApiKey) -> Response:
    """Create an account holder; an existing id answers 400."""
    ts, created_at = utc_now()
    doc = {
        "id": body.id,
        "type": body.type,
        "name": body.name,
        "category_id": body.category_id,
        "created_at": created_at,
    }
    raw = orjson.dumps(doc)
    try:
        ctx.store.execute(
            "INSERT INTO account_holders (api_key, id, ts, type, category_id, doc) VALUES (?, ?, ?, ?, ?, ?)",
            (api_key, body.id, ts, body.type, body.category_id, raw),
        )
    except sqlite3.IntegrityError:
        raise HTTPException(400, f"Account holder with id '{body.id}' already exists") from None
    return raw_json(raw)


@router.get("/v3/account_holders")
def list_account_holders(ctx: Ctx, api_key: ApiKey, params: ListQuery) -> Response:
    """Page of account holders, newest first."""
    return list_response(ctx.store, api_key, params, resource="account_holders", table="account_holders")


@router.get("/v3/account_holders/{account_holder_id:path}")
def get_account_holder(account_holder_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """One account holder."""
    row = load_one(
        ctx.store,
        api_key,
        table="account_holders",
        columns="doc",
        item_id=account_holder_id,
        label="Account holder",
    )
    return raw_json(row[0])


@router.delete("/v3/account_holders/{account_holder_id:path}", status_code=204)
def delete_account_holder(account_holder_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Delete an account holder and their transactions."""
    with ctx.store.transaction() as conn:
        deleted = conn.execute(
            "DELETE FROM account_holders WHERE api_key = ? AND id = ?", (api_key, account_holder_id)
        ).rowcount
        if not deleted:
            raise _not_found(account_holder_id)
        conn.execute(
            "DELETE FROM transactions WHERE api_key = ? AND account_holder_id = ?",
            (api_key, account_holder_id),
        )
    return no_content()


@router.post("/v3/account_holders/{account_holder_id:path}/recurring_groups")
def recurring_groups(account_holder_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Recurring groups of the account holder's transactions (a bare JSON array)."""
    if (
        ctx.store.query_one(
            "SELECT 1 FROM account_holders WHERE api_key = ? AND id = ?", (api_key, account_holder_id)
        )
        is None
    ):
        raise _not_found(account_holder_id)
    rows = ctx.store.query(
        "SELECT doc FROM transactions WHERE api_key = ? AND account_holder_id = ? ORDER BY seq",
        (api_key, account_holder_id),
    )
    transactions = [orjson.loads(row[0]) for row in rows]
    groups = detect_recurring_groups(transactions, account_holder_id=account_holder_id)
    return raw_json(orjson.dumps(groups))
