"""The engine's bill as invoice lines: the one place exports read a Bill's lines from.

FOCUS rows and the XLSX Bill sheet are built from ``bill_lines``: the engine's invoice lines
(``Bill.lines``: one per usage type and tier in the region, all resources summed, each rounded
to the cent), so a change in how the engine groups its lines reaches every export through here.
The per-resource view (``Bill.resource_lines``) does not sum to the bill and is not read here.

Example::

    for line in bill_lines(bill):
        line.service, line.item, line.quantity, line.unit_price, line.usd
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from costmodel.pricing.engine import Bill


@dataclass(frozen=True)
class InvoiceLine:
    """One line of a monthly invoice: what, how much, at what price, for how much."""

    service: str
    region: str
    item: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    usd: Decimal
    resources: int
    """How many resources the line sums (the invoice names none)."""
    price: str
    """``confirmed`` or ``unconfirmed`` (no AWS confirmation of the unit price)."""

    @property
    def sku(self) -> str:
        """A stable id of the priced item (``requests (tier 2)`` -> ``requests-tier-2``)."""
        return re.sub(r"[^a-z0-9]+", "-", self.item.lower()).strip("-")


def bill_lines(bill: Bill) -> list[InvoiceLine]:
    """The bill's lines, in the engine's order."""
    return [
        InvoiceLine(
            line.service,
            line.region,
            line.item,
            line.quantity,
            line.unit,
            line.unit_price,
            line.usd,
            line.resources,
            line.price_status,
        )
        for line in bill.lines
    ]
