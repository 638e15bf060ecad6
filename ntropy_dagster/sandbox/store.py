"""SQLite state shared by every process that serves one sandbox (WAL mode, one connection per thread)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS account_holders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key TEXT NOT NULL, id TEXT NOT NULL, ts REAL NOT NULL,
    type TEXT NOT NULL, category_id TEXT, doc BLOB NOT NULL,
    UNIQUE (api_key, id)
);
CREATE TABLE IF NOT EXISTS transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key TEXT NOT NULL, id TEXT NOT NULL, ts REAL NOT NULL,
    account_holder_id TEXT, doc BLOB NOT NULL,
    UNIQUE (api_key, id)
);
CREATE INDEX IF NOT EXISTS transactions_ah ON transactions (api_key, account_holder_id);
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key TEXT NOT NULL, id TEXT NOT NULL UNIQUE, ts REAL NOT NULL, created_at TEXT NOT NULL,
    operation TEXT NOT NULL, priority TEXT NOT NULL, total INTEGER NOT NULL,
    started REAL NOT NULL, rate REAL, done_at REAL NOT NULL, error_at REAL,
    error_code TEXT, error_message TEXT, notified TEXT, results BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_notify ON batches (notified, done_at);
CREATE TABLE IF NOT EXISTS bank_statements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key TEXT NOT NULL, id TEXT NOT NULL UNIQUE, ts REAL NOT NULL, created_at TEXT NOT NULL,
    name TEXT, size INTEGER NOT NULL, no_pages INTEGER NOT NULL,
    done_at REAL NOT NULL, error_at REAL, error_code TEXT, error_message TEXT, notified TEXT,
    results BLOB, data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS bank_statements_notify ON bank_statements (notified, done_at);
CREATE TABLE IF NOT EXISTS webhooks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key TEXT NOT NULL, id TEXT NOT NULL UNIQUE, ts REAL NOT NULL, created_at TEXT NOT NULL,
    url TEXT NOT NULL, events BLOB NOT NULL, token TEXT, hmac_secret TEXT,
    enabled INTEGER NOT NULL DEFAULT 1, failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key TEXT NOT NULL, id TEXT NOT NULL UNIQUE, ts REAL NOT NULL,
    status TEXT NOT NULL, notified TEXT, doc BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS rules (
    api_key TEXT PRIMARY KEY, rules BLOB NOT NULL, next_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS categories (
    api_key TEXT NOT NULL, category_id TEXT NOT NULL, doc BLOB NOT NULL,
    PRIMARY KEY (api_key, category_id)
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE, api_key TEXT NOT NULL, event_type TEXT NOT NULL,
    ts REAL NOT NULL, body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_seq INTEGER NOT NULL, webhook_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL, claimed_until REAL, last_error TEXT, delivered_at REAL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_at);
"""

#: Tables emptied by :meth:`Store.reset`.
DATA_TABLES = (
    "account_holders",
    "transactions",
    "batches",
    "bank_statements",
    "webhooks",
    "reports",
    "rules",
    "categories",
    "events",
    "deliveries",
)


class Store:
    """Thin access layer over one SQLite database file.

    Every thread gets its own connection (``sqlite3`` connections are not shareable), all in autocommit
    mode; :meth:`transaction` opens an ``IMMEDIATE`` transaction for multi-statement writes so that
    several server processes can share the file safely.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.conn.executescript(SCHEMA)

    @property
    def conn(self) -> sqlite3.Connection:
        """The calling thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute one statement; return the number of changed rows."""
        return self.conn.execute(sql, params).rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of a query."""
        return self.conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or ``None``."""
        return self.conn.execute(sql, params).fetchone()

    def reset(self) -> None:
        """Delete all data of all keys."""
        with self.transaction() as conn:
            for table in DATA_TABLES:
                conn.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        """Close every connection opened by this store."""
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()
