"""Free-tier profiles (an input, since 2025-07-15 it depends on the account's age).

``none`` (no allowance), ``always-free`` (every account) and ``legacy-12-month`` (older
accounts in their first year: always-free plus the 12-month offers). The allowances are data,
in costmodel/pricing/prices/free_tier.yaml (its header documents the format); an allowance is a
monthly quantity shared by every resource of the account that uses one of its items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kernel.errors import UsageError

PROFILES = ("none", "always-free", "legacy-12-month")
EXTENDS = {"legacy-12-month": "always-free"}
"""A profile that adds its own allowances to another's."""
FREE_TIER_URL = "https://aws.amazon.com/free/"


@dataclass(frozen=True)
class Allowance:
    """A monthly free quantity shared by every resource using any of ``items`` of ``service``."""

    service: str
    items: tuple[str, ...]
    quantity: Decimal
    confidence: str
    source_url: str = FREE_TIER_URL
    note: str = ""


FreeTier = Mapping[str, tuple[Allowance, ...]]
"""Each profile's own allowances (``legacy-12-month`` without the always-free ones)."""


def _allowance(entry: Any, where: str) -> Allowance:
    if not isinstance(entry, Mapping):
        raise UsageError(f"{where}: expected a mapping with service, items, quantity")
    for key in ("service", "items", "quantity", "confidence"):
        if key not in entry:
            raise UsageError(f"{where}: missing key {key!r}")
    try:
        quantity = Decimal(str(entry["quantity"]))
    except InvalidOperation:
        quantity = Decimal(-1)
    if not quantity.is_finite() or quantity < 0:
        raise UsageError(f"{where}.quantity: expected a non-negative number")
    return Allowance(
        service=str(entry["service"]),
        items=tuple(str(item) for item in entry["items"]),
        quantity=quantity,
        confidence=str(entry["confidence"]),
        source_url=str(entry.get("source_url", FREE_TIER_URL)),
        note=str(entry.get("note", "")),
    )


def parse_free_tier(data: Any, where: str) -> FreeTier:
    """Validate the free-tier document (a list of allowances per profile but ``none``)."""
    if not isinstance(data, Mapping):
        raise UsageError(f"{where}: expected a mapping of profile -> allowances")
    unknown = [key for key in data if key not in PROFILES[1:]]
    if unknown:
        raise UsageError(f"{where}: unknown profile {unknown[0]!r}")
    return {
        profile: tuple(
            _allowance(entry, f"{where}: {profile}[{index}]")
            for index, entry in enumerate(data.get(profile) or [])
        )
        for profile in PROFILES[1:]
    }


def allowances(free_tier: FreeTier, profile: str) -> tuple[Allowance, ...]:
    """The allowances of a free-tier ``profile``; UsageError naming it if unknown."""
    if profile not in PROFILES:
        raise UsageError(
            f"free_tier: unknown profile {profile!r} (expected one of {', '.join(PROFILES)})"
        )
    if profile == "none":
        return ()
    base = allowances(free_tier, EXTENDS[profile]) if profile in EXTENDS else ()
    return base + tuple(free_tier.get(profile, ()))


def free_quantity(free_tier: FreeTier, profile: str, service: str, item: str) -> Decimal:
    """The monthly free quantity of ``service``.``item`` under ``profile`` (0 if none).

    A shared allowance (e.g. Lambda GB-seconds over both architectures) is reported whole
    for each of its items: allocate it once across them, as the engine does.
    """
    return sum(
        (
            a.quantity
            for a in allowances(free_tier, profile)
            if a.service == service and item in a.items
        ),
        Decimal(0),
    )
