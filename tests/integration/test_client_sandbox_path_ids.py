"""Ids are path segments: any id the API accepted must be reachable again by ``get``/``delete``.

The contract (§2.1, §2.3) bounds ids by length only (1..256 characters), so an id may hold spaces, ``?``,
``#``, ``%``, ``/`` or be ``.``/``..``. The client must send each id as exactly one path segment, and the
sandbox must route that segment to the resource it created (or, for ``/``, refuse such ids up front).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from client_sandbox_kit import collect, run, tx

from ntropy_dagster.client import BadRequestError, NotFoundError, UnprocessableEntityError

ODD_IDS: dict[str, Callable[[str], str]] = {
    "space": lambda uid: f"{uid} a b",
    "unicode": lambda uid: f"{uid}-é-ü-☕",
    "query-mark": lambda uid: f"{uid}?x=1",
    "fragment-mark": lambda uid: f"{uid}#x",
    "percent": lambda uid: f"{uid}%20%2F",
    # Dot segments cannot carry a prefix; transactions upsert by id, so re-runs are harmless.
    "dot": lambda uid: ".",
    "dot-dot": lambda uid: "..",
}


@pytest.mark.parametrize("make_id", ODD_IDS.values(), ids=ODD_IDS.keys())
async def test_transaction_with_odd_id_round_trips(
    client: Any, uid: str, make_id: Callable[[str], str]
) -> None:
    tx_id = make_id(uid)
    holder = f"{uid}-ah"
    await run(client.account_holders.create(holder, "consumer"))
    created = await run(client.transactions.create(tx(tx_id, account_holder_id=holder)))
    assert created.id == tx_id

    fetched = await run(client.transactions.get(tx_id))
    assert (fetched.id, fetched.account_holder_id) == (tx_id, holder)
    assert [t.id for t in await collect(client.transactions.list(account_holder_id=holder))] == [tx_id]

    await run(client.transactions.delete(tx_id))
    with pytest.raises(NotFoundError):
        await run(client.transactions.get(tx_id))


async def test_ids_with_a_slash_are_refused_or_reachable(client: Any, uid: str) -> None:
    holder = f"{uid}/team"
    try:
        await run(client.account_holders.create(holder, "consumer"))
    except (BadRequestError, UnprocessableEntityError):
        # Assumption: refusing ids with "/" at creation would be consistent too (nothing unreachable
        # gets stored); the contract does not forbid them.
        return
    assert (await run(client.account_holders.get(holder))).id == holder
    assert await run(client.account_holders.recurring_groups(holder)) == []

    tx_id = f"{uid}/tx"
    await run(client.transactions.create(tx(tx_id, account_holder_id=holder)))
    assert (await run(client.transactions.get(tx_id))).id == tx_id
    await run(client.transactions.delete(tx_id))

    await run(client.account_holders.delete(holder))
    with pytest.raises(NotFoundError):
        await run(client.account_holders.get(holder))
