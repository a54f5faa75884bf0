"""The console's page, script and style sheet, shipped in the package (no build, no CDN).

Served at ``/_onramp/`` (``index.html``) and ``/_onramp/console/<file>`` with a strict
Content-Security-Policy: scripts and styles from this origin only, no inline script, no
frames but the sandboxed ``srcdoc`` one an HTML email is rendered in.

Example::

    reply = asset("console.js")     # HttpReply 200, text/javascript
"""

from __future__ import annotations

from importlib.resources import files

from onramp.local.api.admin_errors import NotFound
from onramp.local.api.payload import HttpReply

TYPES = {
    "index.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def asset(name: str) -> HttpReply:
    """The named file of the console (NotFound for any other name)."""
    if name not in TYPES:
        raise NotFound(f"no console file {name!r} (files: {', '.join(sorted(TYPES))})")
    body = files("onramp.console").joinpath("static", name).read_bytes()
    headers = [
        ("content-type", TYPES[name]),
        ("content-security-policy", POLICY),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-cache"),
    ]
    return HttpReply(200, headers, body)
