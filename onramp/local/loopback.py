"""The embedded AWS's HTTP/1.1 server: keep-alive connections, a thread each, on loopback.

Only the runtime and its workers call it (the local HTTP API, which faces clients, runs on
waitress: ``api.http_server``). Why not werkzeug's server, which moto's ``ThreadedMotoServer``
uses: it ends every response with ``Connection: close`` and then waits up to 10 ms for the
client to hang up, so every SDK call paid a TCP connect, a new thread and that wait; profiled
on 1,000 sequential PutItems, over half of the AWS process's time went there. Here a
connection is served by one thread for as long as the client keeps it (botocore keeps up to
10 per client), each request's body is read whole before the app runs (so the next request
starts where this one ended), and a response goes out in one write.

HTTP framing kept: ``Content-Length`` and ``Transfer-Encoding: chunked`` request bodies,
``Expect: 100-continue``, ``Connection: close`` and HTTP/1.0 from the client, HEAD responses
without a body, header names as moto's ``MotoRequestHandler`` reports them (S3 metadata
names keep their underscores). ``stop`` closes idle keep-alive connections and joins every
thread, so nothing is left behind.

Example::

    server = KeepAliveServer(wsgi_app)
    server.start(); server.port; server.stop()
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from io import BytesIO
from typing import Any
from urllib.parse import unquote

from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)

LOOPBACK = "127.0.0.1"
MAX_LINE_BYTES = 65536
MAX_HEADERS = 200

WsgiApp = Callable[..., Any]


class BadRequest(Exception):
    """The client's bytes are not an HTTP/1.x request we can frame."""


class KeepAliveServer:
    """Serves ``app`` on ``127.0.0.1:<port>``: one thread accepts, one serves each connection."""

    def __init__(self, app: WsgiApp, port: int = 0, name: str = "onramp-aws-http") -> None:
        self._app = app
        self._name = name
        self._listener = socket.create_server((LOOPBACK, port), backlog=1024)
        self._port = int(self._listener.getsockname()[1])
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stopping = False
        self._acceptor = threading.Thread(target=self._accept, name=name, daemon=True)

    @property
    def port(self) -> int:
        """The bound port (useful when the server was created on port 0)."""
        return self._port

    def start(self) -> None:
        """Begin accepting connections."""
        self._acceptor.start()

    def stop(self) -> None:
        """Stop accepting, close every connection (idle or not), join every thread."""
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._acceptor.join()
        with self._lock:
            connections = dict(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in connections.values():
            thread.join()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed: stop()
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(
                target=self._serve, args=(connection,), name=f"{self._name}-conn", daemon=True
            )
            with self._lock:
                if self._stopping:
                    connection.close()
                    return
                self._connections[connection] = thread
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb", buffering=65536)
        try:
            peer = connection.getpeername()  # once per connection, not per request
            while not self._stopping and self._serve_one(connection, reader, peer):
                pass
        except (OSError, BadRequest):
            pass  # the client went away mid-request, or sent what HTTP cannot frame
        finally:
            reader.close()
            with contextlib.suppress(OSError):
                connection.close()
            with self._lock:
                self._connections.pop(connection, None)

    def _serve_one(self, connection: socket.socket, reader: Any, peer: tuple[str, int]) -> bool:
        """Answer one request; whether the connection stays open for another."""
        line = reader.readline(MAX_LINE_BYTES + 1)
        if not line:
            return False  # the client closed an idle connection
        try:
            method, target, version = line.decode("latin-1").split()
        except ValueError:
            raise BadRequest(line[:80]) from None
        headers = _read_headers(reader)
        keep_alive = _keeps_alive(version, headers)
        if headers.get("expect", "").lower() == "100-continue":
            connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = _read_body(reader, headers)
        environ = self._environ(method, target, version, headers, body, peer)
        status, response_headers, payload = _run(self._app, environ)
        names = {name.lower() for name, _ in response_headers}
        head = [f"HTTP/1.1 {status}"]
        head += [f"{name}: {value}" for name, value in response_headers]
        if "content-length" not in names:
            head.append(f"Content-Length: {len(payload)}")
        if not keep_alive:
            head.append("Connection: close")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        connection.sendall(data if method == "HEAD" else data + payload)
        return keep_alive

    def _environ(
        self,
        method: str,
        target: str,
        version: str,
        headers: _Headers,
        body: bytes,
        peer: tuple[str, int],
    ) -> dict[str, Any]:
        path, _, query = target.partition("?")
        if "://" in path:  # an absolute URL: the path is what follows its authority
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path).encode().decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": target,
            "RAW_URI": target,
            "REMOTE_ADDR": peer[0],
            "REMOTE_PORT": peer[1],
            "SERVER_NAME": LOOPBACK,
            "SERVER_PORT": str(self._port),
            "SERVER_PROTOCOL": version,
            "CONTENT_LENGTH": str(len(body)),
        }
        names: dict[str, str] = {}
        underscored = []
        for name, value in headers.items():
            if name in ("content-length", "transfer-encoding"):
                continue  # the body is read whole: its length is what the app sees
            if "_" in name:
                underscored.append((headers.original_name(name), value))
            else:
                environ[environ_key_for_header(name)] = value
        for original, value in underscored:  # as werkzeug and moto: X_Foo never passes for
            key = environ_key_for_header(original)  # X-Foo; S3 metadata names keep theirs
            if should_preserve_original_header_name(original) and key not in environ:
                environ[key] = value
                names[key] = original
        environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names
        return environ


class _Headers(dict[str, str]):
    """Header values by lower-case name (repeats joined by commas), with their spelling."""

    def __init__(self) -> None:
        super().__init__()
        self._original: dict[str, str] = {}

    def add(self, name: str, value: str) -> None:
        key = name.lower()
        self[key] = f"{self[key]},{value}" if key in self else value
        self._original.setdefault(key, name)

    def original_name(self, key: str) -> str:
        return self._original[key]


def _read_headers(reader: Any) -> _Headers:
    headers = _Headers()
    for _ in range(MAX_HEADERS + 1):
        line = reader.readline(MAX_LINE_BYTES + 1)
        if line in (b"\r\n", b"\n"):
            return headers
        if not line or len(line) > MAX_LINE_BYTES:
            raise BadRequest("headers cut short or too long")
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise BadRequest(line[:80])
        headers.add(name.strip(), value.strip())
    raise BadRequest(f"more than {MAX_HEADERS} headers")


def _read_body(reader: Any, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _read_chunks(reader)
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise BadRequest("Content-Length is not a number") from None
    body = reader.read(length) if length > 0 else b""
    if len(body) != length:
        raise BadRequest("body cut short")
    return bytes(body)


def _read_chunks(reader: Any) -> bytes:
    parts = []
    while True:
        size_line = reader.readline(MAX_LINE_BYTES + 1)
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise BadRequest("bad chunk size") from None
        if size == 0:
            while reader.readline(MAX_LINE_BYTES + 1) not in (b"\r\n", b"\n", b""):
                pass  # trailers: not passed on
            return b"".join(parts)
        chunk = reader.read(size)
        if len(chunk) != size:
            raise BadRequest("chunk cut short")
        parts.append(chunk)
        reader.readline(MAX_LINE_BYTES + 1)  # the CRLF after the chunk


def _keeps_alive(version: str, headers: dict[str, str]) -> bool:
    connection = headers.get("connection", "").lower()
    if version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection


def _run(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call the WSGI app; its status, headers and whole body (a 500 if it raised)."""
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, list(headers)]
        return written.append  # WSGI's legacy write()

    try:
        result = app(environ, start_response)
        try:
            body = b"".join(result)
            payload = b"".join(written) + body
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception:  # an app's bug answers 500 and is printed; the connection stays usable
        traceback.print_exc()
        return "500 Internal Server Error", [("Content-Type", "text/plain")], b"internal error"
    return started[0], started[1], payload
