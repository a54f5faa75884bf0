"""Lambda event filtering (an event source mapping's FilterCriteria) with Lambda's own rules.

Lambda filters stream records with EventBridge pattern syntax, restricted to the operators
Lambda documents: exact match (string, number, ``null``, empty string ``""``),
``equals-ignore-case``, ``prefix`` and ``suffix`` (optionally ``{"equals-ignore-case": ...}``),
``anything-but`` (a value, a list, or ``prefix``/``suffix``/``equals-ignore-case``),
``exists`` (true/false) and ``numeric`` (``=``, ``<``, ``<=``, ``>``, ``>=``, ranges).

Semantics: keys of a pattern are ANDed; the values listed for one field are ORed; a record
passes a FilterCriteria when any of its filters matches (no filters: every record passes).
Comparison operators apply to leaf values only; an array in the record is flattened, so a
field matches when any of its elements matches. Numbers compare by value (``5`` equals
``5.0``) but never match strings: DynamoDB's ``{"N": "5"}`` is a string, exactly as on AWS.

Why not moto's ``EventPattern``: it flattens the record through JSON (datetime values, as
moto's stream records carry, raise), does not descend into arrays of objects, equates
``true`` with ``1``, accepts operators Lambda rejects, and does not validate patterns.

Example::

    >>> pattern = {"eventName": ["INSERT"], "dynamodb": {"Keys": {"id": {"S": [{"prefix": "u-"}]}}}}
    >>> matches(pattern, {"eventName": "INSERT", "dynamodb": {"Keys": {"id": {"S": "u-1"}}}})
    True
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from onramp.errors import UsageError

_ABSENT = object()

_NUMERIC_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_STRING_OPERATORS = ("prefix", "suffix", "equals-ignore-case")


class FilterPatternError(UsageError):
    """A filter pattern Lambda would reject; the message names the offending field path."""


def parse_filter_criteria(filter_criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Decode ``{"Filters": [{"Pattern": "<json>"}, ...]}`` into validated pattern dicts.

    ``None`` or no ``Filters`` gives ``[]`` (no filtering). Raises FilterPatternError when a
    pattern is not a JSON object or uses a construct Lambda does not accept.
    """
    if not filter_criteria:
        return []
    filters = filter_criteria.get("Filters", [])
    if not isinstance(filters, list):
        raise FilterPatternError("FilterCriteria.Filters: must be a list")
    patterns = []
    for index, entry in enumerate(filters):
        where = f"FilterCriteria.Filters[{index}].Pattern"
        raw = entry.get("Pattern") if isinstance(entry, Mapping) else None
        if not isinstance(raw, str):
            raise FilterPatternError(f"{where}: must be a JSON string")
        try:
            pattern = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FilterPatternError(f"{where}: invalid JSON ({exc.msg})") from None
        validate_pattern(pattern, where)
        patterns.append(pattern)
    return patterns


def passes(filters: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """True when ``record`` is delivered: no filters, or any filter matches (OR)."""
    return not filters or any(matches(pattern, record) for pattern in filters)


def matches(pattern: Mapping[str, Any], record: Any) -> bool:
    """True when ``record`` matches one filter ``pattern`` (every key must match: AND)."""
    validate_pattern(pattern)
    return _match_object(pattern, [record])


def validate_pattern(pattern: Any, where: str = "pattern") -> None:
    """Raise FilterPatternError unless ``pattern`` is a well-formed Lambda filter pattern."""
    if not isinstance(pattern, Mapping):
        raise FilterPatternError(f"{where}: must be a JSON object")
    for key, value in pattern.items():
        path = f"{where}.{key}"
        if isinstance(value, Mapping):
            validate_pattern(value, path)
        elif isinstance(value, list):
            if not value:
                raise FilterPatternError(f"{path}: empty list matches nothing")
            for condition in value:
                _validate_condition(condition, path)
        else:
            raise FilterPatternError(f"{path}: must be an object or a list of values")


def _validate_condition(condition: Any, path: str) -> None:
    if condition is None or isinstance(condition, str | bool) or _is_number(condition):
        return
    if not isinstance(condition, Mapping) or len(condition) != 1:
        raise FilterPatternError(f"{path}: {condition!r} is not a value or a single operator")
    ((name, argument),) = condition.items()
    if name == "exists":
        ok = isinstance(argument, bool)
    elif name == "numeric":
        ok = _valid_numeric(argument)
    elif name == "anything-but":
        ok = _valid_anything_but(argument)
    elif name == "equals-ignore-case":
        ok = isinstance(argument, str)
    elif name in ("prefix", "suffix"):
        ok = isinstance(argument, str) or _is_ignore_case_string(argument)
    else:
        raise FilterPatternError(f"{path}: operator {name!r} is not supported by Lambda")
    if not ok:
        raise FilterPatternError(f"{path}: bad argument {argument!r} for {name!r}")


def _valid_numeric(argument: Any) -> bool:
    if not isinstance(argument, list) or not argument or len(argument) % 2:
        return False
    pairs = zip(argument[::2], argument[1::2], strict=True)
    return all(op in _NUMERIC_OPERATORS and _is_number(num) for op, num in pairs)


def _valid_anything_but(argument: Any) -> bool:
    if isinstance(argument, str) or _is_number(argument):
        return True
    if isinstance(argument, list):
        return bool(argument) and all(isinstance(v, str) or _is_number(v) for v in argument)
    if isinstance(argument, Mapping) and len(argument) == 1:
        ((name, value),) = argument.items()
        return name in _STRING_OPERATORS and isinstance(value, str)
    return False


def _is_ignore_case_string(argument: Any) -> bool:
    return (
        isinstance(argument, Mapping)
        and list(argument) == ["equals-ignore-case"]
        and isinstance(argument["equals-ignore-case"], str)
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _match_object(pattern: Mapping[str, Any], nodes: list[Any]) -> bool:
    """Match ``pattern`` against the objects in ``nodes`` (several when arrays were crossed)."""
    for key, sub_pattern in pattern.items():
        children = _children(nodes, key)
        if isinstance(sub_pattern, Mapping):
            if not _match_object(sub_pattern, children):
                return False
        elif not _match_leaf(sub_pattern, _leaves(children)):
            return False
    return True


def _children(nodes: list[Any], key: str) -> list[Any]:
    """Values under ``key`` in every object of ``nodes``, descending through arrays."""
    found: list[Any] = []
    for node in nodes:
        if isinstance(node, list):
            found.extend(_children(node, key))
        elif isinstance(node, Mapping) and key in node:
            found.append(node[key])
    return found


def _leaves(values: list[Any]) -> list[Any]:
    """The scalar values among ``values``, with arrays flattened; objects are not leaves."""
    leaves: list[Any] = []
    for value in values:
        if isinstance(value, list):
            leaves.extend(_leaves(value))
        elif not isinstance(value, Mapping):
            leaves.append(value)
    return leaves


def _match_leaf(conditions: list[Any], values: list[Any]) -> bool:
    """OR over ``conditions``; each holds when any leaf value satisfies it."""
    for condition in conditions:
        if isinstance(condition, Mapping) and "exists" in condition:
            if bool(values) == condition["exists"]:
                return True
        elif any(_satisfies(condition, value) for value in values):
            return True
    return False


def _satisfies(condition: Any, value: Any) -> bool:
    if not isinstance(condition, Mapping):
        return _equal(condition, value)
    ((name, argument),) = condition.items()
    if name == "numeric":
        pairs = zip(argument[::2], argument[1::2], strict=True)
        return _is_number(value) and all(_NUMERIC_OPERATORS[op](value, n) for op, n in pairs)
    if name == "anything-but":
        return not _anything_but_excludes(argument, value)
    return _string_test(name, argument, value)


def _anything_but_excludes(argument: Any, value: Any) -> bool:
    if isinstance(argument, Mapping):
        ((name, inner),) = argument.items()
        return _string_test(name, inner, value)
    excluded = argument if isinstance(argument, list) else [argument]
    return any(_equal(item, value) for item in excluded)


def _string_test(name: str, argument: Any, value: Any) -> bool:
    """prefix / suffix / equals-ignore-case, each optionally case-insensitive."""
    if not isinstance(value, str):
        return False
    if isinstance(argument, Mapping):
        argument, value = argument["equals-ignore-case"].casefold(), value.casefold()
    if name == "prefix":
        return value.startswith(argument)
    if name == "suffix":
        return value.endswith(argument)
    return value.casefold() == argument.casefold()


def _equal(expected: Any, value: Any) -> bool:
    """Exact match: same JSON type (true is not 1), numbers compared by value."""
    if _is_number(expected) or _is_number(value):
        return _is_number(expected) and _is_number(value) and expected == value
    return type(expected) is type(value) and expected == value
