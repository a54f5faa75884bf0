"""Serve the template's HTTP API routes on loopback, as API Gateway answers them.

The server is waitress (``http_server``: backlog, deadlines, bounded threads, HTTP/1.1
framing); this module is its WSGI app. Each request becomes a payload 2.0 event for the
route's function and the result becomes the reply (``api_payload`` holds the rules), in
API Gateway's order:

1. a declared body over 10 MB: 413 before it is read (the server); no route: 404;
2. with an ``authorizer`` (the template's JWT routes, ``jwt_auth``), a protected route
   without a valid token: 401 ``{"message":"Unauthorized"}``, before any function runs;
3. an event over Lambda's 6 MB synchronous invoke limit: 413 ``{"message":"Request Too
   Long"}`` (a body over 6 MB is refused on its declared length, unread);
4. a crashing or timed-out handler: 500 ``{"message": "Internal Server Error"}``.

While the runtime stops (``refuse``: draining, or its AWS gone) every API request gets 503
``{"message": "Service Unavailable"}``; once its AWS is gone, so does a request whose
invocation was under way and failed (the truth: the service is unavailable, not the request
wrong).

``GET /_onramp/<name>`` serves the runtime's admin views (``status``, ``runtime``...) from
the ``admin`` callbacks, ``GET /_onramp/<name>[/<target>]?query`` its ``queries`` (the
console's views, given the target and the parsed query), ``POST /_onramp/<name>/<target>``
its ``actions`` (JSON body); they are not API traffic and are not metered, and
``admin_guard`` decides who may call them (loopback Host, a header no HTML form can send).
A view answers an ``HttpReply`` as is (the console's files), anything else as JSON;
``NotFound`` is a 404 and ``BadQuery`` a 400, each with its message.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from onramp.local.api import admin_guard
from onramp.local.api.admin_errors import NotFound
from onramp.local.api.http_server import LoopbackServer, ServerLimits
from onramp.local.api.jwt_auth import LocalJwtAuthorizer, Unauthorized
from onramp.local.api.payload import (
    LAMBDA_SYNC_PAYLOAD_BYTES,
    MAX_PAYLOAD_BYTES,
    HttpReply,
    RawRequest,
    Route,
    build_event,
    error_reply,
    match_route,
    reply_from_result,
)
from onramp.local.loopback import LOOPBACK
from onramp.local.runtime.invoker import FunctionRuntime

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
        limits: ServerLimits | None = None,
        queries: Mapping[str, Callable[[str, Mapping[str, list[str]]], Any]] | None = None,
    ) -> None:
        self.routes = routes
        self.queries = dict(queries or {})
        self.runtimes = runtimes
        self.on_request = on_request
        self.admin = dict(admin or {})
        self.actions = dict(actions or {})
        self.authorizer = authorizer
        self.api_id = api_id
        self.limits = limits or ServerLimits()
        self._server: LoopbackServer | None = None
        self._in_flight = 0
        self._refusing = False
        self._backend_gone = False
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; valid after ``start()``."""
        if self._server is None:
            raise RuntimeError("the local HTTP API is not started")
        return f"http://{LOOPBACK}:{self._server.port}"

    @property
    def in_flight(self) -> int:
        """Requests being handled right now."""
        with self._lock:
            return self._in_flight

    def start(self, port: int = 0) -> str:
        """Serve on ``port`` (0: a free one) and return the base URL."""
        self._server = LoopbackServer(self, port, self.limits, name="onramp-http-api")
        self._server.start()
        return self.url

    def stop(self) -> None:
        """Stop serving; close every connection; join every thread."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def refuse(self, backend_gone: bool = False) -> None:
        """From now on answer every API request 503 (the runtime is stopping); with
        ``backend_gone`` (its AWS died) a request whose invocation then fails is a 503 too."""
        with self._lock:
            self._refusing = True
            self._backend_gone = self._backend_gone or backend_gone

    def handle(self, request: RawRequest) -> HttpReply:
        """Route one request to its function and map the result, as API Gateway does."""
        if request.content_length > MAX_PAYLOAD_BYTES:
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
        if request.content_length > LAMBDA_SYNC_PAYLOAD_BYTES or (
            len(json.dumps(event).encode()) > LAMBDA_SYNC_PAYLOAD_BYTES
        ):
            return error_reply(413, "Request Too Long")
        invocation = self.runtimes[match.route.function].invoke(event)
        if invocation.failed:
            with self._lock:
                if self._backend_gone:
                    return error_reply(503, "Service Unavailable")
            return error_reply(500, "Internal Server Error")
        return reply_from_result(invocation.value)

    def serve(self, request: RawRequest, request_bytes: int) -> HttpReply:
        """Handle and meter one API request (admin views are served, not metered)."""
        if request.path.startswith(ADMIN_PREFIX) and request.method in ("GET", "POST"):
            return self._admin(request)
        with self._lock:
            refusing = self._refusing
            self._in_flight += 0 if refusing else 1
        started = time.perf_counter()
        if refusing:
            reply = error_reply(503, "Service Unavailable")
        else:
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

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The WSGI app the server calls for every complete request."""
        request, header_bytes = _raw_request(environ)
        reply = self.serve(request, header_bytes + request.content_length)
        headers = [(k, v) for k, v in reply.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(reply.body))))
        start_response(f"{reply.status} {_reason(reply.status)}", headers)
        return [b"" if request.method == "HEAD" else reply.body]

    def _admin(self, request: RawRequest) -> HttpReply:
        headers = {name.lower(): value for name, value in request.headers}
        refusal = admin_guard.refusal(request.method, headers)
        if refusal is not None:
            return error_reply(403, f"Forbidden: {refusal}")
        name, _, target = request.path.removeprefix(ADMIN_PREFIX).partition("/")
        try:
            if request.method == "POST":
                value = self.actions[name](target, json.loads(request.body or b"null"))
            elif name in self.queries:
                query = parse_qs(request.query, keep_blank_values=True)
                value = self.queries[name](target, query)
            else:
                value = self.admin[request.path.removeprefix(ADMIN_PREFIX)]()
        except NotFound as error:
            return error_reply(404, f"Not Found: {error}")
        except KeyError:
            return error_reply(404, "Not Found")
        except admin_guard.AdminForbidden as error:
            return error_reply(403, f"Forbidden: {error}")
        except (ValueError, RecursionError) as error:  # a malformed body (JSONDecodeError too)
            return error_reply(400, f"Bad Request: {error}")
        if isinstance(value, HttpReply):
            return value
        body = json.dumps(value, default=str, indent=1).encode()
        return HttpReply(200, [("content-type", "application/json")], body)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a status a handler made up (100-599 is all API Gateway checks)
        return "Status"


def _raw_request(environ: dict[str, Any]) -> tuple[RawRequest, int]:
    """The request as it came off the socket, and the bytes of its request line and headers."""
    headers = [
        (key[5:].replace("_", "-").lower(), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(key):
            headers.append((name, str(environ[key])))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    readable = length <= LAMBDA_SYNC_PAYLOAD_BYTES  # larger bodies are refused unread
    body = environ["wsgi.input"].read(length) if length and readable else b""
    path, _, query = str(environ.get("REQUEST_URI") or environ["PATH_INFO"]).partition("?")
    request_line = f"{environ['REQUEST_METHOD']} {environ.get('REQUEST_URI', path)} HTTP/1.1"
    request = RawRequest(
        method=environ["REQUEST_METHOD"],
        path=path,
        query=query,
        headers=headers,
        body=body,
        source_ip=str(environ.get("REMOTE_ADDR", LOOPBACK)),
        protocol=str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
        content_length=length,
    )
    return request, len(request_line) + sum(len(k) + len(v) + 4 for k, v in headers)
