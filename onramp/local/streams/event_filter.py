"""Lambda event filtering (an event source mapping's FilterCriteria) with Lambda's own rules.

Lambda filters stream records with EventBridge pattern syntax, restricted to the rows of
Lambda's filter rule syntax table: exact match (string, number, ``null``, empty string ``""``),
``equals-ignore-case``, ``prefix``, ``suffix``, ``anything-but`` (one value or a list of
strings or of numbers), ``exists`` (true/false), ``numeric`` (``=``, or a lower bound ``>``/
``>=`` optionally followed by an upper bound ``<``/``<=``, or an upper bound alone) and
``$or`` across fields. Anything else (``wildcard``, ``cidr``, ``anything-but`` with
``prefix``/``suffix``/``equals-ignore-case``, ``prefix``/``suffix`` with
``equals-ignore-case``) is rejected with the reason, as CreateEventSourceMapping would.

Semantics (AWS's event-ruler, which Lambda runs): keys of a pattern are ANDed; the values
listed for one field are ORed; ``$or`` ORs whole sub-patterns; a record passes a
FilterCriteria when any of its filters matches (no filters: every record passes). A dotted
key, in the pattern or in the record, is a path (``"a.b"`` is ``a`` -> ``b``). Arrays are
"crushed": a field matches when any of its elements matches, but the fields of one pattern
object must all hold in the *same* element of an array of objects (``exists: false``
likewise). Comparison operators apply to leaf values only. Numbers compare by value
(``300`` equals ``300.0``) but never match strings: DynamoDB's ``{"N": "5"}`` is a string.

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
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kernel.errors import UsageError

OR_KEY = "$or"
_ABSENT = object()
_LOWER_BOUNDS = (">", ">=")
_UPPER_BOUNDS = ("<", "<=")
_NUMERIC_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# EventBridge operators that Lambda's filter rule syntax table does not list.
_NOT_IN_LAMBDA = {
    "wildcard": "'wildcard' is an EventBridge event-bus operator, not in Lambda's filter syntax",
    "cidr": "'cidr' (IP address matching) is not in Lambda's filter syntax",
}
# Names event-ruler reserves: none may be a field name inside a "$or" branch.
_RESERVED_IN_OR = frozenset(
    [
        "exactly",
        "equals-ignore-case",
        "prefix",
        "suffix",
        "anything-but",
        "exists",
        "wildcard",
        "numeric",
        "cidr",
        "=",
        "<",
        "<=",
        ">",
        ">=",
        "regex",
        "not-wildcard",
        "not-equals-ignore-case",
        "date-after",
        "date-on-or-after",
        "date-before",
        "date-on-or-before",
        "in-date-range",
        "ip-address-in-range",
        "ip-address-not-in-range",
    ]
)


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
    tree = _compiled(pattern)
    return _match_node(tree, _expand(record) if isinstance(record, Mapping) else None)


def validate_pattern(pattern: Any, where: str = "pattern") -> None:
    """Raise FilterPatternError unless ``pattern`` is a well-formed Lambda filter pattern."""
    if not isinstance(pattern, Mapping):
        raise FilterPatternError(f"{where}: must be a JSON object")
    _validate_object(pattern, where, inside_or=False)


def _validate_object(pattern: Mapping[str, Any], where: str, inside_or: bool) -> None:
    for key, value in pattern.items():
        path = f"{where}.{key}"
        if key == OR_KEY:
            _validate_or(value, path)
        elif inside_or and key in _RESERVED_IN_OR:
            raise FilterPatternError(f"{path}: {key!r} is reserved and cannot be a field in $or")
        elif isinstance(value, Mapping):
            _validate_object(value, path, inside_or)
        elif isinstance(value, list):
            if not value:
                raise FilterPatternError(f"{path}: empty list matches nothing")
            for condition in value:
                _validate_condition(condition, path)
        else:
            raise FilterPatternError(f"{path}: must be an object or a list of values")


def _validate_or(branches: Any, path: str) -> None:
    if not isinstance(branches, list):
        raise FilterPatternError(f"{path}: must be a list of at least 2 objects")
    if not all(isinstance(branch, Mapping) for branch in branches):
        raise FilterPatternError(f"{path}: only objects are allowed in $or")
    if len(branches) < 2:
        raise FilterPatternError(f"{path}: needs at least 2 objects")
    for index, branch in enumerate(branches):
        _validate_object(branch, f"{path}[{index}]", inside_or=True)


def _validate_condition(condition: Any, path: str) -> None:
    if condition is None or isinstance(condition, str | bool) or _is_number(condition):
        return
    if not isinstance(condition, Mapping) or len(condition) != 1:
        raise FilterPatternError(f"{path}: {condition!r} is not a value or a single operator")
    ((name, argument),) = condition.items()
    problem = _operator_problem(name, argument)
    if problem:
        raise FilterPatternError(f"{path}: {problem}")


def _operator_problem(name: str, argument: Any) -> str | None:
    """Why Lambda rejects ``{name: argument}``, or None when it accepts it."""
    if name in _NOT_IN_LAMBDA:
        return _NOT_IN_LAMBDA[name]
    if name == "exists":
        return None if isinstance(argument, bool) else "exists takes true or false"
    if name == "numeric":
        return _numeric_problem(argument)
    if name == "anything-but":
        return _anything_but_problem(argument)
    if name in ("prefix", "suffix", "equals-ignore-case"):
        if isinstance(argument, Mapping) and name != "equals-ignore-case":
            return f"{name} with {list(argument)} is not in Lambda's filter syntax"
        return None if isinstance(argument, str) else f"{name} takes a string"
    return f"operator {name!r} is not supported by Lambda (operators are case-sensitive)"


def _numeric_problem(argument: Any) -> str | None:
    """event-ruler's grammar: ``= n``, ``<``/``<= n``, or ``>``/``>= n`` [``<``/``<= m``]."""
    if not isinstance(argument, list) or not argument:
        return "numeric takes a list such as ['>', 0, '<=', 5]"
    first = argument[0]
    if first not in _NUMERIC_OPERATORS:
        return f"{first!r} is not a numeric operator (=, <, <=, >, >=)"
    if len(argument) < 2 or not _is_number(argument[1]):
        return f"{first} needs a number after it"
    if len(argument) == 2:
        return None
    if first not in _LOWER_BOUNDS:
        return f"nothing may follow {first} {argument[1]}: a range is a lower bound, then an upper"
    second = argument[2]
    if second in _LOWER_BOUNDS:
        return f"two lower bounds ({first} and {second}) in one numeric"
    if second not in _UPPER_BOUNDS:
        return f"{second!r} cannot bound a range (use < or <=)"
    if len(argument) < 4 or not _is_number(argument[3]):
        return f"{second} needs a number after it"
    if len(argument) > 4:
        return "too many terms: a range has one lower and one upper bound"
    if not argument[1] < argument[3]:
        return f"the lower bound {argument[1]} must be below the upper bound {argument[3]}"
    return None


def _anything_but_problem(argument: Any) -> str | None:
    if isinstance(argument, str) or _is_number(argument):
        return None
    if isinstance(argument, Mapping):
        if argument in ({"prefix": ""}, {"suffix": ""}):
            return "an empty anything-but prefix/suffix is not allowed"
        return f"anything-but with {list(argument)} is not in Lambda's filter syntax"
    if not isinstance(argument, list) or not argument:
        return "anything-but takes a value or a non-empty list of values"
    if all(isinstance(v, str) for v in argument) or all(_is_number(v) for v in argument):
        return None
    return "anything-but lists hold only strings or only numbers (no null, booleans or a mix)"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@dataclass
class _Node:
    """One path step of a compiled pattern: leaf conditions, children and ``$or`` groups."""

    conditions: list[Any] | None = None
    children: dict[str, _Node] = field(default_factory=dict)
    or_groups: list[list[_Node]] = field(default_factory=list)


_COMPILED: dict[int, tuple[Mapping[str, Any], _Node]] = {}
_COMPILED_MAX = 512


def _compiled(pattern: Mapping[str, Any]) -> _Node:
    """The validated, compiled form of ``pattern`` (patterns are not changed once used)."""
    cached = _COMPILED.get(id(pattern))
    if cached is not None and cached[0] is pattern:
        return cached[1]
    validate_pattern(pattern)
    tree = _compile(pattern, _Node())
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[id(pattern)] = (pattern, tree)
    return tree


def _compile(pattern: Mapping[str, Any], node: _Node) -> _Node:
    """Add ``pattern`` to ``node``: dotted keys become paths; the last duplicate path wins."""
    for key, value in pattern.items():
        if key == OR_KEY:
            node.or_groups.append([_compile(branch, _Node()) for branch in value])
            continue
        target = node
        for step in key.split("."):
            target = target.children.setdefault(step, _Node())
        if isinstance(value, Mapping):
            _compile(value, target)
        else:
            target.conditions = value
    return node


def _expand(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """``record`` with dotted keys turned into nested objects (``{"a.b": 1}`` is ``a`` -> ``b``)."""
    if not any("." in key for key in record):
        return record
    expanded: dict[str, Any] = {}
    for key, value in record.items():
        *parents, last = key.split(".")
        target = expanded
        for step in parents:  # copies, so the record itself is never changed
            child = target.get(step)
            target[step] = dict(child) if isinstance(child, Mapping) else {}
            target = target[step]
        existing = target.get(last)
        if isinstance(existing, Mapping) and isinstance(value, Mapping):
            target[last] = {**existing, **_expand(value)}
        else:
            target[last] = value
    return expanded


def _match_node(node: _Node, obj: Mapping[str, Any] | None) -> bool:
    """Every child and every ``$or`` group of ``node`` holds in ``obj`` (None: no object)."""
    for step, child in node.children.items():
        value = obj.get(step, _ABSENT) if obj is not None else _ABSENT
        if child.conditions is not None and not _match_leaf(child.conditions, _leaves(value)):
            return False
        if (child.children or child.or_groups) and not _match_inside(child, value):
            return False
    return all(any(_match_node(branch, obj) for branch in group) for group in node.or_groups)


def _match_inside(node: _Node, value: Any) -> bool:
    """Match an object pattern under ``value``: one element of an array must satisfy it all."""
    objects = [_expand(item) for item in _flatten(value) if isinstance(item, Mapping)]
    if not objects:
        return _match_node(node, None)
    return any(_match_node(node, item) for item in objects)


def _flatten(value: Any) -> list[Any]:
    if value is _ABSENT:
        return []
    if not isinstance(value, list):
        return [value]
    return [item for element in value for item in _flatten(element)]


def _leaves(value: Any) -> list[Any]:
    """The scalar values under a field, arrays flattened; objects are not leaves."""
    return [item for item in _flatten(value) if not isinstance(item, Mapping)]


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
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_equal(item, value) for item in excluded)
    if not isinstance(value, str):
        return False
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
