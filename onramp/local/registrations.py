"""Send registrations to a local API: synthetic users for ``onramp up --seed`` and the bench.

Payloads come from the load tests' ``PayloadFactory`` (one generator for every caller).

Example::

    statuses = seed_users("http://127.0.0.1:3000", 20, seed=7)    # Counter({202: 17, 400: 3})
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter

REGISTER_PATH = "/register"


def post_registration(api_url: str, body: bytes, timeout_s: float = 10.0) -> int:
    """POST one JSON body to ``<api_url>/register``; return the HTTP status."""
    request = urllib.request.Request(
        api_url.rstrip("/") + REGISTER_PATH,
        data=body,
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.read()
        return int(error.code)


def seed_users(
    api_url: str, count: int, seed: int | None = None, mixed: bool = True
) -> Counter[int]:
    """Register ``count`` synthetic users (the load tests' default mix of bad requests if
    ``mixed``, else valid only); return how many got each HTTP status."""
    from loadtest.payloads import DEFAULT_MIX_TEXT, PayloadFactory, parse_mix

    factory = PayloadFactory(parse_mix(DEFAULT_MIX_TEXT) if mixed else {}, seed=seed)
    statuses: Counter[int] = Counter()
    for _ in range(count):
        payload = factory.next()
        status = post_registration(api_url, payload.body)
        if status == 202:
            factory.remember_accepted(payload)
        statuses[status] += 1
    return statuses
