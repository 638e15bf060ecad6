"""Webhook dispatcher: turns derived state changes into events and delivers them, at least once.

Every server process runs one dispatcher thread. State changes are *claimed* in SQLite (a conditional
``UPDATE`` of the job's ``notified`` column), so with several processes on one database each change
produces exactly one event; deliveries are claimed the same way, so each is attempted by one process at
a time. A failed attempt is retried with exponential backoff under the same ``event_id``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson

from .config import SandboxConfig
from .lifecycle import BATCH_COLUMNS, STATEMENT_COLUMNS, batch_view, now_ts, statement_view
from .store import Store

log = logging.getLogger(__name__)

USER_AGENT = "ntropy-sandbox-webhooks"
_CLAIM_SLACK = 5.0


class WebhookDispatcher:
    """Detects completed/failed batches and statements and changed reports; delivers the events."""

    def __init__(self, store: Store, config: SandboxConfig) -> None:
        self.store = store
        self.config = config
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-webhook")
        self._client = httpx.Client(timeout=config.webhook_timeout, headers={"User-Agent": USER_AGENT})
        self._worker = uuid.uuid4().hex

    def start(self) -> None:
        """Run the dispatch loop in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="sandbox-webhook-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and wait for deliveries in flight."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.config.dispatch_interval):
            try:
                self.run_once()
            except Exception:
                log.exception("webhook dispatch failed")

    def run_once(self) -> None:
        """One pass: emit events for new state changes, start due deliveries."""
        now = now_ts()
        self._detect_jobs(now)
        self._detect_reports()
        for seq in self._claim_due(now):
            self._pool.submit(self._deliver, seq)

    # -- detection ------------------------------------------------------------------------------------
    def _detect_jobs(self, now: float) -> None:
        for table, columns, view, prefix in (
            ("batches", BATCH_COLUMNS, batch_view, "batches"),
            ("bank_statements", STATEMENT_COLUMNS, statement_view, "bank_statements"),
        ):
            rows = self.store.query(
                f"SELECT api_key, notified, {columns} FROM {table} "
                "WHERE (notified IS NULL AND done_at <= ?) "
                "OR (error_at IS NOT NULL AND error_at <= ? AND COALESCE(notified, '') != 'error')",
                (now, now),
            )
            for api_key, notified, *row in rows:
                data = view(tuple(row), now)
                status = data["status"]
                if status == "processing" or status == notified:
                    continue
                with self.store.transaction() as conn:
                    claimed = conn.execute(
                        f"UPDATE {table} SET notified = ? WHERE id = ? AND COALESCE(notified, '') = ?",
                        (status, data["id"], notified or ""),
                    ).rowcount
                    if claimed:
                        self._emit(conn, api_key, f"{prefix}.{status}", data, now)

    def _detect_reports(self) -> None:
        rows = self.store.query(
            "SELECT api_key, id, status, notified, doc FROM reports "
            "WHERE status != 'open' AND COALESCE(notified, '') != status"
        )
        for api_key, report_id, status, notified, doc in rows:
            with self.store.transaction() as conn:
                claimed = conn.execute(
                    "UPDATE reports SET notified = ? "
                    "WHERE id = ? AND status = ? AND COALESCE(notified, '') = ?",
                    (status, report_id, status, notified or ""),
                ).rowcount
                if claimed:
                    self._emit(conn, api_key, f"reports.{status}", orjson.loads(doc), now_ts())

    def _emit(self, conn: Any, api_key: str, event_type: str, data: dict[str, Any], now: float) -> None:
        hooks = [
            hook_id
            for hook_id, events in conn.execute(
                "SELECT id, events FROM webhooks WHERE api_key = ? AND enabled = 1", (api_key,)
            ).fetchall()
            if event_type in orjson.loads(events)
        ]
        if not hooks:
            return
        event_id = str(uuid.uuid4())
        body = orjson.dumps({"event_id": event_id, "event_type": event_type, "data": data})
        event_seq = conn.execute(
            "INSERT INTO events (event_id, api_key, event_type, ts, body) VALUES (?, ?, ?, ?, ?)",
            (event_id, api_key, event_type, now, body),
        ).lastrowid
        conn.executemany(
            "INSERT INTO deliveries (event_seq, webhook_id, next_at) VALUES (?, ?, ?)",
            [(event_seq, hook_id, now) for hook_id in hooks],
        )

    # -- delivery -------------------------------------------------------------------------------------
    def _claim_due(self, now: float) -> list[int]:
        due = self.store.query(
            "SELECT seq FROM deliveries WHERE status = 'pending' AND next_at <= ? "
            "AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_at LIMIT 50",
            (now, now),
        )
        claimed: list[int] = []
        until = now + self.config.webhook_timeout + _CLAIM_SLACK
        for (seq,) in due:
            if self.store.execute(
                "UPDATE deliveries SET claimed_until = ?, attempts = attempts + 1 WHERE seq = ? "
                "AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)",
                (until, seq, now),
            ):
                claimed.append(seq)
        return claimed

    def _deliver(self, seq: int) -> None:
        row = self.store.query_one(
            "SELECT d.attempts, d.webhook_id, e.body, w.url, w.token, w.hmac_secret, w.enabled "
            "FROM deliveries d JOIN events e ON e.seq = d.event_seq "
            "LEFT JOIN webhooks w ON w.id = d.webhook_id "
            "WHERE d.seq = ?",
            (seq,),
        )
        if row is None:
            return
        attempts, webhook_id, body, url, token, secret, enabled = row
        if url is None or not enabled:
            self.store.execute("UPDATE deliveries SET status = 'dropped' WHERE seq = ?", (seq,))
            return
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Ntropy-Token"] = token
        if secret:
            # Provisional: the signature scheme of the live API is undocumented (ntropy-api.md §2.7).
            headers["X-Ntropy-Signature"] = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        error: str | None = None
        try:
            response = self._client.post(url, content=body, headers=headers)
            if not 200 <= response.status_code < 300:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self._record(seq, webhook_id, attempts, error)

    def _record(self, seq: int, webhook_id: str, attempts: int, error: str | None) -> None:
        now = now_ts()
        with self.store.transaction() as conn:
            if error is None:
                conn.execute(
                    "UPDATE deliveries SET status = 'delivered', delivered_at = ?, claimed_until = NULL, "
                    "last_error = NULL WHERE seq = ?",
                    (now, seq),
                )
                conn.execute("UPDATE webhooks SET failures = 0 WHERE id = ?", (webhook_id,))
                return
            delay = min(self.config.webhook_backoff * 2 ** (attempts - 1), self.config.webhook_backoff_max)
            status = "failed" if attempts >= self.config.webhook_max_attempts else "pending"
            conn.execute(
                "UPDATE deliveries SET status = ?, next_at = ?, claimed_until = NULL, last_error = ? "
                "WHERE seq = ?",
                (status, now + delay, error, seq),
            )
            conn.execute(
                "UPDATE webhooks SET failures = failures + 1, "
                "enabled = CASE WHEN failures + 1 >= ? THEN 0 ELSE enabled END WHERE id = ?",
                (self.config.webhook_disable_after, webhook_id),
            )
