"""Small WSGI helpers shared by the middlewares around moto's server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any

WsgiApp = Callable[..., Any]


def buffered_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back in ``environ``, so the wrapped app can read it."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = BytesIO(body)
    return body


_LONG_POLL_TARGET = "AmazonSQS.ReceiveMessage"
_FORM_LONG_POLL = b"Action=ReceiveMessage"


def one_at_a_time(app: WsgiApp, lock: threading.Lock) -> WsgiApp:
    """``app`` answering under ``lock``, its whole body produced before the lock is let go.

    SQS ReceiveMessage is left out: a long poll waits inside moto for a message, and under the
    lock no SendMessage could reach the queue meanwhile (on SQS other calls go on)."""

    def serialized(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _receives_messages(environ):
            return app(environ, start_response)
        with lock:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return serialized


def _receives_messages(environ: dict[str, Any]) -> bool:
    """An SQS ReceiveMessage, in the JSON protocol or the query protocol's form."""
    if environ.get("HTTP_X_AMZ_TARGET") == _LONG_POLL_TARGET:
        return True
    form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
    return form and _FORM_LONG_POLL in buffered_body(environ)
