"""Data services: DynamoDB on-demand tables and S3 Standard buckets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costmodel.pricing.arithmetic import Arithmetic
from costmodel.pricing.components import Metered, Service, metered, number


def meter_dynamodb(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """On-demand write/read units, storage, PITR, stream reads by non-Lambda consumers."""
    return metered(
        num,
        ("write_request_units", resource["write_request_units"]),
        ("read_request_units", resource["read_request_units"]),
        ("storage", resource["storage_gb"]),
        ("pitr", resource["pitr_gb"]),
        ("stream_read_requests", resource["stream_read_requests"]),
    )


def meter_s3(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """S3 Standard PUT-class and GET-class requests and storage."""
    return metered(
        num,
        ("put_requests", resource["put_requests"]),
        ("get_requests", resource["get_requests"]),
        ("storage", resource["storage_gb"]),
    )


DYNAMODB = Service(
    "dynamodb",
    {
        "write_request_units": number(),
        "read_request_units": number(),
        "storage_gb": number(doc="mean table size in the month (GB-month)"),
        "pitr_gb": number(doc="table size under point-in-time recovery (GB-month)"),
        "stream_read_requests": number(doc="GetRecords by non-Lambda consumers only"),
    },
    meter_dynamodb,
)
S3 = Service(
    "s3",
    {"put_requests": number(), "get_requests": number(), "storage_gb": number()},
    meter_s3,
)
