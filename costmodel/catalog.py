"""The price catalog: one dated, sourced YAML file per region under costmodel/prices/.

Example::

    catalog = load_catalog("us-east-1")
    catalog.price("lambda", "requests").unit_price  # Decimal("0.0000002")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from onramp.errors import UsageError

PRICES_DIR = Path(__file__).with_name("prices")
CONFIDENCE_LEVELS = ("C", "S", "U")


@dataclass(frozen=True)
class Price:
    """One catalog entry: tiers of (cumulative upper quantity or None, USD per unit)."""

    service: str
    item: str
    unit: str
    tiers: list[tuple[Decimal | None, Decimal]]
    source_url: str
    effective_date: str
    confidence: str
    note: str = ""
    included: Decimal = Decimal(0)
    price_list: dict[str, str] = field(default_factory=dict)

    @property
    def unit_price(self) -> Decimal:
        """The first tier's price per unit."""
        return self.tiers[0][1]

    def split(self, already_used: Decimal, quantity: Decimal) -> list[tuple[int, Decimal, Decimal]]:
        """Split ``quantity`` over the tiers, given ``already_used`` earlier this month.

        Returns (tier index, quantity in that tier, unit price) for every tier touched.
        """
        parts: list[tuple[int, Decimal, Decimal]] = []
        position, remaining = already_used, quantity
        for index, (upto, unit_price) in enumerate(self.tiers):
            if remaining <= 0:
                break
            if upto is not None and position >= upto:
                continue
            room = remaining if upto is None else min(remaining, upto - position)
            parts.append((index, room, unit_price))
            position += room
            remaining -= room
        if remaining > 0:
            raise UsageError(
                f"{self.service}.{self.item}: quantity beyond the last priced tier "
                f"({self.tiers[-1][0]} {self.unit})"
            )
        return parts


@dataclass(frozen=True)
class Catalog:
    """All prices of one region."""

    region: str
    currency: str
    retrieved: str
    prices: dict[tuple[str, str], Price]
    path: Path

    def price(self, service: str, item: str) -> Price:
        """The price of ``item`` of ``service``; UsageError naming both if unknown."""
        try:
            return self.prices[(service, item)]
        except KeyError:
            raise UsageError(
                f"price catalog {self.path.name}: no price for {service}.{item}"
            ) from None

    def services(self) -> list[str]:
        """Service names in catalog order."""
        return list(dict.fromkeys(service for service, _ in self.prices))

    def items(self, service: str) -> list[str]:
        """Item names of ``service`` in catalog order."""
        return [item for svc, item in self.prices if svc == service]


def available_regions() -> list[str]:
    """Regions with a catalog file, sorted."""
    return sorted(path.stem for path in PRICES_DIR.glob("*.yaml"))


def load_catalog(region: str) -> Catalog:
    """Load the catalog of ``region``; UsageError naming the region if there is none."""
    if region not in available_regions():
        raise UsageError(
            f"no price catalog for region {region!r} (available: {', '.join(available_regions())})"
        )
    return load_catalog_file(PRICES_DIR / f"{region}.yaml")


@cache
def _read(path: Path) -> Catalog:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read price catalog {path}: {exc}".splitlines()[0]) from None
    return parse_catalog(data, path)


def clear_cache() -> None:
    """Forget loaded catalogs (after a catalog file was rewritten)."""
    _read.cache_clear()


def load_catalog_file(path: Path | str) -> Catalog:
    """Load a catalog from an explicit YAML file (validated like the shipped ones)."""
    return _read(Path(path).resolve())


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UsageError(f"{where}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise UsageError(f"{where}: expected a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise UsageError(f"{where}: expected a non-negative number, got {value!r}")
    return number


def _parse_price(service: str, item: str, entry: dict[str, Any], where: str) -> Price:
    for key in ("unit", "tiers", "source_url", "effective_date", "confidence"):
        if key not in entry:
            raise UsageError(f"{where}: missing key {key!r}")
    if entry["confidence"] not in CONFIDENCE_LEVELS:
        raise UsageError(f"{where}.confidence: expected one of {CONFIDENCE_LEVELS}")
    tiers: list[tuple[Decimal | None, Decimal]] = []
    for index, tier in enumerate(entry["tiers"] or []):
        upto = tier.get("upto")
        tiers.append(
            (
                None if upto is None else _decimal(upto, f"{where}.tiers[{index}].upto"),
                _decimal(tier.get("usd"), f"{where}.tiers[{index}].usd"),
            )
        )
    bounds = [upto for upto, _ in tiers]
    if (
        not tiers
        or any(b is None for b in bounds[:-1])
        or bounds != sorted(bounds[:-1]) + bounds[-1:]
    ):
        raise UsageError(f"{where}.tiers: need ascending upper bounds, only the last may be null")
    return Price(
        service=service,
        item=item,
        unit=str(entry["unit"]),
        tiers=tiers,
        source_url=str(entry["source_url"]),
        effective_date=str(entry["effective_date"]),
        confidence=entry["confidence"],
        note=str(entry.get("note", "")),
        included=_decimal(entry.get("included", 0), f"{where}.included"),
        price_list=dict(entry.get("price_list") or {}),
    )


def parse_catalog(data: Any, path: Path) -> Catalog:
    """Validate a parsed catalog document and build the Catalog."""
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise UsageError(f"price catalog {path}: expected a mapping with 'services'")
    prices: dict[tuple[str, str], Price] = {}
    for service, items in data["services"].items():
        for item, entry in (items or {}).items():
            where = f"price catalog {path.name}: {service}.{item}"
            prices[(service, item)] = _parse_price(service, item, entry, where)
    return Catalog(
        region=str(data.get("region", path.stem)),
        currency=str(data.get("currency", "USD")),
        retrieved=str(data.get("retrieved", "")),
        prices=prices,
        path=path,
    )
