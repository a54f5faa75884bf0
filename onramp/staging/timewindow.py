"""The --start/--end flags: ISO-8601 instants or times relative to now (``-1h``, ``now``).

Example::

    window = parse_window("-1h", "now")          # the last hour, UTC
    window = parse_window("2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from costmodel.measurement import MeasuredWindow
from kernel.errors import UsageError

_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        """Length of the window in seconds."""
        return (self.end - self.start).total_seconds()

    def as_block(self) -> MeasuredWindow:
        """The measurement's ``window`` block."""
        return MeasuredWindow(start=iso(self.start), end=iso(self.end), seconds=self.seconds)


def iso(moment: datetime) -> str:
    """``2026-11-29T10:00:00Z`` (UTC, seconds precision)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(text: str, flag: str, now: datetime | None = None) -> datetime:
    """One instant: ISO-8601 (naive means UTC), ``now``, or ``-<n><s|m|h|d|w>`` before now."""
    now = now or datetime.now(UTC)
    value = text.strip()
    if value == "now":
        return now
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = relative.groups()
        return now - timedelta(**{_UNITS[unit]: float(amount)})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise UsageError(
            f"{flag} {text!r}: expected ISO-8601 (2026-11-29T10:00:00Z) or relative (-1h)"
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_window(start: str, end: str, now: datetime | None = None) -> Window:
    """Both flags, checked: the end must come after the start."""
    now = now or datetime.now(UTC)
    window = Window(parse_time(start, "--start", now), parse_time(end, "--end", now))
    if window.end <= window.start:
        raise UsageError(f"--end {iso(window.end)} is not after --start {iso(window.start)}")
    return window
