"""A tiny stdlib HTTP server speaking the register API's contract, for real Locust runs.

202 with a user_id for a valid JSON {email, name, phone}, the same 202 for a registered email
(the API never tells one apart); 400 naming the field for bad input; 413 over 8 KB; 415 for a
wrong content type; 401 without the expected bearer token (when one is set). Loopback only.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from email_validator import EmailNotValidError, validate_email

MAX_BODY_BYTES = 8 * 1024
FIELDS = ("email", "name", "phone")


class FakeRegisterApi:
    """Serves POST /register on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(self, bearer_token: str | None = None) -> None:
        self.bearer_token = bearer_token
        self.status_counts: Counter[int] = Counter()
        self.accepted: dict[str, str] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeRegisterApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def register(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        """The status and JSON reply for one request (the API contract, in miniature)."""
        if self.bearer_token and headers.get("authorization") != f"Bearer {self.bearer_token}":
            return 401, {"error": "missing or wrong bearer token"}
        if headers.get("content-type", "").split(";")[0] != "application/json":
            return 415, {"error": "content type must be application/json"}
        if len(body) > MAX_BODY_BYTES:
            return 413, {"error": f"body over {MAX_BODY_BYTES} bytes"}
        try:
            fields = json.loads(body)
        except ValueError:
            return 400, {"error": "malformed JSON"}
        if not isinstance(fields, dict):
            return 400, {"error": "body must be an object"}
        for name in FIELDS:
            if not isinstance(fields.get(name), str) or not fields[name].strip():
                return 400, {"error": "missing or empty field", "field": name}
        if extra := sorted(set(fields) - set(FIELDS)):
            return 400, {"error": "unexpected field", "field": extra[0]}
        try:
            validate_email(fields["email"], check_deliverability=False)
        except EmailNotValidError:
            return 400, {"error": "invalid email", "field": "email"}
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, fields["email"].lower()))
        with self._lock:
            self.accepted.setdefault(user_id, fields["email"])
        return 202, {"user_id": user_id, "status": "pending"}

    def count(self, status: int) -> None:
        """Count a reply's status."""
        with self._lock:
            self.status_counts[status] += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 makes a burst of connections wait for SYN retries


def _handler_for(api: FakeRegisterApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/register":
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, reply = api.register(headers, body)
            else:
                status, reply = 404, {"error": f"no route {self.path}"}
            api.count(status)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Silence the per-request log lines."""

    return Handler
