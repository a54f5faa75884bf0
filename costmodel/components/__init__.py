"""Cost components per service: each turns one usage-file resource into metered quantities.

A service module defines ``SERVICE = Service(name, fields, meter)``: ``fields`` lists the
usage keys it accepts (with defaults), ``meter`` returns the quantities to price, each in
the unit of the catalog item it names (as Infracost's cost components do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any


@dataclass(frozen=True)
class Field:
    """A usage key: a non-negative number, or one of ``choices``; ``None`` default = optional."""

    default: Decimal | str | None
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Metered:
    """A monthly quantity of one catalog item used by one resource."""

    item: str
    quantity: Decimal
    label: str = ""
    included_scale: Decimal = Decimal(1)


Meter = Callable[[Mapping[str, Any], Mapping[str, Any]], list[Metered]]


@dataclass(frozen=True)
class Service:
    """A priced service: its usage keys and its metering function (resource, usage)."""

    name: str
    fields: Mapping[str, Field]
    meter: Meter


def number(default: int | str | None = 0, doc: str = "") -> Field:
    """A non-negative numeric usage key."""
    return Field(None if default is None else Decimal(default), doc=doc)


def steps(size: Decimal, step: Decimal) -> Decimal:
    """How many metering steps of ``step`` a payload of ``size`` takes (at least 1)."""
    return max(Decimal(1), (size / step).to_integral_value(rounding=ROUND_CEILING))


def metered(*pairs: tuple[str, Decimal]) -> list[Metered]:
    """Metered quantities for (item, quantity) pairs, dropping zeros."""
    return [Metered(item, quantity) for item, quantity in pairs if quantity > 0]
