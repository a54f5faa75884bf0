"""Small WSGI helpers shared by the middlewares around moto's server."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

WsgiApp = Callable[..., Any]


def buffered_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back in ``environ``, so the wrapped app can read it."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = BytesIO(body)
    return body
