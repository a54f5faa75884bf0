"""The two number types the metering and pricing code runs on: exact Decimals, numpy arrays.

The components and the engine are written once, against an ``Arithmetic``: the Decimal one
prices a bill exactly (AWS's rounding, half up to cents, per invoice line); the array one
runs the very same code on numpy float arrays for sweeps and Monte Carlo. Only the few
operations plain ``+ - * /`` cannot express live here.

Example::

    EXACT.cents(Decimal("0.125"))        # Decimal("0.13")
    ARRAYS.cents(numpy.array([0.125]))   # array([0.13])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

CENT = Decimal("0.01")
FLOAT_HALF_CENT_SLACK = 1e-9
"""Cents a float may fall short of an exact half cent by (float error), still rounded up."""


def to_cents(amount: Decimal) -> Decimal:
    """Round a USD amount to cents, half up (AWS's convention in its examples)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _ceil_decimal(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


def _cents_float(amount: Any) -> Any:
    return np.floor(np.asarray(amount, dtype=float) * 100 + 0.5 + FLOAT_HALF_CENT_SLACK) / 100


def _any_positive_array(value: Any) -> bool:
    return bool(np.any(np.asarray(value) > 0))


def _always_zero_array(value: Any) -> bool:
    """A scalar zero is zero in every scenario; an array may be zero in some only."""
    return np.ndim(value) == 0 and float(value) == 0


@dataclass(frozen=True)
class Arithmetic:
    """The non-arithmetic operations of one number type (Decimal scalars or float arrays)."""

    name: str
    number: Callable[[Any], Any]
    """A catalog or usage constant (Decimal, int) in this number type."""
    minimum: Callable[[Any, Any], Any]
    maximum: Callable[[Any, Any], Any]
    ceil: Callable[[Any], Any]
    cents: Callable[[Any], Any]
    any_positive: Callable[[Any], bool]
    always_zero: Callable[[Any], bool]
    """True for a quantity that is zero in every scenario (it needs no line)."""
    keeps_parts: bool
    """Whether the engine keeps each resource's parts (Decimals: the per-resource table)."""


EXACT = Arithmetic(
    "decimal",
    Decimal,
    min,
    max,
    _ceil_decimal,
    to_cents,
    lambda value: value > 0,
    lambda value: value == 0,
    True,
)


def _float_array(value: Any) -> Any:
    return np.asarray(value, dtype=float)


ARRAYS = Arithmetic(
    "numpy",
    _float_array,
    np.minimum,
    np.maximum,
    np.ceil,
    _cents_float,
    _any_positive_array,
    _always_zero_array,
    False,
)
