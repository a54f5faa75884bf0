"""Amazon API Gateway: HTTP APIs (metered in 512 KB steps) and REST APIs (per request)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from costmodel.components import Metered, Service, metered, number, steps

HTTP_API_STEP_KB = Decimal(512)


def meter_http(resource: Mapping[str, Any], usage: Mapping[str, Any]) -> list[Metered]:
    """HTTP API requests; a request over 512 KB counts once per started 512 KB."""
    per_request = steps(resource["request_size_kb"], HTTP_API_STEP_KB)
    return metered(("requests", resource["requests"] * per_request))


def meter_rest(resource: Mapping[str, Any], usage: Mapping[str, Any]) -> list[Metered]:
    """REST API requests."""
    return metered(("requests", resource["requests"]))


HTTP_API = Service(
    "http_api",
    {"requests": number(), "request_size_kb": number(doc="mean request size, for 512 KB metering")},
    meter_http,
)
REST_API = Service("rest_api", {"requests": number()}, meter_rest)
