"""Loopback servers that stop without leaving a thread or an open socket behind.

moto's WSGI server (internal: only the runtime and its workers call it) keeps client
connections alive between requests, so a plain ``shutdown()`` would leave request threads
blocked on idle keep-alive sockets. ``ServerThread`` closes those sockets and joins every
thread on stop. (The local HTTP API, which faces clients, runs on waitress: ``http_server``.)
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from typing import Any

LOOPBACK = "127.0.0.1"


class ConnectionTrackingMixin(socketserver.ThreadingMixIn):
    """A threading server that knows its open connections and joins its threads on close."""

    daemon_threads = False
    block_on_close = True

    def process_request(self, request: Any, client_address: Any) -> None:
        """Remember the connection, then serve it on its own thread."""
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget a connection once its thread is done with it."""
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut every open connection so the threads serving them return."""
        with self._connections_lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    @property
    def _connections(self) -> set[Any]:
        return vars(self).setdefault("_open_connections", set())

    @property
    def _connections_lock(self) -> threading.Lock:
        return vars(self).setdefault("_open_connections_lock", threading.Lock())


class ServerThread:
    """Runs a ``ConnectionTrackingMixin`` server's ``serve_forever`` on a named thread."""

    def __init__(self, server: ConnectionTrackingMixin, name: str) -> None:
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    @property
    def port(self) -> int:
        """The bound port (useful when the server was created on port 0)."""
        return int(self.server.server_address[1])  # type: ignore[attr-defined]

    def start(self) -> None:
        """Begin serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close idle keep-alive connections, join every thread, free the port."""
        self.server.shutdown()
        self.server.close_connections()
        self.server.server_close()  # type: ignore[attr-defined]
        self._thread.join()
