"""Direct HTTP tests: transactions, account holders, pagination, auth, request ids, key separation."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import httpx
from sandbox_testkit import KEY, OTHER_KEY, tx

from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, create_app


def test_request_id_is_echoed_or_generated_on_every_response(
    http: httpx.Client, sandbox: SandboxServer
) -> None:
    echoed = http.get("/v3/transactions/does-not-exist", headers={"X-Request-ID": "my-request-1"})
    assert echoed.status_code == 404
    assert echoed.headers["x-request-id"] == "my-request-1"
    assert echoed.json() == {"detail": "Transaction with id 'does-not-exist' not found"}
    generated = http.get("/v3/account_holders")
    assert len(generated.headers["x-request-id"]) == 32
    unauthorised = httpx.get(f"{sandbox.base_url}/v3/transactions", headers={"X-Request-ID": "r-401"})
    assert unauthorised.status_code == 401
    assert unauthorised.headers["x-request-id"] == "r-401"
    assert "detail" in unauthorised.json()
    invalid = http.post("/v3/transactions", json={"id": "x"}, headers={"X-Request-ID": "r-422"})
    assert invalid.status_code == 422
    assert invalid.headers["x-request-id"] == "r-422"
    assert httpx.get(f"{sandbox.base_url}/_sandbox/health").headers["x-request-id"]


def test_api_key_header_is_case_insensitive_and_checked(sandbox: SandboxServer) -> None:
    for header in ("X-API-KEY", "x-api-key", "X-Api-Key"):
        assert httpx.get(f"{sandbox.base_url}/v3/batches", headers={header: KEY}).status_code == 200
    wrong = httpx.get(f"{sandbox.base_url}/v3/batches", headers={"X-Api-Key": "nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Invalid API key"}


def test_create_is_an_upsert_and_returns_only_enriched_fields(http: httpx.Client, uid: str) -> None:
    first = http.post("/v3/transactions", json=tx(f"{uid}-t", description="first", unknown_field=1))
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"id", "created_at", "entities", "categories", "location", "error"}
    assert body["categories"]["general"] == "missing account holder information"
    assert dt.datetime.fromisoformat(body["created_at"]).utcoffset() == dt.timedelta(0)
    http.post("/v3/transactions", json=tx(f"{uid}-t", description="second"))
    stored = http.get(f"/v3/transactions/{uid}-t").json()
    assert stored["description"] == "second"
    assert stored["amount"] == 17.99 and stored["currency"] == "USD" and stored["account_holder_id"] is None


def test_unknown_account_holder_gives_a_per_item_error(http: httpx.Client, uid: str) -> None:
    body = http.post("/v3/transactions", json=tx(f"{uid}-t", account_holder_id=f"{uid}-ghost")).json()
    assert body["error"]["code"] == "account_holder_not_found"
    assert body["entities"] is None and body["categories"] is None


def test_invalid_single_transaction_is_a_fastapi_422(http: httpx.Client, uid: str) -> None:
    response = http.post(
        "/v3/transactions", json=tx(f"{uid}-t", amount=-1, currency="usd", date="2024-13-01")
    )
    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert locs == {("body", "amount"), ("body", "currency"), ("body", "date")}


def test_list_pages_newest_first_and_cursor_keeps_created_before(http: httpx.Client, uid: str) -> None:
    holder = f"{uid}-h"
    http.post("/v3/account_holders", json={"id": holder, "type": "consumer"})
    for i in range(5):
        http.post("/v3/transactions", json=tx(f"{uid}-{i}", account_holder_id=holder))
        time.sleep(0.002)
    boundary = http.get(f"/v3/transactions/{uid}-3").json()["created_at"]
    for i in range(5, 7):
        http.post("/v3/transactions", json=tx(f"{uid}-{i}", account_holder_id=holder))
    # space separator as the sync SDK sends it, offset included
    before = dt.datetime.fromisoformat(boundary).isoformat(sep=" ")
    first = http.get(
        "/v3/transactions", params={"account_holder_id": holder, "created_before": before, "limit": 2}
    ).json()
    assert [t["id"] for t in first["data"]] == [f"{uid}-2", f"{uid}-1"]
    assert first["next_cursor"]
    # the follow-up request drops every filter, as the SDK's auto-pagination does
    second = http.get("/v3/transactions", params={"cursor": first["next_cursor"]}).json()
    assert [t["id"] for t in second["data"]] == [f"{uid}-0"]
    assert second["next_cursor"] is None


def test_exact_page_end_has_no_cursor_and_limit_is_validated(http: httpx.Client, uid: str) -> None:
    holder = f"{uid}-h"
    http.post("/v3/account_holders", json={"id": holder, "type": "business"})
    for i in range(2):
        http.post("/v3/transactions", json=tx(f"{uid}-{i}", account_holder_id=holder))
    page = http.get("/v3/transactions", params={"account_holder_id": holder, "limit": 2}).json()
    assert len(page["data"]) == 2 and page["next_cursor"] is None
    assert http.get("/v3/transactions", params={"limit": 0}).status_code == 422
    assert http.get("/v3/transactions", params={"cursor": "garbage!"}).status_code == 400
    naive = http.get("/v3/transactions", params={"created_after": "2024-01-02T03:04:05"})
    assert naive.status_code == 200
    assert http.get("/v3/transactions", params={"created_after": "yesterday"}).status_code == 422


def test_data_is_separated_per_api_key(sandbox: SandboxServer, uid: str) -> None:
    a = httpx.Client(base_url=sandbox.base_url, headers={"X-Api-Key": KEY})
    b = httpx.Client(base_url=sandbox.base_url, headers={"X-Api-Key": OTHER_KEY})
    assert a.post("/v3/account_holders", json={"id": uid, "type": "consumer"}).status_code == 200
    assert b.get(f"/v3/account_holders/{uid}").status_code == 404
    assert b.post("/v3/account_holders", json={"id": uid, "type": "business"}).status_code == 200
    a.post("/v3/transactions", json=tx(f"{uid}-t"))
    assert b.get(f"/v3/transactions/{uid}-t").status_code == 404
    assert all(t["id"] != f"{uid}-t" for t in b.get("/v3/transactions").json()["data"])


def test_account_holder_duplicate_delete_and_assign(http: httpx.Client, uid: str) -> None:
    create = {"id": f"{uid}-c1", "type": "consumer", "name": None, "category_id": None, "request_id": None}
    assert http.post("/v3/account_holders", json=create).status_code == 200
    duplicate = http.post("/v3/account_holders", json=create)
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["detail"]
    http.post("/v3/account_holders", json={"id": f"{uid}-c2", "type": "consumer"})
    http.post("/v3/account_holders", json={"id": f"{uid}-b1", "type": "business"})
    http.post("/v3/transactions", json=tx(f"{uid}-t", account_holder_id=f"{uid}-c1"))
    moved = http.post(f"/v3/transactions/{uid}-t/assign", json={"account_holder_id": f"{uid}-c2"})
    assert moved.status_code == 200 and moved.json()["account_holder_id"] == f"{uid}-c2"
    mismatch = http.post(f"/v3/transactions/{uid}-t/assign", json={"account_holder_id": f"{uid}-b1"})
    assert mismatch.status_code == 400
    missing = http.post(f"/v3/transactions/{uid}-t/assign", json={"account_holder_id": f"{uid}-zz"})
    assert missing.status_code == 404
    assert http.delete(f"/v3/account_holders/{uid}-c2").status_code == 204
    assert http.get(f"/v3/transactions/{uid}-t").status_code == 404
    assert http.delete(f"/v3/account_holders/{uid}-c2").status_code == 404


def test_rules_are_applied_validated_and_size_limited(sandbox: SandboxServer, uid: str) -> None:
    with httpx.Client(base_url=sandbox.base_url, headers={"X-Api-Key": OTHER_KEY}) as http:
        http.post("/v3/account_holders", json={"id": f"{uid}-h", "type": "consumer"})
        rule = {
            "if": {"is_substring": [{"get": "description"}, f"{uid}-shop"]},
            "then": [{"add_label": "gifts"}],
        }
        try:
            assert http.post("/v3/rules/replace", json=[rule]).status_code == 200
            enriched = http.post(
                "/v3/transactions",
                json=tx(f"{uid}-t", description=f"{uid}-shop purchase", account_holder_id=f"{uid}-h"),
            ).json()
            assert enriched["categories"]["general"] == "gifts"
            bad = http.post("/v3/rules", json={"if": {"no_such_op": 1}})
            assert bad.status_code == 422 and bad.json()["detail"][0]["msg"]
            huge = [{"add_label": "x" * 1000}] * 250
            assert http.post("/v3/rules/replace", json=huge).status_code == 413
            assert len(http.get("/v3/rules").json()) == 1
        finally:
            http.post("/v3/rules/replace", json=[])


async def test_create_app_serves_in_process(tmp_path: Path) -> None:
    app = create_app(SandboxConfig.instant(api_keys=("inproc",), db_path=str(tmp_path / "inproc.db")))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        created = await client.post("/v3/transactions", json=tx("t1"), headers={"X-Api-Key": "inproc"})
        assert created.status_code == 200 and created.headers["x-request-id"]
        listed = await client.get("/v3/transactions", headers={"X-Api-Key": "inproc"})
        assert [t["id"] for t in listed.json()["data"]] == ["t1"]
    app.state.sandbox.store.close()
