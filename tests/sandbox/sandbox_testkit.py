"""Helpers shared by the sandbox app tests (constants, transaction builder, webhook receiver)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

KEY = "test-key-a"
OTHER_KEY = "test-key-b"


def tx(tx_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid transaction input."""
    return {
        "id": tx_id,
        "description": "NETFLIX.COM",
        "date": "2024-01-01",
        "amount": 17.99,
        "entry_type": "outgoing",
        "currency": "USD",
        "account_holder_id": None,
        "location": None,
        **overrides,
    }


@dataclass
class Received:
    """One request seen by the :class:`WebhookReceiver`."""

    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        """Parsed body."""
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A tiny local HTTP endpoint recording POSTs; the first ``fail_first`` requests get a 500."""

    fail_first: int = 0
    received: list[Received] = field(default_factory=list)
    event: threading.Condition = field(default_factory=threading.Condition)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """Request handler class bound to this receiver."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.event:
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                    failing = len(receiver.received) <= receiver.fail_first
                    receiver.event.notify_all()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        return Handler

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` requests arrived; return them."""
        with self.event:
            self.event.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)
