"""Timestamps written on items: UTC, ISO-8601 with milliseconds."""

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """``moment`` in UTC, e.g. ``2026-11-29T10:15:00.123+00:00`` (the items' format)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def now_iso() -> str:
    """The current UTC time in the items' format (:func:`iso`)."""
    return iso(datetime.now(UTC))


def epoch_seconds() -> int:
    """The current UTC time as whole seconds since the epoch (DynamoDB TTL format)."""
    return int(datetime.now(UTC).timestamp())
