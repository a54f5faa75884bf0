"""DynamoDB's own capacity rules: item sizes and request units (moto's figures are not AWS's).

Item size = the UTF-8 bytes of every attribute name plus its value: strings UTF-8 bytes,
numbers ~ 1 byte per 2 significant digits + 1, binary raw bytes, booleans and nulls 1 byte,
lists and maps 3 bytes + 1 byte per element + the elements. Writes: 1 unit per started KB
(1024 bytes) of the larger of the item before and after, minimum 1; transactional x2.
Reads: 1 unit per started 4 KB, eventually consistent x0.5, transactional x2.

Example::

    >>> item_size({"user_id": {"S": "u-1"}, "age": {"N": "42"}})
    15
    >>> write_units(1500)
    2
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
CONTAINER_OVERHEAD = 3
ELEMENT_OVERHEAD = 1


def item_size(item: Mapping[str, Any] | None) -> int:
    """Size in bytes of an item in DynamoDB's wire format (``{"name": {"S": "..."}}``)."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: Mapping[str, Any]) -> int:
    """Size in bytes of one typed attribute value (``{"S": ...}``, ``{"M": ...}``...)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return _binary_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(number_size(n) for n in data)
    if kind == "BS":
        return sum(_binary_size(b) for b in data)
    if kind == "L":
        return CONTAINER_OVERHEAD + sum(ELEMENT_OVERHEAD + value_size(v) for v in data)
    if kind == "M":
        return CONTAINER_OVERHEAD + sum(
            ELEMENT_OVERHEAD + len(k.encode()) + value_size(v) for k, v in data.items()
        )
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def number_size(text: str) -> int:
    """1 byte per two significant digits, plus 1 (leading/trailing zeroes do not count)."""
    mantissa = text.strip().lstrip("+-").lower().split("e")[0].replace(".", "")
    digits = mantissa.strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def write_units(size_bytes: int, transactional: bool = False) -> int:
    """Write request units for one item write of ``size_bytes`` (minimum 1)."""
    units = max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES))
    return units * 2 if transactional else units


def read_units(size_bytes: int, consistent: bool = False, transactional: bool = False) -> float:
    """Read request units for ``size_bytes`` read in one request (minimum 1 unit of 4 KB)."""
    units = max(1, math.ceil(size_bytes / READ_UNIT_BYTES))
    if transactional:
        return float(units * 2)
    return float(units) if consistent else units / 2


def _binary_size(data: str | bytes) -> int:
    if isinstance(data, bytes):
        return len(data)
    return len(base64.b64decode(data))
