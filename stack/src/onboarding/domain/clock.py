"""Timestamps written on items: UTC, ISO-8601 with milliseconds."""

from datetime import UTC, datetime


def now_iso() -> str:
    """The current UTC time, e.g. ``2026-11-29T10:15:00.123+00:00``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def epoch_seconds() -> int:
    """The current UTC time as whole seconds since the epoch (DynamoDB TTL format)."""
    return int(datetime.now(UTC).timestamp())
