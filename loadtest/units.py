"""Parsing of human-friendly durations such as ``5m``, ``90s``, ``1h30m``, ``800ms``, ``1.5s``."""

from __future__ import annotations

import math
import re

from kernel.errors import UsageError

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration_s(text: str, flag: str, bare_unit: str = "s") -> float:
    """Seconds in ``text`` (``5m``, ``1h30m``, ``1.5s``, ``800ms``; a bare number is ``bare_unit``).

    >>> parse_duration_s("1m30s", "--duration")
    90.0

    Raises UsageError naming ``flag`` for anything else, zero or negative.
    """
    cleaned = text.strip().lower().replace(" ", "")
    try:
        seconds = float(cleaned) * _UNIT_SECONDS[bare_unit]
    except ValueError:
        parts = _PART.findall(cleaned)
        if not parts or "".join(number + unit for number, unit in parts) != cleaned:
            raise UsageError(
                f"{flag}: {text!r} is not a duration (examples: 90s, 5m, 1h30m, 800ms)"
            ) from None
        seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"{flag}: {text!r} must be greater than zero")
    return seconds


def parse_share(text: str, label: str) -> float:
    """A share within 0..1 from ``0.05`` or ``5%``; UsageError starting with ``label``.

    >>> parse_share("2.5%", "--max-error-rate")
    0.025
    """
    raw = text.strip()
    try:
        share = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        share = float("nan")
    if not 0 <= share <= 1:
        raise UsageError(f"{label}: {text!r} is not a share within 0..1 or 0%..100%")
    return share
