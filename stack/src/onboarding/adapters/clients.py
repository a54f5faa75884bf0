"""boto3 clients, created on first use and then reused across warm invocations.

Lazy creation means a moto mock or ``AWS_ENDPOINT_URL`` set before the first call applies.
Tests that start a fresh mock call ``client.cache_clear()``. A client is safe to share between
threads, but creating one from boto3's default session is not: stream records run on
threads, so the first use of a service creates its one client under a lock and the other
threads wait for it (rather than each creating its own).
"""

import functools
import os
import threading
from typing import Any

_creating = threading.Lock()


@functools.cache
def _created(service: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 3}))


def client(service: str) -> Any:
    """The shared boto3 client for ``service`` (standard retry mode)."""
    with _creating:
        return _created(service)


client.cache_clear = _created.cache_clear  # type: ignore[attr-defined]


def warm(services: tuple[str, ...]) -> None:
    """Inside Lambda (``LAMBDA_TASK_ROOT`` set), create these clients now: at import, in the
    INIT phase, as AWS advises for SDK clients, so a cold batch's records do not each wait for
    them. Elsewhere (tests, notebooks) clients stay lazy, so a mock started later applies."""
    if os.environ.get("LAMBDA_TASK_ROOT"):
        for service in services:
            client(service)


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ``ClientError`` (empty for other exceptions)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
