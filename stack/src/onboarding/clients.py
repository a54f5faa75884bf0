"""boto3 clients, created on first use and then reused across warm invocations.

Lazy creation means a moto mock or ``AWS_ENDPOINT_URL`` set before the first call applies.
Tests that start a fresh mock call ``client.cache_clear()``. A client is safe to share between
threads, but creating one from boto3's default session is not: stream records run on
threads, so creation holds a lock.
"""

import functools
import threading
from typing import Any

_creating = threading.Lock()


@functools.cache
def client(service: str) -> Any:
    """The shared boto3 client for ``service`` (standard retry mode)."""
    import boto3
    from botocore.config import Config

    with _creating:
        return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 3}))


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ``ClientError`` (empty for other exceptions)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
