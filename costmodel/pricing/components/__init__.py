"""Cost components per service: each turns one usage-file resource into metered quantities.

A service module defines ``SERVICE = Service(name, fields, meter)``: ``fields`` lists the
usage keys it accepts (with defaults), ``meter(resource, usage, num)`` returns the quantities
to price, each in the unit of the catalog item it names (as Infracost's cost components do).
``num`` is the number type (costmodel.pricing.arithmetic): the same metering serves the exact
Decimal bill and the vectorised Monte Carlo model, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from costmodel.pricing.arithmetic import Arithmetic


@dataclass(frozen=True)
class Field:
    """A usage key: a non-negative number, or one of ``choices``; ``None`` default = optional."""

    default: Decimal | str | None
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Metered:
    """A monthly quantity of one catalog item used by one resource (Decimal or array)."""

    item: str
    quantity: Any
    label: str = ""


Meter = Callable[[Mapping[str, Any], Mapping[str, Any], Arithmetic], list[Metered]]


@dataclass(frozen=True)
class Service:
    """A priced service: its usage keys and its metering function (resource, usage, num)."""

    name: str
    fields: Mapping[str, Field]
    meter: Meter


def number(default: int | str | None = 0, doc: str = "") -> Field:
    """A non-negative numeric usage key."""
    return Field(None if default is None else Decimal(default), doc=doc)


def steps(size: Any, step: int, num: Arithmetic) -> Any:
    """How many metering steps of ``step`` a payload of ``size`` takes (at least 1)."""
    return num.maximum(num.ceil(size / step), num.number(1))


def metered(num: Arithmetic, *pairs: tuple[str, Any]) -> list[Metered]:
    """Metered quantities for (item, quantity) pairs, without those zero in every scenario."""
    return [Metered(item, quantity) for item, quantity in pairs if not num.always_zero(quantity)]
