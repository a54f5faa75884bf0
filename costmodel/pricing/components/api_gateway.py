"""Amazon API Gateway: HTTP APIs (metered in 512 KB steps) and REST APIs (per request).

The 512 KB step is defined and applied here only: ``metered_http_requests`` counts one
request of known size (the local recorder calls it per request); a usage file's
``request_size_kb`` applies it to a mean size instead. A measured run's requests arrive
already counted, so its scenario gives no size.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from costmodel.pricing.arithmetic import EXACT, Arithmetic
from costmodel.pricing.components import Metered, Service, metered, number, steps

HTTP_API_STEP_KB = 512
BYTES_PER_KB = 1024


def metered_http_requests(request_bytes: int) -> int:
    """HTTP API requests one request of ``request_bytes`` is billed as (513 KB -> 2)."""
    return int(steps(Decimal(request_bytes) / BYTES_PER_KB, HTTP_API_STEP_KB, EXACT))


def meter_http(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """HTTP API requests; a request over 512 KB counts once per started 512 KB."""
    per_request = steps(resource["request_size_kb"], HTTP_API_STEP_KB, num)
    return metered(num, ("requests", resource["requests"] * per_request))


def meter_rest(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """REST API requests."""
    return metered(num, ("requests", resource["requests"]))


HTTP_API = Service(
    "http_api",
    {
        "requests": number(),
        "request_size_kb": number(
            doc="mean request size, for 512 KB metering (0: requests already counted in steps)"
        ),
    },
    meter_http,
)
REST_API = Service("rest_api", {"requests": number()}, meter_rest)
