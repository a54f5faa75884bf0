"""The local HTTP API's server: waitress on loopback, with limits a public endpoint needs.

waitress (Pylons) is a production WSGI server: one asyncore loop reads every connection
and buffers each request (head and body, spooled to a temporary file past 512 KB) before a
worker thread sees it, so a slow or idle client holds a socket, never a thread, and the
threads (bounded) only run complete requests. HTTP/1.1 framing (Content-Length, keep-alive,
pipelining, ``Expect: 100-continue``) is waitress's, never ours. What we add, as
``ServerLimits``:

- a real listen backlog and a connection limit (beyond it, new clients wait in the backlog);
- a request deadline: a request's head and body must arrive within ``request_timeout_s`` of
  its first byte, else the connection is closed (slowloris); idle keep-alive connections
  close after ``idle_timeout_s``;
- the body limit checked on the declared ``Content-Length`` before the body is read;
- only length-framed bodies: ``Transfer-Encoding: chunked`` is a 411 (nothing after it on
  the connection is read as a request);
- every error waitress answers itself (400 malformed request or ``Content-Length``, 411,
  413, 431, 501) is JSON ``{"message": ...}``, API Gateway's error shape;
- no traceback when a client goes away early (socket errors are not logged).

Example::

    server = LoopbackServer(wsgi_app, port=0, limits=ServerLimits())
    server.start(); server.port; server.stop()
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import BadRequest, RequestEntityTooLarge

from onramp.local.api.payload import MAX_PAYLOAD_BYTES
from onramp.local.aws.wsgi import WsgiApp
from onramp.local.loopback import LOOPBACK

STOP_TIMEOUT_S = 5.0
LOOP_TIMEOUT_S = 0.2


@dataclass(frozen=True)
class ServerLimits:
    """How much the server takes on: threads, connections, deadlines and body size."""

    threads: int = 16  # requests handled at once; more wait, fully read, in waitress's queue
    connection_limit: int = 1000  # open connections; beyond, new ones wait in the backlog
    backlog: int = 2048  # listen(2) backlog (the kernel caps it at net.core.somaxconn)
    request_timeout_s: int = 30  # a request's head and body must arrive within this
    idle_timeout_s: int = 60  # a keep-alive connection with no request is closed after this
    max_body_bytes: int = MAX_PAYLOAD_BYTES  # larger declared bodies: 413, unread


class LengthRequired(BadRequest):
    """411: the body is not framed by ``Content-Length``."""

    code = 411
    reason = "Length Required"


class _LengthFramedParser(HTTPRequestParser):
    """waitress's parser, refusing chunked bodies and remembering when the request began."""

    error: Any  # waitress's own attribute (an Error, or None), untyped

    def __init__(self, adj: Any) -> None:
        super().__init__(adj)
        self.started = time.time()  # the first byte of this request has just arrived

    def received(self, data: bytes) -> int:
        consumed = int(super().received(data))
        if self.chunked and self.error is None:
            self.error = LengthRequired("Transfer-Encoding: chunked is not accepted")
            self.completed = True
            return len(data)  # nothing more on this connection is parsed as a request
        return consumed


class _JsonErrorTask(ErrorTask):
    """waitress's error reply as API Gateway's JSON ``{"message": ...}``."""

    def execute(self) -> None:
        error = self.request.error
        message = error.reason
        if not isinstance(error, RequestEntityTooLarge) and error.body:
            message = f"{error.reason}: {error.body}"
        body = json.dumps({"message": message}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    parser_class = _LengthFramedParser
    error_task_class = _JsonErrorTask


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def __init__(self, app: WsgiApp, limits: ServerLimits, port: int) -> None:
        self.request_timeout_s = limits.request_timeout_s
        super().__init__(
            app,
            host=LOOPBACK,
            port=port,
            threads=limits.threads,
            connection_limit=limits.connection_limit,
            backlog=limits.backlog,
            channel_timeout=limits.idle_timeout_s,
            cleanup_interval=1,
            max_request_body_size=limits.max_body_bytes + 1,  # waitress refuses >= this
            log_socket_errors=False,
            asyncore_use_poll=True,  # select() stops at 1,024 descriptors
            ident="onramp",
            expose_tracebacks=False,
        )

    def maintenance(self, now: float) -> None:
        """Close idle channels (waitress) and channels whose request is overdue (slowloris)."""
        super().maintenance(now)
        cutoff = now - self.request_timeout_s
        for channel in list(self.active_channels.values()):
            request = channel.request
            if request is not None and not request.completed and request.started < cutoff:
                channel.will_close = True


class LoopbackServer:
    """Serves one WSGI app on ``127.0.0.1:<port>`` from a named thread; ``stop`` frees all."""

    def __init__(
        self, app: WsgiApp, port: int = 0, limits: ServerLimits | None = None, name: str = ""
    ) -> None:
        _quiet_waitress()
        self._server = _Server(app, limits or ServerLimits(), port)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name or "onramp-http", daemon=True)

    @property
    def port(self) -> int:
        """The bound port (useful when the server was created on port 0)."""
        return int(self._server.effective_port)

    def start(self) -> None:
        """Begin serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, let running requests finish (up to 5 s), close every connection."""
        self._stopping.set()
        self._server.pull_trigger()
        self._thread.join()
        self._server.task_dispatcher.shutdown(timeout=STOP_TIMEOUT_S)
        socket_map = self._server._map
        for dispatcher in list(socket_map.values()):
            dispatcher.close()  # the listening socket, the trigger and every connection
        socket_map.clear()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._server.asyncore.poll2(LOOP_TIMEOUT_S, self._server._map)


def _quiet_waitress() -> None:
    """waitress logs queue depth and disconnects at WARNING/INFO; the runtime prints its own."""
    logging.getLogger("waitress").setLevel(logging.ERROR)
