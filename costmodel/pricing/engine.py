"""The cost engine: a usage document becomes a Bill, priced as AWS's invoice prices it.

Each resource is metered by its service's component (costmodel/pricing/components/). The account
then takes its free-tier allowances (allocated in resource order) and walks each item's
tiers on its running monthly total. The invoice has one line per usage type (catalog item)
and price tier in the region, summed over every resource of the account (all functions'
GB-seconds together); each such line is rounded to cents (ROUND_HALF_UP) and the bill is
the sum of those rounded lines. The per-resource table (``Bill.resource_lines``) says where
the money goes, exactly and unrounded; it does not sum to the bill, the invoice lines do.

``meter_account`` is written once over an Arithmetic (costmodel.pricing.arithmetic): Decimals here,
numpy arrays in costmodel.forecast.montecarlo, so both price with the same metering and rules.

Example::

    bill = price_usage({"region": "us-east-1", "free_tier": "always-free", "resources": [
        {"service": "lambda", "name": "api", "requests": 3_000_000, "duration_ms": 120,
         "memory_mb": 1536}]})
    bill.total  # Decimal("2.73")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from costmodel.pricing.arithmetic import CENT, EXACT, Arithmetic, to_cents
from costmodel.pricing.catalog import Catalog, Price, load_catalog
from costmodel.pricing.components.registry import SERVICES
from costmodel.pricing.free_tier import Allowance
from costmodel.pricing.usage import BOUND_TEXT, MAX_MONTHLY_QUANTITY, validate_usage
from kernel.errors import UsageError

__all__ = ["CENT", "Bill", "CostLine", "ResourceLine", "meter_account", "price_usage", "to_cents"]

ZERO = Decimal(0)
FREE_TIER_LABEL = "free tier"
INCLUDED_LABEL = "included free"
SUMS_TO_TOTAL = (
    "the invoice lines (one per usage type and tier in the region, each rounded to cents) "
    "sum to the total; the per-resource table is exact and unrounded, for where the money goes"
)


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain text, without exponent or trailing zeros (``1E+6`` -> ``1000000``)."""
    return format(value.normalize(), "f")


def is_cents(value: Decimal) -> bool:
    """True for an amount already rounded to cents (kept as ``0.40``, not ``0.4``)."""
    return value.as_tuple().exponent == -2


LineKey = tuple[str, str, int]
"""An invoice line: (service, catalog item, tier index; -1 for the free-tier line)."""


@dataclass(frozen=True)
class Part:
    """One resource's share of one invoice line (a quantity in the number type metered)."""

    resource: str
    label: str
    line: LineKey
    quantity: Any


@dataclass
class Metering:
    """An account's month, metered: each invoice line's quantity, and the resources' parts.

    ``parts`` is None when not kept (arrays: a million scenarios per part is too much memory).
    """

    parts: list[Part] | None = field(default_factory=list)
    lines: dict[LineKey, Any] = field(default_factory=dict)
    prices: dict[LineKey, tuple[Price, Decimal]] = field(default_factory=dict)

    def add(self, part: Part, price: Price, unit_price: Decimal) -> None:
        """Count one resource's part into its invoice line."""
        if self.parts is not None:
            self.parts.append(part)
        self.lines[part.line] = self.lines.get(part.line, 0) + part.quantity
        self.prices[part.line] = (price, unit_price)

    def total(self, num: Arithmetic) -> Any:
        """The bill: each invoice line's quantity x unit price rounded to cents, summed."""
        total: Any = num.number(0)
        for key, quantity in self.lines.items():
            total = total + num.cents(quantity * num.number(self.prices[key][1]))
        return total


def tier_parts(price: Price, position: Any, quantity: Any, num: Arithmetic) -> Iterator[Any]:
    """Each tier's share of ``quantity`` used after ``position`` earlier this month."""
    if len(price.tiers) == 1 and price.tiers[0][0] is None:
        yield quantity  # one unbounded tier: all of it, wherever the month stands
        return
    end = position + quantity
    lower: Any = num.number(0)
    for upto, _ in price.tiers:
        top = end if upto is None else num.minimum(end, num.number(upto))
        yield num.maximum(top - num.maximum(position, lower), num.number(0))
        lower = lower if upto is None else num.number(upto)
    last = price.tiers[-1][0]
    if last is not None and num.any_positive(end - num.number(last)):
        raise_beyond(price)


def raise_beyond(price: Price) -> None:
    """A quantity past the catalog's last tier has no price: say so."""
    raise UsageError(
        f"{price.service}.{price.item}: quantity beyond the last priced tier "
        f"({decimal_text(price.tiers[-1][0] or ZERO)} {price.unit})"
    )


def _take_free(
    free_left: dict[Allowance, Any], service: str, item: str, quantity: Any, num: Arithmetic
) -> Any:
    """Take up to ``quantity`` from the allowance covering ``service``.``item`` (0 if none)."""
    for allowance, left in free_left.items():
        if allowance.service == service and item in allowance.items:
            taken = num.minimum(left, quantity)
            free_left[allowance] = left - taken
            return taken
    return num.number(0)


def meter_account(usage: Mapping[str, Any], catalog: Catalog, num: Arithmetic = EXACT) -> Metering:
    """Meter every resource of a validated usage document and allocate the account's month.

    Free-tier allowances go to resources in order; the free quantity counts towards the
    item's tier position, as the rest of its usage does. Exact zeros are left out (Decimal).
    """
    free_left = {a: num.number(a.quantity) for a in catalog.allowances(usage["free_tier"])}
    position: dict[tuple[str, str], Any] = {}
    metering = Metering(parts=[] if num.keeps_parts else None)
    bound = MAX_MONTHLY_QUANTITY

    def add(name: str, label: str, line: LineKey, quantity: Any, price: Price) -> None:
        if not num.always_zero(quantity):
            unit_price = ZERO if line[2] < 0 else price.tiers[line[2]][1]
            metering.add(Part(name, label, line, quantity), price, unit_price)

    for resource in usage["resources"]:
        service, name = resource["service"], resource["name"]
        for metered in SERVICES[service].meter(resource, usage, num):
            price = catalog.price(service, metered.item)
            if num.keeps_parts and metered.quantity > bound:  # arrays: inputs already bounded
                raise UsageError(
                    f"{service} {name!r}: {metered.item} is above the bound "
                    f"({BOUND_TEXT}, in {price.unit}s)"
                )
            label = metered.label or metered.item
            key = (service, metered.item)
            free = _take_free(free_left, service, metered.item, metered.quantity, num)
            add(name, label, (*key, -1), free, price)
            used = position.get(key, num.number(0)) + free
            billed = metered.quantity - free
            for index, part in enumerate(tier_parts(price, used, billed, num)):
                add(name, label, (*key, index), part, price)
            position[key] = used + billed
    return metering


def _line_label(item: str, tier: int, unit_price: Decimal) -> str:
    """``item``, ``item (free tier)``, ``item (included free)`` ($0 tier) or ``item (tier N)``."""
    if tier < 0:
        return f"{item} ({FREE_TIER_LABEL})"
    if unit_price == 0:
        return f"{item} ({INCLUDED_LABEL})"
    return item if tier == 0 else f"{item} (tier {tier + 1})"


@dataclass(frozen=True)
class CostLine:
    """One invoice line: a usage type (and tier) in the region, all resources summed, in cents."""

    service: str
    item: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    usd: Decimal
    region: str = ""
    resources: int = 1
    unconfirmed: bool = False
    """The unit price has no AWS confirmation (catalog confidence U): the line says so."""
    catalog_item: str = ""
    """The catalog item the line bills (``item`` is its label, tier and free tier included)."""

    @property
    def price_status(self) -> str:
        """``unconfirmed`` or ``confirmed`` (confidence C or S)."""
        return "unconfirmed" if self.unconfirmed else "confirmed"

    def to_dict(self) -> dict[str, str | int]:
        """The line with every amount as a decimal string."""
        return {
            "service": self.service,
            "region": self.region,
            "item": self.item,
            "quantity": decimal_text(self.quantity),
            "unit": self.unit,
            "unit_price": decimal_text(self.unit_price),
            "usd": str(self.usd),
            "resources": self.resources,
            "price": self.price_status,
        }


@dataclass(frozen=True)
class ResourceLine:
    """One resource's share of an invoice line: exact quantity x unit price, not rounded."""

    service: str
    resource: str
    item: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    usd: Decimal

    def to_dict(self) -> dict[str, str]:
        """The line with every amount as a decimal string."""
        return {
            "service": self.service,
            "resource": self.resource,
            "item": self.item,
            "quantity": decimal_text(self.quantity),
            "unit": self.unit,
            "unit_price": decimal_text(self.unit_price),
            "usd": decimal_text(self.usd),
        }


@dataclass
class Bill:
    """A monthly bill: invoice lines (they sum to the total) and the per-resource view."""

    lines: list[CostLine] = field(default_factory=list)
    resource_lines: list[ResourceLine] = field(default_factory=list)
    currency: str = "USD"
    region: str = ""
    free_tier: str = ""

    @property
    def total(self) -> Decimal:
        """Sum of the invoice lines' rounded amounts."""
        return sum((line.usd for line in self.lines), to_cents(ZERO))

    @property
    def unconfirmed_lines(self) -> list[CostLine]:
        """Invoice lines priced with a unit price AWS has not confirmed (confidence U)."""
        return [line for line in self.lines if line.unconfirmed]

    def by_service(self) -> dict[str, Decimal]:
        """Total per service (sums of invoice lines), in the order services first appear."""
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals[line.service] = totals.get(line.service, to_cents(ZERO)) + line.usd
        return totals

    def by_resource(self) -> dict[tuple[str, str], Decimal]:
        """Exact, unrounded USD per (service, resource): where the money goes."""
        totals: dict[tuple[str, str], Decimal] = {}
        for line in self.resource_lines:
            key = (line.service, line.resource)
            totals[key] = totals.get(key, ZERO) + line.usd
        return totals

    def to_dict(self) -> dict[str, Any]:
        """Invoice lines (summing to ``total``) and the per-resource table, as decimal strings."""
        return {
            "currency": self.currency,
            "region": self.region,
            "free_tier": self.free_tier,
            "total": str(self.total),
            "sums_to_total": SUMS_TO_TOTAL,
            "lines": [line.to_dict() for line in self.lines],
            "by_resource": [line.to_dict() for line in self.resource_lines],
        }


def bill_of(metering: Metering, catalog: Catalog, free_tier: str) -> Bill:
    """The Decimal bill of a metering: invoice lines rounded to cents, resource lines exact."""
    bill = Bill(currency=catalog.currency, region=catalog.region, free_tier=free_tier)
    parts = metering.parts or []
    for key, quantity in metering.lines.items():
        price, unit_price = metering.prices[key]
        bill.lines.append(
            CostLine(
                service=key[0],
                item=_line_label(key[1], key[2], unit_price),
                quantity=quantity,
                unit=price.unit,
                unit_price=unit_price,
                usd=to_cents(quantity * unit_price),
                region=catalog.region,
                resources=len({p.resource for p in parts if p.line == key}),
                unconfirmed=price.unconfirmed,
                catalog_item=key[1],
            )
        )
    for part in parts:
        price, unit_price = metering.prices[part.line]
        label = _line_label(part.label, part.line[2], unit_price)
        bill.resource_lines.append(
            ResourceLine(
                part.line[0],
                part.resource,
                label,
                part.quantity,
                price.unit,
                unit_price,
                part.quantity * unit_price,
            )
        )
    return bill


def price_usage(
    usage: dict[str, Any],
    catalog: Catalog | None = None,
    *,
    free_tier: str | None = None,
    ses_plan: str | None = None,
) -> Bill:
    """Price a usage document (see costmodel.pricing.usage) with the region's catalog.

    ``free_tier`` and ``ses_plan`` override the document's own settings.
    """
    overrides = {"free_tier": free_tier, "ses_plan": ses_plan}
    usage = validate_usage({**usage, **{k: v for k, v in overrides.items() if v is not None}})
    catalog = catalog or load_catalog(usage["region"])
    return bill_of(meter_account(usage, catalog), catalog, usage["free_tier"])
