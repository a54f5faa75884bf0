"""Who may call the runtime's admin endpoints (``/_onramp/*``): this machine, never a web page.

- Host: only a loopback name (``127.0.0.1``, ``localhost``, ``[::1]``, any port). A page on
  another site that re-points its own DNS name at 127.0.0.1 (DNS rebinding) sends its own
  name as ``Host``, so it is refused with 403.
- State-changing calls (POST) carry ``X-Onramp-Admin`` (any non-empty value) and a JSON
  body. An HTML form can set neither a custom header nor ``application/json``; a cross-site
  ``fetch`` with them needs a CORS preflight, which the runtime never grants. So a page the
  developer visits cannot clear faults or invoke functions (CSRF).

Example::

    problem = refusal("POST", {"host": "127.0.0.1:3000", "x-onramp-admin": "1",
                               "content-type": "application/json"})   # None: allowed
"""

from __future__ import annotations

from collections.abc import Mapping

ADMIN_HEADER = "X-Onramp-Admin"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


class AdminForbidden(Exception):
    """An admin action the runtime refuses (403), e.g. invoking a function around its source."""


def refusal(method: str, headers: Mapping[str, str]) -> str | None:
    """Why this admin request is refused (a 403 message), or None when it may proceed.

    ``headers``: lower-cased names.
    """
    host = headers.get("host", "")
    if _host_name(host) not in LOOPBACK_HOSTS:
        return f"admin endpoints answer a loopback Host only, not {host!r}"
    if method == "GET":
        return None
    if not headers.get(ADMIN_HEADER.lower(), "").strip():
        return f"a state-changing admin call needs the {ADMIN_HEADER} header"
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        return "a state-changing admin call needs Content-Type: application/json"
    return None


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rpartition(":")[0] if host.count(":") == 1 else host
