"""moto's server on a free loopback port, in the calling process, with fake credentials.

The embedded stack runs it in a process of its own (``aws_process``); tests of the
AWS-side pieces (stream retention, GetRecords, stored-data sizes) run it directly.

We build the app from moto's own WSGI pieces (``DomainDispatcherApplication``,
``create_backend_app``, as ``ThreadedMotoServer`` does) so that a WSGI middleware can watch
every request, and serve it on our keep-alive server (``loopback``: werkzeug's closes every
connection after one response).

Example::

    server = MotoServer(observer=traffic_middleware)
    server.start()
    client = server.internal_client("dynamodb")   # not counted as pipeline traffic
    server.stop()
"""

from __future__ import annotations

import os
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Response
from moto.core.model_instances import model_data
from moto.core.request import Request
from moto.core.utils import convert_to_flask_response
from moto.moto_api import recorder
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from onramp.local.aws import dynamodb_json, moto_speedups
from onramp.local.aws.stream_reads import fast_get_records
from onramp.local.aws.stream_retention import StreamRetention
from onramp.local.aws.wsgi import WsgiApp, one_at_a_time
from onramp.local.loopback import LOOPBACK, KeepAliveServer

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
INTERNAL_HEADER = "X-Onramp-Internal"
DYNAMODB_TARGET = "DynamoDB_20120810."  # X-Amz-Target of every DynamoDB call (not Streams')
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


BACKEND_LOCK = threading.Lock()
"""Held by every request the server answers, and by whatever reads or changes moto's stores
apart from it (the AWS process's channel): moto's backends are not thread-safe, and the
server answers each connection on a thread of its own. Without it a Query on a sparse
index raised ``KeyError`` (a 500, which the SDK retried) when an UpdateItem removed the
index key between the Query's selection and its sort (tests/integration/test_moto_threads.py);
DynamoDB itself answers such a Query from one consistent view."""

FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
"""The bodies werkzeug's ``FormDataParser`` parses (werkzeug 3: ``FormDataParser.parse``)."""
DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"
"""Flask's ``Response.default_mimetype`` with the charset werkzeug adds to a text type."""
_RESPONSE_RULE_HEADERS = {"location", "content-location", "content-length"}
"""Headers Flask's ``Response`` rewrites: a reply carrying one takes the ``Response`` path."""


class _NotRetained(list):
    """An always-empty list: ``append`` drops the instance."""

    def append(self, _: Any) -> None:
        """Keep nothing."""


def stop_instance_tracking() -> None:
    """Make moto's models stop keeping every instance ever created.

    moto's ``BaseModel`` appends each new instance to a class-level ``instances_tracked``
    list, only for its dashboard: every DynamoDB ``Item`` built while parsing, copying or
    updating (about 10 per onboarding, 2 of them live), every stream record and shard
    iterator stay reachable for the life of the process (~20 KB per onboarding at the soak).
    Applies to the models imported so far; idempotent.
    """
    for models in model_data.values():
        for model in models.values():
            if not isinstance(model.instances_tracked, _NotRetained):
                model.instances_tracked = _NotRetained()


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering each host's backend.

    moto lists its package directory (a few hundred ``isdir`` calls) on every request to
    resolve the host; profiling showed a third of the server's time there. A service's
    models are imported when its app is created, so instance tracking is stopped then, and
    the app leaves Flask's debug mode (moto turns it on), which builds a new class for every
    form-encoded request (SES, IAM, SQS).

    A request is then routed by the app's own URL map and handed to moto's handler as
    moto's Flask view would (``convert_to_flask_response``: the request normalised, recorded,
    a ``ClientError`` as 400), without Flask's request context, hooks and response
    finalising around it (an eighth of an UpdateItem's CPU). What the map does not route,
    and moto's own API (reset, dashboard), still go through Flask. DynamoDB has one route
    (``/``, the action in ``X-Amz-Target``): once its app exists, its calls skip the lookup.
    """

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        dynamodb = environ.get("HTTP_X_AMZ_TARGET", "").startswith(DYNAMODB_TARGET)
        if dynamodb and self._dynamodb_handler is not None:  # one route: no lookup, no lock
            return _respond(self._dynamodb_handler, environ, start_response)
        app = self.get_application(environ)
        view = None if app.service == "moto_api" else _view(app, environ)
        if view is None:
            return app(environ, start_response)
        if dynamodb and app.service == "dynamodb":
            self._dynamodb_handler = view.callback
        return _respond(view.callback, environ, start_response)

    def __init__(self, create_app: Callable[[str], Any]) -> None:
        super().__init__(create_app)
        self._backend_by_host: dict[str | None, Any] = {}
        self._dynamodb_handler: Callable[..., Any] | None = None

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backend_by_host:
            self._backend_by_host[host] = super().get_backend_for_host(host)
        return self._backend_by_host[host]

    def get_application(self, environ: dict[str, Any]) -> Any:
        services = len(self.app_instances)
        app = super().get_application(environ)
        if len(self.app_instances) != services:  # a service's app (and models) just created
            stop_instance_tracking()
            app.debug = False
        return app


class _ServerRequest(Request):
    """moto's request as its server builds it (``BackendRequest``), without Flask's request
    class: that one asks Flask's app context (there is none here) for limits on every body."""

    from_wsgi_server = True

    def _load_form_data(self) -> None:
        """werkzeug's, without a form parser for a body that is no form (DynamoDB's JSON): for
        any other type the parser hands back the stream and two empty multidicts."""
        if "form" in self.__dict__ or not self.want_form_data_parsed or self.mimetype in FORMS:
            super()._load_form_data()
            return
        empty = self.parameter_storage_class
        self.__dict__.update(stream=self._get_stream_for_parsing(), form=empty(), files=empty())


def _view(app: Any, environ: dict[str, Any]) -> convert_to_flask_response | None:
    """moto's view for the request, as the app's URL map routes it; None when it does not."""
    try:
        endpoint, _ = app.url_map.bind_to_environ(environ).match()
    except HTTPException:
        return None
    view = app.view_functions.get(endpoint)
    return view if isinstance(view, convert_to_flask_response) else None


def _respond(
    handler: Callable[..., Any], environ: dict[str, Any], start_response: Callable[..., Any]
) -> Any:
    """What ``convert_to_flask_response`` answers, and Flask around it for an HTTP error."""
    request = _ServerRequest(environ)
    recorder._record_request(request)
    try:
        result = handler(request, request.raw_url, dict(request.headers))
    except ClientError as exc:
        result = 400, {}, exc.response["Error"]["Message"]
    except HTTPException as exc:  # moto's errors are werkzeug's: they answer themselves
        return exc(environ, start_response)
    status, headers, content = result if len(result) == 3 else (200, {}, result)
    plain = None if request.method == "HEAD" else _plain_reply(status, headers, content)
    if plain is not None:
        start_response(plain[0], plain[1])
        return [plain[2]]
    response = Response(response=content, status=status, headers=headers)
    if request.method == "HEAD" and "content-length" in headers:
        response.headers["Content-Length"] = headers["content-length"]
    return response(environ, start_response)


def _plain_reply(
    status: int | str, headers: dict[str, Any], content: Any
) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """The status line, headers and body Flask's ``Response`` would send for a whole text or
    bytes body with plain headers (its default content type appended when there is none, then
    the length); None for what takes more of Response's rules (redirects, bodiless statuses,
    streamed bodies, header values that are not text)."""
    code = int(status)
    if not isinstance(content, (str, bytes)) or code < 200 or code in (204, 304):
        return None
    if not all(isinstance(v, str) and "\n" not in v and "\r" not in v for v in headers.values()):
        return None  # Response converts other values and refuses a line break
    names = {name.lower() for name in headers}
    if names & _RESPONSE_RULE_HEADERS:
        return None
    body = content.encode() if isinstance(content, str) else content
    pairs = list(headers.items())
    if "content-type" not in names:
        pairs.append(("Content-Type", DEFAULT_CONTENT_TYPE))
    pairs.append(("Content-Length", str(len(body))))
    return f"{code} {HTTP_STATUS_CODES.get(code, 'UNKNOWN').upper()}", pairs, body


class MotoServer:
    """moto's server on loopback; ``middleware`` (optional) wraps moto's WSGI app."""

    def __init__(
        self, port: int = 0, middleware: Callable[[WsgiApp], WsgiApp] | None = None
    ) -> None:
        self._port = port
        self._middleware = middleware
        self._server: KeepAliveServer | None = None
        self._sdk = SdkEnvironment()
        self.stream_retention = StreamRetention(ACCOUNT_ID, REGION)

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``; valid after ``start()``."""
        if self._server is None:
            raise RuntimeError("MotoServer is not started")
        return f"http://{LOOPBACK}:{self._server.port}"

    def start(self) -> str:
        """Serve, point this process's AWS SDK at the server, and return the endpoint URL."""
        dynamodb_json.install()
        moto_speedups.install()
        app: WsgiApp = fast_get_records(_Dispatcher(create_backend_app), self.stream_retention)
        if self._middleware is not None:
            app = self._middleware(app)
        self._server = KeepAliveServer(
            one_at_a_time(app, BACKEND_LOCK), self._port, name="onramp-moto-server"
        )
        self._server.start()
        self._reset_state()
        self._sdk.point_at(self.endpoint_url)
        return self.endpoint_url

    def stop(self) -> None:
        """Stop serving, restore the SDK environment, leave no thread or port behind."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._sdk.restore()

    def internal_client(self, service: str) -> Any:
        """A boto3 client of the runtime itself: its requests are marked and not metered."""
        return internal_client(self.endpoint_url, service)

    def _reset_state(self) -> None:
        """moto's backends are per process: start from empty (one stack per process at a time)."""
        reset = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/reset", method="POST", headers={INTERNAL_HEADER: "1"}
        )
        with urllib.request.urlopen(reset, timeout=10) as response:
            response.read()
        stop_instance_tracking()  # the reset re-created the lists


class SdkEnvironment:
    """This process's AWS SDK settings (endpoint, region, fake credentials), restorable."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def point_at(self, endpoint_url: str) -> None:
        """Send this process's SDK clients to ``endpoint_url``."""
        values = {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
        for name, value in values.items():
            self._saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def restore(self) -> None:
        """Put back the settings from before ``point_at``."""
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved = {}


def aws_client(endpoint_url: str, service: str, config: Config | None = None) -> Any:
    """A boto3 client on the embedded AWS with its fake credentials; its requests are metered
    as a handler's are (the replay's, a test's)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )


def internal_client(endpoint_url: str, service: str) -> Any:
    """A boto3 client of the runtime itself: its requests are marked and not metered."""
    client = aws_client(
        endpoint_url, service, Config(retries={"max_attempts": 2, "mode": "standard"})
    )
    client.meta.events.register("before-sign", _mark_internal)
    return client


def _mark_internal(request: Any, **_: Any) -> None:
    request.headers[INTERNAL_HEADER] = "1"
