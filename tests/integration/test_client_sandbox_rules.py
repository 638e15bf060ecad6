"""Personalisation rules through our client: CRUD, server-side rejection, and effect on later enrichment.

A ruleset belongs to an API key and applies to every enrichment of that key, so these tests use
:data:`RULES_KEY` and leave its ruleset empty.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from client_sandbox_kit import RULES_KEY, Harness, run, tx

from ntropy_dagster.client import PayloadTooLargeError, UnprocessableEntityError

COFFEE_RULE = {"if": {"is_substring": [{"get": "description"}, "COFFEE"]}, "then": [{"add_label": "coffee"}]}
NETFLIX_RULE = {
    "if": {"is_substring": [{"get": "description"}, "NETFLIX"]},
    "then": [{"add_label": "home cinema"}, {"set": "website", "to": "netflix.example"}],
}


@pytest.fixture
async def rules_client(harnesses: Callable[..., Harness]) -> AsyncIterator[Any]:
    """A client on :data:`RULES_KEY`; the key's ruleset is emptied afterwards."""
    client = harnesses(api_key=RULES_KEY).client
    yield client
    await run(client.rules.replace([]))


async def test_rules_create_list_update_replace_delete(rules_client: Any) -> None:
    created = await run(rules_client.rules.create(COFFEE_RULE))
    assert isinstance(created["id"], str) and created["if"] == COFFEE_RULE["if"]
    assert [r["id"] for r in await run(rules_client.rules.list())] == [created["id"]]

    updated = await run(rules_client.rules.update(created["id"], {"add_label": "beans"}))
    assert updated == {"id": created["id"], "add_label": "beans"}
    assert await run(rules_client.rules.list()) == [updated]

    replaced = await run(rules_client.rules.replace([COFFEE_RULE, {"add_label": "x"}]))
    assert len(replaced) == 2 and all(isinstance(r["id"], str) for r in replaced)
    assert await run(rules_client.rules.list()) == replaced

    await run(rules_client.rules.delete(replaced[0]["id"]))
    assert await run(rules_client.rules.list()) == [replaced[1]]
    await run(rules_client.rules.replace([]))
    assert await run(rules_client.rules.list()) == []


async def test_server_rejects_rules_the_client_passes_through(rules_client: Any) -> None:
    # The client sends rules as opaque JSON; the sandbox type-checks them (422) and bounds the size (413).
    with pytest.raises(UnprocessableEntityError) as invalid:
        await run(rules_client.rules.create({"no_such_action": 1}))
    assert invalid.value.status_code == 422 and invalid.value.request_id
    assert invalid.value.field_errors and invalid.value.field_errors[0]["loc"] == ["body"]

    oversized = [{"add_label": f"{i:05d}" + "x" * 80} for i in range(2500)]
    with pytest.raises(PayloadTooLargeError) as too_large:
        await run(rules_client.rules.replace(oversized))
    assert too_large.value.status_code == 413
    assert await run(rules_client.rules.list()) == []


async def test_rule_changes_the_output_of_later_enrichment(rules_client: Any, uid: str) -> None:
    await run(rules_client.account_holders.create(f"{uid}-ah", "consumer"))
    before = await run(rules_client.transactions.create(tx(f"{uid}-before", account_holder_id=f"{uid}-ah")))
    assert before.categories.general == "streaming services"
    assert before.entities.counterparty.website == "netflix.com"

    await run(rules_client.rules.create(NETFLIX_RULE))
    after = await run(rules_client.transactions.create(tx(f"{uid}-after", account_holder_id=f"{uid}-ah")))
    assert after.categories.general == "home cinema"
    assert after.entities.counterparty.website == "netflix.example"
    other = await run(
        rules_client.transactions.create(
            tx(f"{uid}-other", description="STARBUCKS 123", amount=5, account_holder_id=f"{uid}-ah")
        )
    )
    assert other.categories.general == "coffee shops"  # the rule's condition does not match

    # Batches go through the same ruleset.
    batch = await run(rules_client.batches.create([tx(f"{uid}-b0", account_holder_id=f"{uid}-ah")]))
    await run(rules_client.batches.wait(batch.id, poll_interval=0.05))
    (record,) = await run(rules_client.batches.results_records(batch.id))
    assert record["categories"]["general"] == "home cinema"
