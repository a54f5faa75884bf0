"""Our own retry loop for throttled AWS calls, on top of botocore's adaptive retries.

botocore gives up after its ``max_attempts``; a long collection (hundreds of metric
queries, several Logs Insights polls) should wait and carry on instead.

Example::

    page = call_with_backoff(cloudwatch.get_metric_data, MetricDataQueries=queries, ...)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)


def is_throttling(exc: ClientError) -> bool:
    """True when AWS refused the call for its rate (retrying later can succeed)."""
    return exc.response.get("Error", {}).get("Code") in THROTTLING_CODES


def backoff_delays(
    attempts: int, base_s: float = 0.5, cap_s: float = 20.0, rng: random.Random | None = None
) -> list[float]:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base*2**n))."""
    draw = (rng or random).uniform
    return [draw(0, min(cap_s, base_s * 2**n)) for n in range(attempts)]


def call_with_backoff(
    call: Callable[..., Any],
    *,
    attempts: int = 8,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> Any:
    """``call(**kwargs)``, retried with jittered exponential backoff while it is throttled."""
    for delay in backoff_delays(attempts - 1):
        try:
            return call(**kwargs)
        except ClientError as exc:
            if not is_throttling(exc):
                raise
            sleep(delay)
    return call(**kwargs)
