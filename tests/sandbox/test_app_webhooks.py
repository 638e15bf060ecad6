"""Webhook CRUD and delivery to a local receiver (token, signature, retry with a stable event id)."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

import httpx
from sandbox_testkit import KEY, tx

from ntropy_dagster.sandbox import SandboxConfig, run_sandbox


def test_batch_completion_is_delivered_with_token_and_signature(
    http: httpx.Client, receiver_factory: Any, uid: str
) -> None:
    receiver, url = receiver_factory()
    hook = http.post(
        "/v3/webhooks",
        json={"url": url, "events": ["batches.completed"], "token": "secret-token", "hmac_secret": "k3y"},
    ).json()
    try:
        batch_id = http.post("/v3/batches", json={"data": [tx(f"{uid}-0")]}).json()["id"]
        (delivery,) = [r for r in receiver.wait_for(1) if r.json["data"]["id"] == batch_id]
        assert delivery.headers["x-ntropy-token"] == "secret-token"
        expected = hmac.new(b"k3y", delivery.body, hashlib.sha256).hexdigest()
        assert delivery.headers["x-ntropy-signature"] == expected
        assert delivery.json["event_type"] == "batches.completed"
        assert delivery.json["data"]["status"] == "completed" and delivery.json["data"]["progress"] == 1
        assert delivery.json["event_id"]
    finally:
        http.delete(f"/v3/webhooks/{hook['id']}")


def test_failed_delivery_is_retried_with_the_same_event_id(
    http: httpx.Client, receiver_factory: Any, uid: str
) -> None:
    receiver, url = receiver_factory(fail_first=1)
    hook = http.post("/v3/webhooks", json={"url": url, "events": ["batches.error"]}).json()
    try:
        batch_id = http.post("/v3/batches", json={"data": [tx(f"{uid}-0")]}).json()["id"]
        http.post(f"/_sandbox/batches/{batch_id}/fail")
        first, second = receiver.wait_for(2)[:2]
        assert first.json["event_id"] == second.json["event_id"]
        assert second.json["event_type"] == "batches.error" and second.json["data"]["id"] == batch_id
        assert "x-ntropy-token" not in second.headers
        # The dispatcher records the outcome just after the receiver answered: wait for it.
        deadline = time.monotonic() + 10
        while True:
            deliveries = http.get("/_sandbox/webhook_deliveries").json()
            mine = [d for d in deliveries if d["webhook_id"] == hook["id"]]
            if (mine and mine[0]["status"] != "pending") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert mine[0]["status"] == "delivered" and mine[0]["attempts"] == 2
    finally:
        http.delete(f"/v3/webhooks/{hook['id']}")


def test_webhook_crud_patch_and_limits(http: httpx.Client) -> None:
    bad = http.post("/v3/webhooks", json={"url": "http://x.test/h", "events": ["batches.finished"]})
    assert bad.status_code == 422
    created = [
        http.post("/v3/webhooks", json={"url": f"http://x.test/{i}", "events": ["reports.resolved"]})
        for i in range(12)
    ]
    ok = [c.json()["id"] for c in created if c.status_code == 200]
    try:
        assert len(ok) <= 10 and created[-1].status_code == 400
        patched = http.patch(
            f"/v3/webhooks/{ok[0]}", json={"enabled": False, "token": "t", "hmac_secret": None}
        )
        assert patched.json()["enabled"] is False and patched.json()["token"] == "t"
        assert "hmac_secret" not in patched.json()
        listed = http.get("/v3/webhooks").json()
        assert {"next_cursor", "data"} == set(listed) and ok[0] in {w["id"] for w in listed["data"]}
    finally:
        for hook_id in ok:
            http.delete(f"/v3/webhooks/{hook_id}")
    assert http.get(f"/v3/webhooks/{ok[0]}").status_code == 404


def test_report_status_change_is_delivered(http: httpx.Client, receiver_factory: Any, uid: str) -> None:
    receiver, url = receiver_factory()
    hook = http.post("/v3/webhooks", json={"url": url, "events": ["reports.resolved"]}).json()
    try:
        report = http.post(
            "/v3/reports", json={"transaction_id": f"{uid}-t", "description": "bad logo", "fields": ["logo"]}
        ).json()
        http.post(f"/_sandbox/reports/{report['id']}/status", json={"status": "pending"})
        http.post(f"/_sandbox/reports/{report['id']}/status", json={"status": "resolved"})
        (delivery,) = receiver.wait_for(1)
        assert delivery.json["event_type"] == "reports.resolved"
        assert delivery.json["data"]["id"] == report["id"] and delivery.json["data"]["status"] == "resolved"
        assert http.get(f"/v3/reports/{report['id']}").json()["status"] == "resolved"
    finally:
        http.delete(f"/v3/webhooks/{hook['id']}")


def test_two_servers_on_one_database_deliver_each_event_once(
    tmp_path: Path, receiver_factory: Any, uid: str
) -> None:
    receiver, url = receiver_factory()
    config = SandboxConfig.instant(
        api_keys=(KEY,), db_path=str(tmp_path / "shared.db"), dispatch_interval=0.02
    )
    with run_sandbox(config) as first, run_sandbox(config) as second:
        with httpx.Client(base_url=first.base_url, headers={"X-Api-Key": KEY}) as http:
            http.post("/v3/webhooks", json={"url": url, "events": ["batches.completed"]})
            ids = {http.post("/v3/batches", json={"data": [tx(f"{uid}-{i}")]}).json()["id"] for i in range(8)}
        assert second.db_path == first.db_path
        receiver.wait_for(8)
        time.sleep(0.3)  # would-be duplicates get the time to arrive
    delivered = [r.json["data"]["id"] for r in receiver.received]
    assert sorted(delivered) == sorted(ids)
