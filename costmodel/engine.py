"""The cost engine: a usage document becomes a Bill of cost lines, exact to the cent.

Each resource is metered by its service's component (costmodel/components/), then priced
at the account level, as AWS bills: free-tier allowances and always-included quantities
are allocated in order across resources (and shown as zero-priced lines), and tiers are
applied to the account's running total of each item. Every line is rounded to cents
(ROUND_HALF_UP) and the bill is the sum of the rounded lines, as in AWS's own examples.

Example::

    bill = price_usage({"region": "us-east-1", "free_tier": "always-free", "resources": [
        {"service": "lambda", "name": "api", "requests": 3_000_000, "duration_ms": 120,
         "memory_mb": 1536}]})
    bill.total  # Decimal("2.73")
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from costmodel.catalog import Catalog, Price, load_catalog
from costmodel.components import Metered
from costmodel.components.registry import SERVICES
from costmodel.free_tier import Allowance, allowances
from costmodel.usage import validate_usage

CENT = Decimal("0.01")
ZERO = Decimal(0)


def to_cents(amount: Decimal) -> Decimal:
    """Round a USD amount to cents, half up (AWS's convention in its examples)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain text, without exponent or trailing zeros (``1E+6`` -> ``1000000``)."""
    return format(value.normalize(), "f")


def is_cents(value: Decimal) -> bool:
    """True for an amount already rounded to cents (kept as ``0.40``, not ``0.4``)."""
    return value.as_tuple().exponent == -2


@dataclass(frozen=True)
class CostLine:
    """One priced line: quantity x unit price, rounded to cents."""

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
            "usd": str(self.usd),
        }


@dataclass
class Bill:
    """A monthly bill: cost lines and their total (the sum of the rounded lines)."""

    lines: list[CostLine] = field(default_factory=list)
    currency: str = "USD"

    @property
    def total(self) -> Decimal:
        """Sum of the lines' rounded amounts."""
        return sum((line.usd for line in self.lines), to_cents(ZERO))

    def by_service(self) -> dict[str, Decimal]:
        """Total per service, in the order services first appear."""
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals[line.service] = totals.get(line.service, to_cents(ZERO)) + line.usd
        return totals

    def to_dict(self) -> dict[str, Any]:
        """``{"currency", "total", "lines"}`` with amounts as decimal strings."""
        return {
            "currency": self.currency,
            "total": str(self.total),
            "lines": [line.to_dict() for line in self.lines],
        }


class _Account:
    """Running monthly state of one account: free allowances left, tier usage so far."""

    def __init__(self, free: tuple[Allowance, ...]) -> None:
        self.free_left = {allowance: allowance.quantity for allowance in free}
        self.included_used: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.tier_used: dict[tuple[str, str], Decimal] = defaultdict(Decimal)

    def take_free(self, service: str, item: str, quantity: Decimal) -> Decimal:
        """Take up to ``quantity`` from the free-tier allowance covering the item."""
        for allowance, left in self.free_left.items():
            if allowance.service == service and item in allowance.items:
                taken = min(left, quantity)
                self.free_left[allowance] = left - taken
                return taken
        return ZERO

    def take_included(self, price: Price, quantity: Decimal, scale: Decimal) -> Decimal:
        """Take up to ``quantity`` from the quantity every account gets free (``included``)."""
        key = (price.service, price.item)
        taken = min(price.included * scale - self.included_used[key], quantity)
        taken = max(taken, ZERO)
        self.included_used[key] += taken
        return taken


def _lines(
    service: str, resource: str, metered: Metered, price: Price, account: _Account
) -> list[CostLine]:
    label = metered.label or metered.item
    key = (service, metered.item)
    lines: list[CostLine] = []

    def free_line(quantity: Decimal, why: str) -> None:
        if quantity > 0:
            lines.append(
                CostLine(
                    service,
                    resource,
                    f"{label} ({why})",
                    quantity,
                    price.unit,
                    ZERO,
                    to_cents(ZERO),
                )
            )
            account.tier_used[key] += quantity

    remaining = metered.quantity
    free = account.take_free(service, metered.item, remaining)
    free_line(free, "free tier")
    remaining -= free
    included = account.take_included(price, remaining, metered.included_scale)
    free_line(included, "included free")
    remaining -= included
    if remaining <= 0:
        return lines
    for index, quantity, unit_price in price.split(account.tier_used[key], remaining):
        item = label if index == 0 else f"{label} (tier {index + 1})"
        lines.append(
            CostLine(
                service,
                resource,
                item,
                quantity,
                price.unit,
                unit_price,
                to_cents(quantity * unit_price),
            )
        )
        account.tier_used[key] += quantity
    return lines


def price_usage(
    usage: dict[str, Any],
    catalog: Catalog | None = None,
    *,
    free_tier: str | None = None,
    ses_plan: str | None = None,
) -> Bill:
    """Price a usage document (see costmodel.usage) with the region's catalog.

    ``free_tier`` and ``ses_plan`` override the document's own settings.
    """
    overrides = {"free_tier": free_tier, "ses_plan": ses_plan}
    usage = validate_usage({**usage, **{k: v for k, v in overrides.items() if v is not None}})
    catalog = catalog or load_catalog(usage["region"])
    account = _Account(allowances(usage["free_tier"]))
    bill = Bill(currency=catalog.currency)
    for resource in usage["resources"]:
        service = resource["service"]
        for metered in SERVICES[service].meter(resource, usage):
            price = catalog.price(service, metered.item)
            bill.lines.extend(_lines(service, resource["name"], metered, price, account))
    return bill
