"""Direct HTTP tests of batches: validation, size limit, derived progress, forced errors, results."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from sandbox_testkit import KEY, tx

from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox


def _client(server: SandboxServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}, timeout=30)


def test_invalid_item_names_its_index_and_field(http: httpx.Client, uid: str) -> None:
    items = [tx(f"{uid}-{i}") for i in range(5)]
    del items[3]["amount"]
    items[4]["entry_type"] = "sideways"
    response = http.post("/v3/batches", json={"operation": "POST /v3/transactions", "data": items})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {"type": "missing", "loc": ["body", "data", 3, "amount"]}.items() <= detail[0].items()
    assert detail[1]["loc"] == ["body", "data", 4, "entry_type"]
    assert len(detail) == 2


def test_batch_over_24960_items_is_413(http: httpx.Client) -> None:
    item = orjson.dumps(tx("same"))
    body = b'{"operation":"POST /v3/transactions","data":[' + b",".join([item] * 24_961) + b"]}"
    response = http.post("/v3/batches", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "24960" in response.json()["detail"]


def test_batch_with_unknown_holder_items_still_completes(http: httpx.Client, uid: str) -> None:
    http.post("/v3/account_holders", json={"id": f"{uid}-h", "type": "consumer"})
    data = [
        tx(f"{uid}-0", account_holder_id=f"{uid}-h"),
        tx(f"{uid}-1", account_holder_id=f"{uid}-nobody"),
        tx(f"{uid}-2", priority=None),
    ]
    created = http.post("/v3/batches", json={"data": data, "priority": None}).json()
    assert created["status"] == "processing" and created["progress"] == 0 and created["total"] == 3
    assert created["priority"] == "default" and created["operation"] == "POST /v3/transactions"
    batch = http.get(f"/v3/batches/{created['id']}").json()
    assert batch["status"] == "completed" and batch["progress"] == 3
    results = http.get(f"/v3/batches/{created['id']}/results").json()
    assert [r["id"] for r in results["results"]] == [f"{uid}-0", f"{uid}-1", f"{uid}-2"]
    assert results["results"][0]["error"] is None
    assert results["results"][1]["error"]["code"] == "account_holder_not_found"
    assert results["results"][1]["entities"] is None
    assert results["results"][2]["categories"]["general"] == "missing account holder information"
    assert http.get(f"/v3/transactions/{uid}-0").json()["account_holder_id"] == f"{uid}-h"


def test_forced_error_makes_results_400_and_status_filter_sees_it(http: httpx.Client, uid: str) -> None:
    batch_id = http.post("/v3/batches", json={"data": [tx(f"{uid}-0")]}).json()["id"]
    failed = http.post(f"/_sandbox/batches/{batch_id}/fail", json={"message": "boom"})
    assert failed.status_code == 200 and failed.json()["status"] == "error"
    assert http.get(f"/v3/batches/{batch_id}").json()["status"] == "error"
    results = http.get(f"/v3/batches/{batch_id}/results")
    assert results.status_code == 400 and "error" in results.json()["detail"]
    errored = http.get("/v3/batches", params={"status": "error", "limit": 1000}).json()["data"]
    assert batch_id in {b["id"] for b in errored}
    completed = http.get("/v3/batches", params={"status": "completed", "limit": 1000}).json()["data"]
    assert batch_id not in {b["id"] for b in completed}
    assert http.get("/v3/batches/nope").status_code == 404
    assert http.post("/_sandbox/batches/nope/fail").status_code == 404


@pytest.fixture(scope="module")
def slow_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[SandboxServer, SandboxServer]:
    """Two servers sharing one database file; batches progress at 100 tx/s."""
    db = str(tmp_path_factory.mktemp("shared") / "sandbox.db")
    config = SandboxConfig(api_keys=(KEY,), db_path=db, rate=100.0, dispatch_webhooks=False)
    first = run_sandbox(config)
    second = run_sandbox(config)
    yield first, second
    first.stop()
    second.stop()


def test_progress_advances_and_is_derived_across_processes(
    slow_pair: tuple[SandboxServer, SandboxServer], uid: str
) -> None:
    first, second = slow_pair
    with _client(first) as a, _client(second) as b:
        created = a.post("/v3/batches", json={"data": [tx(f"{uid}-{i}") for i in range(60)]}).json()
        early = b.get(f"/v3/batches/{created['id']}").json()
        assert early["status"] == "processing" and 0 <= early["progress"] < 60
        busy = b.get(f"/v3/batches/{created['id']}/results")
        assert busy.status_code == 409 and "processing" in busy.json()["detail"]
        time.sleep(0.25)
        later = a.get(f"/v3/batches/{created['id']}").json()
        assert later["progress"] > early["progress"]
        assert later["updated_at"] >= early["updated_at"]
        first.stop()  # progress must not depend on the submitting process
        deadline = time.monotonic() + 5
        while (seen := b.get(f"/v3/batches/{created['id']}").json())["status"] == "processing":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert seen["status"] == "completed" and seen["progress"] == 60
        assert len(b.get(f"/v3/batches/{created['id']}/results").json()["results"]) == 60


def test_list_batches_with_cursor_and_status(http: httpx.Client, uid: str) -> None:
    ids = [http.post("/v3/batches", json={"data": [tx(f"{uid}-{i}")]}).json()["id"] for i in range(3)]
    first = http.get("/v3/batches", params={"limit": 2, "status": "completed"}).json()
    assert [b["id"] for b in first["data"]] == ids[::-1][:2]
    second = http.get("/v3/batches", params={"cursor": first["next_cursor"], "limit": 1}).json()
    assert second["data"][0]["id"] == ids[0]
    assert {"id", "operation", "status", "priority", "created_at", "updated_at", "progress", "total"} == set(
        second["data"][0]
    )


def test_list_rejects_an_unknown_status(http: httpx.Client) -> None:
    response = http.get("/v3/batches", params={"status": "finished"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "status"]
