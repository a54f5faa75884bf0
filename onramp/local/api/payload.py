"""API Gateway HTTP API rules: routes, the payload format 2.0 event, and the reply mapping.

No sockets here: ``http_api`` feeds raw requests in and writes the ``HttpReply`` out.

Example::

    routes = http_api_routes(specs)                       # [Route('POST', '/register', 'register')]
    match = match_route(routes, "POST", "/register")
    event = build_event(match, RawRequest(...), api_id="onramplocal")
    reply = reply_from_result({"statusCode": 202, "body": "{}"})
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from kernel.sam_template import FunctionSpec
from onramp.local.aws.server import ACCOUNT_ID

# API Gateway's payload limit, 10 MB: "HTTP content length exceeded 10485760 bytes." (413).
# Lambda's synchronous invoke limit, 6 MB (6,291,456 bytes) for the event: API Gateway then
# answers 413 {"message": "Request Too Long"}. Both as recorded against AWS in
# github.com/koki-develop/lgtm-generator/issues/10; limits in the API Gateway and Lambda
# quotas pages (docs.aws.amazon.com/apigateway/latest/developerguide/limits.html,
# docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
_TEXT_TYPES = re.compile(r"^(text/|application/(json|xml|javascript)|.*\+(json|xml)\b)", re.I)


@dataclass(frozen=True)
class Route:
    """One HTTP API route of the template: method (or ANY), path template, function key."""

    method: str
    path: str
    function: str

    @property
    def route_key(self) -> str:
        """``"POST /register"`` as API Gateway names it (``$default`` for the catch-all)."""
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when the request matches this route, else None."""
        if self.method not in ("ANY", method.upper()):
            return None
        if self.path == "$default":
            return {}
        pattern = "^"
        for part in re.split(r"(\{[^}]+\})", self.path):
            if part.startswith("{") and part.endswith("+}"):
                pattern += f"(?P<{_group(part[1:-2])}>.+)"
            elif part.startswith("{"):
                pattern += f"(?P<{_group(part[1:-1])}>[^/]+)"
            else:
                pattern += re.escape(part)
        found = re.match(pattern + "$", path)
        if found is None:
            return None
        names = re.findall(r"\{([^}+]+)\+?\}", self.path)
        return dict(zip(names, found.groups(), strict=True))


@dataclass(frozen=True)
class RouteMatch:
    """A route and the path parameters of the request that matched it."""

    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class RawRequest:
    """An HTTP request as it came off the socket."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    content_length: int = -1  # as declared (-1: the length of ``body``)

    def __post_init__(self) -> None:
        if self.content_length < 0:
            object.__setattr__(self, "content_length", len(self.body))


@dataclass
class HttpReply:
    """What the client receives."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def http_api_routes(specs: Iterable[FunctionSpec]) -> list[Route]:
    """Every ``HttpApi`` event of the template's functions, most specific first."""
    routes = [
        Route(
            method=str(event.get("Properties", {}).get("Method", "ANY")).upper(),
            path=str(event.get("Properties", {}).get("Path", "$default")),
            function=spec.key,
        )
        for spec in specs
        for event in spec.events.values()
        if event.get("Type") == "HttpApi"
    ]
    return sorted(routes, key=lambda r: (r.path == "$default", "{" in r.path, r.method == "ANY"))


def match_route(routes: Iterable[Route], method: str, path: str) -> RouteMatch | None:
    """The first route matching the request, as API Gateway picks it."""
    for route in routes:
        params = route.match(method, path)
        if params is not None:
            return RouteMatch(route, params)
    return None


def build_event(match: RouteMatch, request: RawRequest, api_id: str) -> dict[str, Any]:
    """The exact API Gateway HTTP API payload format 2.0 event for ``request``."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    host = headers.get("host", f"{api_id}.execute-api.us-east-1.amazonaws.com")
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.query:
        event["queryStringParameters"] = _query_parameters(request.query)
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": host.split(".")[0],
        "http": {
            "method": request.method.upper(),
            "path": request.path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": base64.b64encode(secrets.token_bytes(12)).decode()[:15] + "=",
        "routeKey": match.route.route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if request.body:
        binary = not _TEXT_TYPES.match(headers.get("content-type", ""))
        event["body"] = (
            base64.b64encode(request.body).decode()
            if binary
            else request.body.decode("utf-8", "replace")
        )
        event["isBase64Encoded"] = binary
    else:
        event["isBase64Encoded"] = False
    return event


def reply_from_result(result: Any) -> HttpReply:
    """Map a handler's result to the HTTP reply with the 2.0 format's rules.

    A dict with ``statusCode`` is a full response; anything else is a 200 JSON body
    (a string verbatim, other values JSON-encoded). A malformed response is a 500.
    """
    if not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpReply(200, [("content-type", "application/json")], body.encode())
    status = result["statusCode"]
    if not isinstance(status, int) or not 100 <= status <= 599:
        return error_reply(500, "Internal Server Error")
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    headers += [("set-cookie", str(c)) for c in result.get("cookies") or []]
    body = result.get("body") or ""
    if not isinstance(body, str):
        return error_reply(500, "Internal Server Error")
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("content-type", "application/json"))
    return HttpReply(status, headers, raw)


def error_reply(status: int, message: str) -> HttpReply:
    """API Gateway's own error body: ``{"message": "..."}``."""
    body = json.dumps({"message": message}).encode()
    return HttpReply(status, [("content-type", "application/json")], body)


def _query_parameters(query: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        values[name] = f"{values[name]},{value}" if name in values else value
    return values


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)
