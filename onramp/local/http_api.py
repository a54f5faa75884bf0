"""Serve the template's HTTP API routes on loopback (HTTP/1.1, keep-alive, one thread each).

Each request becomes a payload 2.0 event for the route's function; the result becomes the
reply (``api_payload`` holds the rules). Over 10 MB: 413. No route: 404. A crashing or
timed-out handler: 500 ``{"message": "Internal Server Error"}``, never a stack trace.

``GET /_onramp/<name>`` serves the runtime's admin views (``status``, ``emails``...) from
the ``admin`` callbacks, ``POST /_onramp/<name>/<target>`` its ``actions`` (JSON body);
they are not API traffic and are not metered. With an ``authorizer`` (the template's JWT
routes, ``jwt_auth``), a protected route without a valid token gets 401 before any function
runs, as API Gateway's JWT authorizer answers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from onramp.local.api_payload import (
    MAX_PAYLOAD_BYTES,
    HttpReply,
    RawRequest,
    Route,
    build_event,
    error_reply,
    match_route,
    reply_from_result,
)
from onramp.local.invoker import FunctionRuntime
from onramp.local.jwt_auth import LocalJwtAuthorizer, Unauthorized
from onramp.local.loopback import LOOPBACK, ConnectionTrackingMixin, ServerThread

ADMIN_PREFIX = "/_onramp/"


@dataclass(frozen=True)
class ApiRequest:
    """One metered API request: when, which route, the status and sizes, and latency."""

    at: float
    route_key: str
    status: int
    request_bytes: int
    response_bytes: int
    latency_ms: float


class _ApiServer(ConnectionTrackingMixin, ThreadingHTTPServer):
    daemon_threads = False

    def __init__(self, port: int, api: LocalHttpApi) -> None:
        super().__init__((LOOPBACK, port), _Handler)
        self.api = api


class LocalHttpApi:
    """The HTTP API of the template, served on ``127.0.0.1:<port>``."""

    def __init__(
        self,
        routes: list[Route],
        runtimes: Mapping[str, FunctionRuntime],
        on_request: Callable[[ApiRequest], None],
        admin: Mapping[str, Callable[[], Any]] | None = None,
        api_id: str = "onramplocal",
        actions: Mapping[str, Callable[[str, Any], Any]] | None = None,
        authorizer: LocalJwtAuthorizer | None = None,
    ) -> None:
        self.routes = routes
        self.runtimes = runtimes
        self.on_request = on_request
        self.admin = dict(admin or {})
        self.actions = dict(actions or {})
        self.authorizer = authorizer
        self.api_id = api_id
        self._thread: ServerThread | None = None
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; valid after ``start()``."""
        if self._thread is None:
            raise RuntimeError("the local HTTP API is not started")
        return f"http://{LOOPBACK}:{self._thread.port}"

    @property
    def in_flight(self) -> int:
        """Requests being handled right now."""
        with self._lock:
            return self._in_flight

    def start(self, port: int = 0) -> str:
        """Serve on ``port`` (0: a free one) and return the base URL."""
        self._thread = ServerThread(_ApiServer(port, self), name="onramp-http-api")
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving; close keep-alive connections; join every thread."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    def handle(self, request: RawRequest) -> HttpReply:
        """Route one request to its function and map the result, as API Gateway does."""
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return error_reply(413, "Request Entity Too Large")
        match = match_route(self.routes, request.method, request.path)
        if match is None:
            return error_reply(404, "Not Found")
        event = build_event(match, request, self.api_id)
        if self.authorizer is not None:
            try:
                context = self.authorizer.authorize(match.route.route_key, event["headers"])
            except Unauthorized:
                return error_reply(401, "Unauthorized")
            if context is not None:
                event["requestContext"]["authorizer"] = context
        invocation = self.runtimes[match.route.function].invoke(event)
        if invocation.failed:
            return error_reply(500, "Internal Server Error")
        return reply_from_result(invocation.value)

    def serve(self, request: RawRequest, request_bytes: int) -> HttpReply:
        """Handle and meter one API request (admin views are served, not metered)."""
        if request.path.startswith(ADMIN_PREFIX) and request.method in ("GET", "POST"):
            return self._admin(request)
        with self._lock:
            self._in_flight += 1
        started = time.perf_counter()
        try:
            reply = self.handle(request)
        finally:
            with self._lock:
                self._in_flight -= 1
        match = match_route(self.routes, request.method, request.path)
        self.on_request(
            ApiRequest(
                at=time.time(),
                route_key=match.route.route_key if match else "",
                status=reply.status,
                request_bytes=request_bytes,
                response_bytes=len(reply.body),
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        )
        return reply

    def _admin(self, request: RawRequest) -> HttpReply:
        name, _, target = request.path.removeprefix(ADMIN_PREFIX).partition("/")
        try:
            if request.method == "GET":
                value = self.admin[request.path.removeprefix(ADMIN_PREFIX)]()
            else:
                value = self.actions[name](target, json.loads(request.body or b"null"))
        except KeyError:
            return error_reply(404, "Not Found")
        except ValueError as error:  # a malformed body (json.JSONDecodeError is one)
            return error_reply(400, f"Bad Request: {error}")
        body = json.dumps(value, default=str, indent=1).encode()
        return HttpReply(200, [("content-type", "application/json")], body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ApiServer

    def do_request(self) -> None:
        """Read the request, let the API answer it, write the reply."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self._write(error_reply(413, "Request Entity Too Large"), close=True)
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = RawRequest(
            method=self.command,
            path=path,
            query=query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        header_bytes = len(self.requestline) + sum(len(k) + len(v) + 4 for k, v in request.headers)
        self._write(self.server.api.serve(request, header_bytes + len(body)))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_request

    def _write(self, reply: HttpReply, close: bool = False) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line."""
