"""The price catalog: one dated, sourced YAML file per region under costmodel/pricing/prices/.

Every region's catalog also carries the free tier (costmodel/pricing/prices/free_tier.yaml): prices
and allowances are data, the engine only applies them. A quantity every account gets free
whatever its profile (the first 62 action-enabled budget-days, 2.5M stream reads) is a $0
first tier, as AWS's Price List writes it.

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

from costmodel.pricing.free_tier import Allowance, FreeTier, allowances, parse_free_tier
from kernel.errors import UsageError

PRICES_DIR = Path(__file__).with_name("prices")
FREE_TIER_PATH = PRICES_DIR / "free_tier.yaml"
CONFIDENCE_LEVELS = ("C", "S", "U")
UNCONFIRMED = "U"


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
    price_list: dict[str, str] = field(default_factory=dict)

    @property
    def unit_price(self) -> Decimal:
        """The first tier's price per unit."""
        return self.tiers[0][1]

    @property
    def unconfirmed(self) -> bool:
        """True when no AWS text or Price List output confirms the price (confidence U)."""
        return self.confidence == UNCONFIRMED


@dataclass(frozen=True)
class Catalog:
    """All prices of one region."""

    region: str
    currency: str
    retrieved: str
    prices: dict[tuple[str, str], Price]
    path: Path
    free_tier: FreeTier = field(default_factory=dict)

    def price(self, service: str, item: str) -> Price:
        """The price of ``item`` of ``service``; UsageError naming both if unknown."""
        try:
            return self.prices[(service, item)]
        except KeyError:
            raise UsageError(
                f"price catalog {self.path.name}: no price for {service}.{item}"
            ) from None

    def allowances(self, profile: str) -> tuple[Allowance, ...]:
        """The free-tier allowances of ``profile``; UsageError naming it if unknown."""
        return allowances(self.free_tier, profile)

    def services(self) -> list[str]:
        """Service names in catalog order."""
        return list(dict.fromkeys(service for service, _ in self.prices))

    def items(self, service: str) -> list[str]:
        """Item names of ``service`` in catalog order."""
        return [item for svc, item in self.prices if svc == service]


def available_regions() -> list[str]:
    """Regions with a catalog file, sorted."""
    return sorted(path.stem for path in PRICES_DIR.glob("*.yaml") if path != FREE_TIER_PATH)


def load_catalog(region: str) -> Catalog:
    """Load the catalog of ``region``; UsageError naming the region if there is none."""
    if region not in available_regions():
        raise UsageError(
            f"no price catalog for region {region!r} (available: {', '.join(available_regions())})"
        )
    return load_catalog_file(PRICES_DIR / f"{region}.yaml")


def _yaml(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read {what} {path}: {exc}".splitlines()[0]) from None


@cache
def _read(path: Path) -> Catalog:
    free_tier = parse_free_tier(_yaml(FREE_TIER_PATH, "free tier"), FREE_TIER_PATH.name)
    return parse_catalog(_yaml(path, "price catalog"), path, free_tier)


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
    finite = [b for b in bounds[:-1] if b is not None]
    if not tiers or len(finite) < len(bounds) - 1 or finite != sorted(finite):
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
        price_list=dict(entry.get("price_list") or {}),
    )


def parse_catalog(data: Any, path: Path, free_tier: FreeTier | None = None) -> Catalog:
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
        free_tier=free_tier or {},
    )
