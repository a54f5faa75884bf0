"""AWS Lambda: requests, duration (GB-s per architecture), ephemeral storage above 512 MB."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costmodel.pricing.arithmetic import Arithmetic
from costmodel.pricing.components import Field, Metered, Service, metered, number

FREE_EPHEMERAL_MB = 512
MB_PER_GB = 1024
MS_PER_S = 1000


def billed_ms(resource: Mapping[str, Any], num: Arithmetic) -> Any:
    """Billed milliseconds: the exact total if given, else requests x duration rounded up to 1 ms.

    ``init_ms_total`` (billed INIT phases, since 2025-08-01) is added either way.
    """
    if resource["billed_ms_total"] is not None:
        total = resource["billed_ms_total"]
    else:
        total = resource["requests"] * num.ceil(resource["duration_ms"])
    return total + resource["init_ms_total"]


def meter(resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic) -> list[Metered]:
    """Requests, GB-seconds on the function's architecture, extra ephemeral GB-seconds."""
    seconds = billed_ms(resource, num) / MS_PER_S
    extra_storage_mb = num.maximum(
        resource["ephemeral_storage_mb"] - FREE_EPHEMERAL_MB, num.number(0)
    )
    return metered(
        num,
        ("requests", resource["requests"]),
        (f"duration_{resource['architecture']}", seconds * resource["memory_mb"] / MB_PER_GB),
        ("ephemeral_storage", seconds * extra_storage_mb / MB_PER_GB),
    )


SERVICE = Service(
    "lambda",
    {
        "requests": number(doc="invocations a month"),
        "duration_ms": number(doc="mean duration per invocation (rounded up to 1 ms)"),
        "billed_ms_total": number(None, "exact sum of billed ms; overrides requests x duration"),
        "init_ms_total": number(doc="billed INIT ms (cold starts, billed since 2025-08-01)"),
        "memory_mb": number(128),
        "architecture": Field("x86_64", ("x86_64", "arm64")),
        "ephemeral_storage_mb": number(512),
    },
    meter,
)
