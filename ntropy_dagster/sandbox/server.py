"""Run the sandbox under uvicorn in a background thread (tests, notebooks, the example project)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from types import TracebackType
from typing import Any

import uvicorn

from .app import create_app
from .config import SandboxConfig


class SandboxServer:
    """A sandbox served on ``127.0.0.1`` by uvicorn in a daemon thread.

    Use as a context manager or call :meth:`stop`. ``base_url`` has no trailing slash (assign it to
    ``SDK.base_url``); ``api_key`` is the first configured key.
    """

    def __init__(self, config: SandboxConfig, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        self.app = create_app(config)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app, log_level="warning", access_log=False, lifespan="on", timeout_keep_alive=30
            )
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="ntropy-sandbox", daemon=True
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_key(self) -> str:
        """The first configured API key."""
        return self.config.api_keys[0]

    @property
    def db_path(self) -> str:
        """The SQLite file holding the state."""
        return self.app.state.sandbox.store.path

    def start(self, timeout: float = 20.0) -> SandboxServer:
        """Start serving; returns once uvicorn accepts requests."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server failed to start")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("the sandbox server did not start in time")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Shut uvicorn down (runs the app's shutdown: dispatcher stopped, temporary database removed)."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_sandbox(config: SandboxConfig | None = None, *, port: int = 0, **overrides: Any) -> SandboxServer:
    """Start a sandbox on a free ``127.0.0.1`` port and return it once it is ready.

    ``overrides`` replace fields of ``config`` (e.g. ``run_sandbox(rate=None, db_path="x.db")``)::

        with run_sandbox(SandboxConfig.instant(api_keys=("k",))) as sandbox:
            sdk = SDK("k"); sdk.base_url = sandbox.base_url
    """
    config = replace(config or SandboxConfig(), **overrides)
    return SandboxServer(config, port=port).start()
