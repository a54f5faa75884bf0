"""onramp.event_filter: Lambda's filter rules, operator by operator, matching and not."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from onramp.errors import UsageError
from onramp.event_filter import FilterPatternError, matches, parse_filter_criteria, passes


def new_image(attribute: str, kind: str, conditions: list[Any]) -> dict[str, Any]:
    """A pattern on one attribute of the stream record's NewImage."""
    return {"dynamodb": {"NewImage": {attribute: {kind: conditions}}}}


RECORD: dict[str, Any] = {
    "eventName": "MODIFY",
    "ApproximateCreationDateTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    "dynamodb": {
        "NewImage": {
            "status": {"S": "processing"},
            "email": {"S": "Ada@Example.COM"},
            "phone": {"NULL": True},
            "note": {"S": ""},
            "attempts": {"N": "3"},
            "tags": {"SS": ["beta", "vip"]},
        },
        "OldImage": {"status": {"S": "pending"}},
        "SizeBytes": 120,
    },
    "score": 7.5,
    "flag": True,
    "nothing": None,
    "items": [{"sku": "a-1", "qty": 2}, {"sku": "b-2", "qty": 5}],
}

CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("exact string", {"eventName": ["MODIFY"]}, True),
    ("exact string, other value", {"eventName": ["INSERT"]}, False),
    ("exact string is case-sensitive", {"eventName": ["modify"]}, False),
    ("OR across values", {"eventName": ["INSERT", "MODIFY"]}, True),
    ("nested object", {"dynamodb": {"OldImage": {"status": {"S": ["pending"]}}}}, True),
    ("nested object, other value", {"dynamodb": {"OldImage": {"status": {"S": ["x"]}}}}, False),
    ("AND across keys", {"eventName": ["MODIFY"], "score": [7.5]}, True),
    ("AND across keys, one fails", {"eventName": ["MODIFY"], "score": [8]}, False),
    ("exact number", {"dynamodb": {"SizeBytes": [120]}}, True),
    ("number equals float of same value", {"dynamodb": {"SizeBytes": [120.0]}}, True),
    ("number never matches string", new_image("attempts", "N", [3]), False),
    ("string N matches as string", new_image("attempts", "N", ["3"]), True),
    ("true is not 1", {"flag": [1]}, False),
    ("boolean", {"flag": [True]}, True),
    ("null", {"nothing": [None]}, True),
    ("null does not match missing", {"absent": [None]}, False),
    ("null does not match empty", new_image("note", "S", [None]), False),
    ("empty string", new_image("note", "S", [""]), True),
    ("empty string, non-empty value", {"eventName": [""]}, False),
    ("prefix", new_image("status", "S", [{"prefix": "proc"}]), True),
    ("prefix, no", new_image("status", "S", [{"prefix": "pend"}]), False),
    ("suffix", new_image("email", "S", [{"suffix": ".COM"}]), True),
    ("suffix is case-sensitive", new_image("email", "S", [{"suffix": ".com"}]), False),
    (
        "suffix ignoring case",
        new_image("email", "S", [{"suffix": {"equals-ignore-case": ".com"}}]),
        True,
    ),
    (
        "prefix ignoring case",
        new_image("email", "S", [{"prefix": {"equals-ignore-case": "ADA@"}}]),
        True,
    ),
    (
        "equals-ignore-case",
        new_image("email", "S", [{"equals-ignore-case": "ada@example.com"}]),
        True,
    ),
    (
        "equals-ignore-case, other value",
        new_image("email", "S", [{"equals-ignore-case": "bob@example.com"}]),
        False,
    ),
    ("anything-but value", {"eventName": [{"anything-but": "INSERT"}]}, True),
    ("anything-but value, excluded", {"eventName": [{"anything-but": "MODIFY"}]}, False),
    ("anything-but list", {"eventName": [{"anything-but": ["INSERT", "REMOVE"]}]}, True),
    ("anything-but list, excluded", {"eventName": [{"anything-but": ["MODIFY", "X"]}]}, False),
    ("anything-but needs the field", {"absent": [{"anything-but": ["x"]}]}, False),
    ("anything-but numbers", {"score": [{"anything-but": [1, 2]}]}, True),
    ("anything-but prefix", {"eventName": [{"anything-but": {"prefix": "IN"}}]}, True),
    ("anything-but prefix, excluded", {"eventName": [{"anything-but": {"prefix": "MO"}}]}, False),
    ("anything-but suffix, excluded", {"eventName": [{"anything-but": {"suffix": "FY"}}]}, False),
    (
        "anything-but ignoring case, excluded",
        {"eventName": [{"anything-but": {"equals-ignore-case": "modify"}}]},
        False,
    ),
    ("exists true", new_image("email", "S", [{"exists": True}]), True),
    ("exists true, missing", new_image("name", "S", [{"exists": True}]), False),
    ("exists false, missing", new_image("name", "S", [{"exists": False}]), True),
    ("exists false, present", {"eventName": [{"exists": False}]}, False),
    ("exists true on null value", {"nothing": [{"exists": True}]}, True),
    ("exists is leaf-only", {"dynamodb": {"OldImage": [{"exists": True}]}}, False),
    ("numeric =", {"score": [{"numeric": ["=", 7.5]}]}, True),
    ("numeric <", {"score": [{"numeric": ["<", 7.5]}]}, False),
    ("numeric <=", {"score": [{"numeric": ["<=", 7.5]}]}, True),
    ("numeric >", {"score": [{"numeric": [">", 7]}]}, True),
    ("numeric >=", {"score": [{"numeric": [">=", 8]}]}, False),
    ("numeric range", {"score": [{"numeric": [">", 0, "<=", 10]}]}, True),
    ("numeric range, outside", {"score": [{"numeric": [">", 0, "<", 5]}]}, False),
    ("numeric ignores strings", {"eventName": [{"numeric": [">", 0]}]}, False),
    ("numeric ignores booleans", {"flag": [{"numeric": ["=", 1]}]}, False),
    ("array: any element", new_image("tags", "SS", ["vip"]), True),
    ("array: no element", new_image("tags", "SS", ["gold"]), False),
    ("array of objects", {"items": {"sku": [{"prefix": "b-"}]}}, True),
    ("array of objects, numeric", {"items": {"qty": [{"numeric": [">", 4]}]}}, True),
    ("array of objects, no match", {"items": {"sku": ["c-3"]}}, False),
    ("object is not a leaf", {"dynamodb": {"OldImage": ["pending"]}}, False),
    ("missing parent", {"nope": {"deeper": ["x"]}}, False),
    ("OR of value and operator", {"eventName": ["INSERT", {"prefix": "MOD"}]}, True),
]


@pytest.mark.parametrize(("pattern", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_operator_table(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, RECORD) is expected


def test_decimal_values_are_numbers() -> None:
    assert matches({"n": [{"numeric": [">", 1]}]}, {"n": Decimal("1.5")})


def test_passes_is_or_across_filters_and_true_without_filters() -> None:
    insert = {"eventName": ["INSERT"]}
    modify = {"eventName": ["MODIFY"]}
    assert passes([], RECORD)
    assert passes([insert, modify], RECORD)
    assert not passes([insert], RECORD)


def test_parse_filter_criteria_decodes_json_strings() -> None:
    pattern = {"eventName": ["INSERT"]}
    criteria = {"Filters": [{"Pattern": json.dumps(pattern)}, {"Pattern": '{"a": ["b"]}'}]}
    assert parse_filter_criteria(criteria) == [pattern, {"a": ["b"]}]
    assert parse_filter_criteria(None) == []
    assert parse_filter_criteria({}) == []


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"Filters": "x"}, "Filters: must be a list"),
        ({"Filters": [{"Pattern": "{"}]}, "Filters[0].Pattern: invalid JSON"),
        ({"Filters": [{}]}, "Filters[0].Pattern: must be a JSON string"),
        ({"Filters": [{"Pattern": "[1]"}]}, "must be a JSON object"),
        ({"Filters": [{"Pattern": '{"a": []}'}]}, ".a: empty list"),
        ({"Filters": [{"Pattern": '{"a": "b"}'}]}, ".a: must be an object or a list"),
        ({"Filters": [{"Pattern": '{"a": [{"wildcard": "x*"}]}'}]}, "'wildcard' is not supported"),
        ({"Filters": [{"Pattern": '{"a": [{"numeric": ["~", 1]}]}'}]}, "bad argument"),
        ({"Filters": [{"Pattern": '{"a": [{"numeric": [">", "1"]}]}'}]}, "bad argument"),
        ({"Filters": [{"Pattern": '{"a": [{"exists": "yes"}]}'}]}, "bad argument"),
        ({"Filters": [{"Pattern": '{"a": [{"prefix": 1}]}'}]}, "bad argument"),
        ({"Filters": [{"Pattern": '{"a": [{"anything-but": {"numeric": 1}}]}'}]}, "bad argument"),
        ({"Filters": [{"Pattern": '{"a": [{"prefix": "x", "suffix": "y"}]}'}]}, "single operator"),
        ({"Filters": [{"Pattern": '{"a": [["nested"]]}'}]}, "single operator"),
    ],
)
def test_invalid_patterns_are_named_usage_errors(criteria: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterPatternError) as exc:
        parse_filter_criteria(criteria)
    assert isinstance(exc.value, UsageError)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)
