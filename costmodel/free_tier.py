"""Free-tier profiles (an input, since 2025-07-15 it depends on the account's age).

``none`` (no allowance), ``always-free`` (every account) and ``legacy-12-month`` (older
accounts in their first year: always-free plus the 12-month offers). An allowance is a
monthly quantity shared by every resource of the account that uses one of its items.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from onramp.errors import UsageError

PROFILES = ("none", "always-free", "legacy-12-month")
FREE_TIER_URL = "https://aws.amazon.com/free/"


@dataclass(frozen=True)
class Allowance:
    """A monthly free quantity shared by every resource using any of ``items`` of ``service``."""

    service: str
    items: tuple[str, ...]
    quantity: Decimal
    unit: str
    confidence: str
    source_url: str = FREE_TIER_URL
    note: str = ""


ALWAYS_FREE: tuple[Allowance, ...] = (
    Allowance("lambda", ("requests",), Decimal(1_000_000), "request", "C"),
    Allowance(
        "lambda",
        ("duration_x86_64", "duration_arm64"),
        Decimal(400_000),
        "GB-second",
        "C",
        note="shared by x86_64 and arm64",
    ),
    Allowance("dynamodb", ("storage",), Decimal(25), "GB-month", "C"),
    Allowance("cloudwatch", ("alarm_metrics",), Decimal(10), "alarm metric-month", "C"),
    Allowance("cloudwatch", ("custom_metrics",), Decimal(10), "metric-month", "C"),
    Allowance(
        "cloudwatch",
        ("log_ingest", "log_storage", "log_insights_scanned"),
        Decimal(5),
        "GB",
        "C",
        note="5 GB of logs data: ingestion, storage and Logs Insights scans together",
    ),
    Allowance("sqs", ("requests",), Decimal(1_000_000), "request", "C"),
    Allowance("kms", ("requests",), Decimal(20_000), "request", "C"),
    Allowance("xray", ("traces_recorded",), Decimal(100_000), "trace", "C"),
    Allowance("xray", ("traces_retrieved",), Decimal(1_000_000), "trace", "S"),
    Allowance(
        "cognito",
        ("mau_lite", "mau_essentials"),
        Decimal(10_000),
        "MAU",
        "S",
        source_url="https://aws.amazon.com/cognito/pricing/",
        note="10,000 MAU a month on Lite and Essentials together, never expiring (Plus has "
        "none); accounts with user pools before 2024-11-22 may keep 50,000 on Lite",
    ),
)

LEGACY_12_MONTH: tuple[Allowance, ...] = (
    Allowance("http_api", ("requests",), Decimal(1_000_000), "request", "S"),
    Allowance("rest_api", ("requests",), Decimal(1_000_000), "request", "S"),
    Allowance("s3", ("storage",), Decimal(5), "GB-month", "S"),
    Allowance("s3", ("put_requests",), Decimal(2_000), "request", "S"),
    Allowance("s3", ("get_requests",), Decimal(20_000), "request", "S"),
    Allowance(
        "ses",
        ("recipients",),
        Decimal(3_000),
        "message",
        "S",
        note="3,000 message charges a month for 12 months (SES free tier since 2023-08-01)",
    ),
)


def allowances(profile: str) -> tuple[Allowance, ...]:
    """The allowances of a free-tier ``profile``; UsageError naming it if unknown."""
    if profile == "none":
        return ()
    if profile == "always-free":
        return ALWAYS_FREE
    if profile == "legacy-12-month":
        return ALWAYS_FREE + LEGACY_12_MONTH
    raise UsageError(
        f"free_tier: unknown profile {profile!r} (expected one of {', '.join(PROFILES)})"
    )


def free_quantity(profile: str, service: str, item: str) -> Decimal:
    """The monthly free quantity of ``service``.``item`` under ``profile`` (0 if none).

    A shared allowance (e.g. Lambda GB-seconds over both architectures) is reported whole
    for each of its items: allocate it once across them, as the engine does.
    """
    return sum(
        (a.quantity for a in allowances(profile) if a.service == service and item in a.items),
        Decimal(0),
    )
