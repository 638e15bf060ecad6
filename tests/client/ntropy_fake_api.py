"""A small in-memory emulation of the Ntropy v3 endpoints, served through ``httpx.MockTransport``.

It keeps state, validates the auth header, echoes ``X-Request-ID``, paginates with opaque cursors and lets a
test queue faults (statuses with headers, transport exceptions) that are served before normal handling.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

API_KEY = "sk-test-SECRET-0123456789abcdef"
BASE_URL = "https://fake.ntropy.test"

Handler = Callable[..., httpx.Response]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _enrich(tx: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": tx["id"],
        "created_at": _now(),
        "entities": {
            "counterparty": {
                "id": "e-1",
                "name": "Starbucks",
                "website": "starbucks.com",
                "type": "organization",
            },
            "intermediaries": [],
        },
        "categories": {"general": "coffee shops"},
        "location": {"raw_address": None, "structured": None},
        "error": None,
        "brand_new_field": True,  # responses must tolerate unknown fields
    }


@dataclass
class FakeNtropy:
    """Callable handler for ``httpx.MockTransport``; ``requests`` records every request received."""

    requests: list[httpx.Request] = field(default_factory=list)
    faults: list[httpx.Response | Exception] = field(default_factory=list)
    page_size: int = 2
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    batch_results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    account_holders: dict[str, dict[str, Any]] = field(default_factory=dict)
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    category_sets: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # How many GETs of a batch/statement report "processing" before it finishes, and with which status.
    polls_until_done: int = 0
    final_status: str = "completed"

    def fail_next(self, *faults: httpx.Response | Exception) -> None:
        """Serve these responses (or raise these transport errors) before handling normally."""
        self.faults.extend(faults)

    # -- plumbing -------------------------------------------------------------------------------------------
    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, Exception):
                raise fault
            fault.headers.setdefault("X-Request-ID", request.headers.get("X-Request-ID", "srv"))
            return fault
        if request.headers.get("X-Api-Key") != API_KEY:
            return self._json(request, 401, {"detail": "Invalid API key"})
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, request.url.path)
            if match and request.method == method:
                status, body = handler(request, *match.groups())
                return self._json(request, status, body)
        return self._json(request, 404, {"detail": "Not Found"})

    @staticmethod
    def _json(request: httpx.Request, status: int, body: Any) -> httpx.Response:
        headers = {"X-Request-ID": request.headers.get("X-Request-ID") or uuid.uuid4().hex}
        if status == 204:
            return httpx.Response(204, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    def _routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", r"/v3/transactions", self._tx_create),
            ("GET", r"/v3/transactions", self._lister(self.transactions)),
            ("GET", r"/v3/transactions/([^/]+)", self._getter(self.transactions)),
            ("DELETE", r"/v3/transactions/([^/]+)", self._deleter(self.transactions)),
            ("POST", r"/v3/transactions/([^/]+)/assign", self._tx_assign),
            ("POST", r"/v3/batches", self._batch_create),
            ("GET", r"/v3/batches", self._lister(self.batches)),
            ("GET", r"/v3/batches/([^/]+)", self._poll(self.batches)),
            ("GET", r"/v3/batches/([^/]+)/results", self._batch_results),
            ("POST", r"/v3/account_holders", self._ah_create),
            ("GET", r"/v3/account_holders", self._lister(self.account_holders)),
            ("GET", r"/v3/account_holders/([^/]+)", self._getter(self.account_holders)),
            ("DELETE", r"/v3/account_holders/([^/]+)", self._deleter(self.account_holders)),
            ("POST", r"/v3/account_holders/([^/]+)/recurring_groups", self._recurring),
            ("POST", r"/v3/bank_statements", self._bs_upload),
            ("GET", r"/v3/bank_statements", self._lister(self.statements)),
            ("GET", r"/v3/bank_statements/([^/]+)", self._poll(self.statements)),
            ("DELETE", r"/v3/bank_statements/([^/]+)", self._deleter(self.statements)),
            ("GET", r"/v3/bank_statements/([^/]+)/results", self._bs_results),
            ("POST", r"/v3/bank_statements/([^/]+)/verify", self._bs_verify),
            ("POST", r"/v3/entities/resolve", self._entity_resolve),
            ("GET", r"/v3/entities/([^/]+)", self._entity_get),
            ("POST", r"/v3/webhooks", self._creator(self.webhooks, enabled=True)),
            ("GET", r"/v3/webhooks", self._lister(self.webhooks)),
            ("GET", r"/v3/webhooks/([^/]+)", self._getter(self.webhooks)),
            ("PATCH", r"/v3/webhooks/([^/]+)", self._webhook_patch),
            ("DELETE", r"/v3/webhooks/([^/]+)", self._deleter(self.webhooks)),
            ("POST", r"/v3/reports", self._creator(self.reports, status="open", rejection_reason=None)),
            ("GET", r"/v3/reports", self._lister(self.reports)),
            ("GET", r"/v3/reports/([^/]+)", self._getter(self.reports)),
            ("DELETE", r"/v3/reports/([^/]+)", self._deleter(self.reports)),
            ("GET", r"/v3/rules", lambda r: (200, self.rules)),
            ("POST", r"/v3/rules", self._rule_create),
            ("POST", r"/v3/rules/replace", self._rules_replace),
            ("PATCH", r"/v3/rules/([^/]+)", self._rule_patch),
            ("DELETE", r"/v3/rules/([^/]+)", self._rule_delete),
            ("GET", r"/v3/categories/([^/]+)", self._categories_get),
            ("POST", r"/v3/categories/([^/]+)", self._categories_set),
            ("POST", r"/v3/categories/([^/]+)/reset", self._categories_reset),
        ]

    # -- generic handlers -----------------------------------------------------------------------------------
    def _getter(self, store: dict[str, dict[str, Any]]) -> Handler:
        def get(request: httpx.Request, item_id: str) -> tuple[int, Any]:
            if item_id not in store:
                return 404, {"detail": f"{item_id} not found"}
            return 200, store[item_id]

        return get

    def _deleter(self, store: dict[str, dict[str, Any]]) -> Handler:
        def delete(request: httpx.Request, item_id: str) -> tuple[int, Any]:
            if store.pop(item_id, None) is None:
                return 404, {"detail": f"{item_id} not found"}
            return 204, None

        return delete

    def _lister(self, store: dict[str, dict[str, Any]]) -> Handler:
        def list_(request: httpx.Request) -> tuple[int, Any]:
            params = request.url.params
            items = list(store.values())
            if "status" in params:
                items = [i for i in items if i.get("status") == params["status"]]
            if "account_holder_id" in params:
                items = [i for i in items if i.get("account_holder_id") == params["account_holder_id"]]
            start = int(params.get("cursor", "0"))
            size = int(params.get("limit", self.page_size))
            end = start + size
            return 200, {"next_cursor": str(end) if end < len(items) else None, "data": items[start:end]}

        return list_

    def _creator(self, store: dict[str, dict[str, Any]], **defaults: Any) -> Handler:
        def create(request: httpx.Request) -> tuple[int, Any]:
            body = json.loads(request.content)
            item = {"id": uuid.uuid4().hex, "created_at": _now(), **defaults, **body}
            item.pop("hmac_secret", None)
            store[item["id"]] = item
            return 200, item

        return create

    def _poll(self, store: dict[str, dict[str, Any]]) -> Handler:
        def poll(request: httpx.Request, item_id: str) -> tuple[int, Any]:
            if item_id not in store:
                return 404, {"detail": f"{item_id} not found"}
            item = store[item_id]
            item["polls"] = item.get("polls", 0) + 1
            if item["polls"] > self.polls_until_done:
                item["status"] = self.final_status
                if item.get("total") is not None:
                    item["progress"] = item["total"]
                if self.final_status == "error" and "file" in item:
                    item["error"] = {"code": "unreadable_pdf", "message": "could not parse page 1"}
            return 200, item

        return poll

    # -- specific handlers ----------------------------------------------------------------------------------
    def _tx_create(self, request: httpx.Request) -> tuple[int, Any]:
        tx = json.loads(request.content)
        self.transactions[tx["id"]] = {**tx, **_enrich(tx)}
        return 200, _enrich(tx)

    def _tx_assign(self, request: httpx.Request, tx_id: str) -> tuple[int, Any]:
        if tx_id not in self.transactions:
            return 404, {"detail": "transaction not found"}
        self.transactions[tx_id]["account_holder_id"] = json.loads(request.content)["account_holder_id"]
        return 200, self.transactions[tx_id]

    def _batch_create(self, request: httpx.Request) -> tuple[int, Any]:
        body = json.loads(request.content)
        batch_id = str(uuid.uuid4())
        now = _now()
        batch = {
            "id": batch_id,
            "operation": body["operation"],
            "status": "processing",
            "created_at": now,
            "updated_at": now,
            "progress": 0,
            "total": len(body["data"]),
            "priority": body.get("priority", "default"),
        }
        self.batches[batch_id] = batch
        self.batch_results[batch_id] = [_enrich(tx) for tx in body["data"]]
        return 200, batch

    def _batch_results(self, request: httpx.Request, batch_id: str) -> tuple[int, Any]:
        if batch_id not in self.batches:
            return 404, {"detail": "batch not found"}
        batch = self.batches[batch_id]
        results = self.batch_results[batch_id]
        return 200, {"id": batch_id, "total": batch["total"], "status": batch["status"], "results": results}

    def _ah_create(self, request: httpx.Request) -> tuple[int, Any]:
        body = json.loads(request.content)
        if body["id"] in self.account_holders:
            return 400, {"detail": f"Account holder with id {body['id']} already exists"}
        self.account_holders[body["id"]] = {"name": None, "category_id": None, **body, "created_at": _now()}
        return 200, self.account_holders[body["id"]]

    def _recurring(self, request: httpx.Request, ah_id: str) -> tuple[int, Any]:
        if ah_id not in self.account_holders:
            return 404, {"detail": "account holder not found"}
        group = {
            "id": "g-1",
            "start_date": "2024-01-01",
            "end_date": "2024-04-01",
            "total_amount": 71.96,
            "average_amount": 17.99,
            "periodicity_in_days": 30.3,
            "periodicity": "bi_weekly",
            "counterparty": {"name": "Netflix", "website": "netflix.com", "type": "organization", "mccs": []},
            "categories": {"general": "subscriptions"},
            "transaction_ids": ["t1", "t2", "t3", "t4"],
        }
        return 200, [group, {**group, "id": "g-2", "periodicity": "semi-yearly"}]

    def _bs_upload(self, request: httpx.Request) -> tuple[int, Any]:
        job_id = uuid.uuid4().hex
        self.statements[job_id] = {
            "id": job_id,
            "name": None,
            "status": "processing",
            "created_at": _now(),
            "file": {"no_pages": 1, "size": len(request.content)},
        }
        return 200, self.statements[job_id]

    def _bs_results(self, request: httpx.Request, job_id: str) -> tuple[int, Any]:
        tx = {
            "id": "bst-1",
            "description": "NETFLIX.COM",
            "date": "2024-02-01",
            "amount": 17.99,
            "entry_type": "debit",
            "currency": "USD",
            "running_balance": 982.01,
        }
        return 200, {"accounts": [{"number": "1234", "opening_balance": 1000.0, "transactions": [tx]}]}

    def _bs_verify(self, request: httpx.Request, job_id: str) -> tuple[int, Any]:
        return 200, {
            "institution": "Chase",
            "start_date": "2024-01-01",
            "end_date": "2024-01-31",
            "account_holder": {"type": "consumer", "name": "Jane Doe", "address": {"city": "Austin"}},
            "accounts": [{"type": "checking", "number": "1234", "iso_currency_code": "USD"}],
        }

    def _entity_resolve(self, request: httpx.Request) -> tuple[int, Any]:
        body = json.loads(request.content)
        name = body.get("name") or body.get("website")
        return 200, {"id": "ent-1", "name": name, "website": "starbucks.com", "mccs": [5814]}

    def _entity_get(self, request: httpx.Request, entity_id: str) -> tuple[int, Any]:
        return 200, {"id": entity_id, "name": "Square", "website": "squareup.com", "mccs": []}

    def _webhook_patch(self, request: httpx.Request, hook_id: str) -> tuple[int, Any]:
        if hook_id not in self.webhooks:
            return 404, {"detail": "webhook not found"}
        body = json.loads(request.content)
        body.pop("hmac_secret", None)
        self.webhooks[hook_id].update(body)
        return 200, self.webhooks[hook_id]

    def _rule_create(self, request: httpx.Request) -> tuple[int, Any]:
        rule = {**json.loads(request.content), "id": str(len(self.rules) + 1)}
        self.rules.append(rule)
        return 200, rule

    def _rules_replace(self, request: httpx.Request) -> tuple[int, Any]:
        rules = json.loads(request.content)
        if len(request.content) > 200_000:
            return 413, {"detail": "Ruleset too large"}
        self.rules = [{**rule, "id": str(i + 1)} for i, rule in enumerate(rules)]
        return 200, self.rules

    def _rule_patch(self, request: httpx.Request, rule_id: str) -> tuple[int, Any]:
        for i, rule in enumerate(self.rules):
            if rule["id"] == rule_id:
                self.rules[i] = {**json.loads(request.content), "id": rule_id}
                return 200, self.rules[i]
        return 404, {"detail": "rule not found"}

    def _rule_delete(self, request: httpx.Request, rule_id: str) -> tuple[int, Any]:
        self.rules = [rule for rule in self.rules if rule["id"] != rule_id]
        return 200, {}

    def _categories_get(self, request: httpx.Request, category_id: str) -> tuple[int, Any]:
        default = {"incoming": ["earned income"], "outgoing": ["groceries"]}
        return 200, self.category_sets.get(category_id, default)

    def _categories_set(self, request: httpx.Request, category_id: str) -> tuple[int, Any]:
        self.category_sets[category_id] = json.loads(request.content)
        return 200, self.category_sets[category_id]

    def _categories_reset(self, request: httpx.Request, category_id: str) -> tuple[int, Any]:
        self.category_sets.pop(category_id, None)
        return self._categories_get(request, category_id)
