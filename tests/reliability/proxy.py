"""A TCP proxy that cuts the connection in the middle of a ``/results`` response, a given number of times.

It sits between the client and the sandbox and copies bytes both ways, one thread per direction and
connection. When a request line asks for ``GET .../results`` and cuts remain, the response to it is
passed on only up to ``cut_after`` bytes (headers and the start of the body, or part of the headers), then
both sockets are closed: the client sees the connection drop during the download.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

_READ = 65536


class CuttingProxy:
    """Listens on ``127.0.0.1:<port>``, forwards to ``upstream``; ``cuts`` is how many responses it cuts."""

    def __init__(self, upstream: tuple[str, int], *, cut_after: int, cuts: int) -> None:
        self.upstream = upstream
        self.cut_after = cut_after
        self.remaining = cuts
        self.cut = 0
        self.results_requests = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="cutting-proxy", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            # armed[0]: bytes of the next response still to pass before the cut (None: not cut).
            armed: list[int | None] = [None]
            threading.Thread(target=self._requests, args=(client, server, armed), daemon=True).start()
            threading.Thread(target=self._responses, args=(server, client, armed), daemon=True).start()

    def _requests(self, client: socket.socket, server: socket.socket, armed: list[int | None]) -> None:
        """Client -> sandbox: arm the cut when a request for results starts and cuts remain."""
        try:
            while data := client.recv(_READ):
                line = data.split(b"\r\n", 1)[0]
                if line.endswith(b" HTTP/1.1"):  # a new request: its response is cut or passed whole
                    armed[0] = None
                    if line.startswith(b"GET ") and b"/results" in line:
                        with self._lock:
                            self.results_requests += 1
                            if self.remaining > 0:
                                self.remaining -= 1
                                armed[0] = self.cut_after
                server.sendall(data)
        except OSError:
            pass
        finally:
            _close(client, server)

    def _responses(self, server: socket.socket, client: socket.socket, armed: list[int | None]) -> None:
        """Sandbox -> client: pass an armed response only up to its cut, then drop both connections."""
        try:
            while data := server.recv(_READ):
                budget = armed[0]
                if budget is not None and len(data) >= budget:
                    client.sendall(data[:budget])
                    with self._lock:
                        self.cut += 1
                    return
                if budget is not None:
                    armed[0] = budget - len(data)
                client.sendall(data)
        except OSError:
            pass
        finally:
            _close(client, server)

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        self._thread.join(5)

    def __enter__(self) -> CuttingProxy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
