"""onramp.local.streams.event_filter: Lambda's filter rules, operator by operator."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from kernel.errors import UsageError
from onramp.local.streams.event_filter import (
    FilterPatternError,
    matches,
    parse_filter_criteria,
    passes,
)


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
    # AWS-recorded: LocalStack's AWS-validated TestEventPattern case number_comparison_float
    # (tests/aws/services/events/event_pattern_templates) matches 300.0 against [300].
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

# Arrays of objects: every field of one pattern object must hold in the same element.
# Source: aws/event-ruler README, "JSON Array Matching" (rulesForJSONEvent, which Lambda and
# EventBridge run): the Anna/Jones rule does not match an event where Anna and Jones are in
# different elements of the "employees" array.
EMPLOYEES = {
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}
NESTED_EMPLOYEES = {"employees": [EMPLOYEES["employees"][:2], EMPLOYEES["employees"][2:]]}
ARRAY_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("one field in an element", {"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    (
        "multi-level arrays are crushed",
        {"employees": {"firstName": ["Peter"]}},
        NESTED_EMPLOYEES,
        True,
    ),
    (
        "fields from different elements",
        {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
        EMPLOYEES,
        False,
    ),
    (
        "fields from different nested elements",
        {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
        NESTED_EMPLOYEES,
        False,
    ),
    (
        "fields from one element",
        {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}},
        EMPLOYEES,
        True,
    ),
    (
        "exists false holds per element",
        {"employees": {"firstName": ["Anna"], "age": [{"exists": False}]}},
        {"employees": [{"firstName": "John", "age": 40}, {"firstName": "Anna"}]},
        True,
    ),
    (
        "exists false fails in the element that matched",
        {"employees": {"firstName": ["Anna"], "age": [{"exists": False}]}},
        {"employees": [{"firstName": "Anna", "age": 30}, {"firstName": "John"}]},
        False,
    ),
    (
        "exists false on a field of an empty array",
        {"employees": {"age": [{"exists": False}]}},
        {"employees": []},
        True,
    ),
    (
        "deeper object in the same element",
        {"items": {"sku": ["a-1"], "price": {"amount": [{"numeric": [">", 4]}]}}},
        {"items": [{"sku": "a-1", "price": {"amount": 1}}, {"sku": "b-2", "price": {"amount": 9}}]},
        False,
    ),
]

# Dotted keys are paths, in the pattern and in the record. Source: aws/event-ruler README,
# "Caveat: Compiled rules and JSON keys with dots", and LocalStack's AWS-validated
# TestEventPattern cases dot_joining_pattern, dot_joining_event and their _NEG twins.
DOT_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    (
        "dotted pattern key",
        {"detail": {"state.status": ["running"]}},
        {"detail": {"state": {"status": "running"}}},
        True,
    ),
    (
        "dotted record key",
        {"detail": {"state": {"status": ["running"]}}},
        {"detail": {"state.status": "running"}},
        True,
    ),
    (
        "dotted pattern key, one level too deep",
        {"detail": {"state.status": {"status": ["running"]}}},
        {"detail": {"state": {"status": "running"}}},
        False,
    ),
    (
        "dotted record key, one level too deep",
        {"detail": {"state": {"status": ["running"]}}},
        {"detail": {"state.status": {"status": "running"}}},
        False,
    ),
]

# "$or" across fields. Sources: aws/event-ruler README, 'The "$or" Primitive', and LocalStack's
# AWS-validated TestEventPattern cases complex_or / complex_or_NEG (from EventBridge's
# "complex example with $or matching"); Lambda's filter rule syntax table lists
# "Or (multiple fields)" with "$or".


def test_dotted_and_nested_record_keys_merge_without_changing_the_record() -> None:
    record = {"a": {"b": 1}, "a.c": 2}
    assert matches({"a": {"b": [1], "c": [2]}}, record)
    assert record == {"a": {"b": 1}, "a.c": 2}


OR_PATTERN = {
    "detail": {
        "$or": [
            {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
            {"d-count": [{"numeric": ["<", 10]}]},
            {"x-limit": [{"numeric": ["=", 3.018e2]}]},
        ]
    }
}
OR_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("$or: one branch holds", OR_PATTERN, {"detail": {"c-count": 0, "d-count": 0}}, True),
    (
        "$or: no branch holds",
        OR_PATTERN,
        {"detail": {"c-count": 0, "d-count": 10, "x-limit": 9.018e2}},
        False,
    ),
    (
        "$or with an AND inside a branch",
        {"a": ["x"], "$or": [{"b": ["y"]}, {"c": ["z"], "d": ["w"]}]},
        {"a": "x", "c": "z", "d": "w"},
        True,
    ),
    (
        "$or ANDed with its siblings",
        {"a": ["x"], "$or": [{"b": ["y"]}, {"c": ["z"]}]},
        {"a": "other", "b": "y"},
        False,
    ),
    (
        "$or inside an array element",
        {"items": {"$or": [{"sku": ["a-1"]}, {"qty": [5]}], "qty": [2]}},
        {"items": [{"sku": "b-2", "qty": 2}, {"sku": "a-1", "qty": 5}]},
        False,
    ),
]

# DynamoDB stream filters recorded on AWS: LocalStack's AWS-validated
# test_dynamodb_event_filter (tests/aws/services/lambda_/event_source_mapping/
# test_lambda_integration_dynamodbstreams.py); each case states whether the item invoked.
DDB_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    (
        "typed value matches",
        {"dynamodb": {"NewImage": {"presentKey": {"S": ["presentValue"]}}}},
        {"dynamodb": {"NewImage": {"presentKey": {"S": "presentValue"}}}},
        True,
    ),
    (
        "omitting the type does not match",
        {"dynamodb": {"NewImage": {"presentKey": ["presentValue"]}}},
        {"dynamodb": {"NewImage": {"presentKey": {"S": "presentValue"}}}},
        False,
    ),
    (
        "exists false on a typed attribute (an object, not a leaf)",
        {"dynamodb": {"NewImage": {"presentKey": [{"exists": False}]}}},
        {"dynamodb": {"NewImage": {"presentKey": {"S": "presentValue"}}}},
        True,
    ),
    (
        "N values are strings: numeric never matches, anything-but compares strings",
        {
            "dynamodb": {
                "NewImage": {"n": {"N": [{"numeric": [">", 100]}, {"anything-but": "101"}]}}
            }
        },
        {"dynamodb": {"NewImage": {"n": {"N": "101"}}}},
        False,
    ),
    (
        "ApproximateCreationDateTime is a number",
        {"dynamodb": {"ApproximateCreationDateTime": [{"numeric": [">", 0]}]}},
        {"dynamodb": {"ApproximateCreationDateTime": 1764612000.0}},
        True,
    ),
]

RECORD_CASES = ARRAY_CASES + DOT_CASES + OR_CASES + DDB_CASES


@pytest.mark.parametrize(("pattern", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_operator_table(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, RECORD) is expected


@pytest.mark.parametrize(
    ("pattern", "record", "expected"),
    [c[1:] for c in RECORD_CASES],
    ids=[c[0] for c in RECORD_CASES],
)
def test_structure_rules(pattern: dict[str, Any], record: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, record) is expected


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
        ({"Filters": [{"Pattern": '{"a": [{"wildcard": "x*"}]}'}]}, "'wildcard' is an EventBridge"),
        ({"Filters": [{"Pattern": '{"a": [{"numeric": ["~", 1]}]}'}]}, "not a numeric operator"),
        ({"Filters": [{"Pattern": '{"a": [{"numeric": [">", "1"]}]}'}]}, "> needs a number"),
        ({"Filters": [{"Pattern": '{"a": [{"exists": "yes"}]}'}]}, "exists takes true or false"),
        ({"Filters": [{"Pattern": '{"a": [{"prefix": 1}]}'}]}, "prefix takes a string"),
        ({"Filters": [{"Pattern": '{"a": [{"anything-but": {"numeric": 1}}]}'}]}, "not in Lambda"),
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


# What a deploy rejects, with the reason. Sources: Lambda's filter rule syntax table
# (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-syntax)
# for the operators Lambda lists; EventBridge's comparison-operator table
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html),
# whose "Pipe support" column (pipes run on Lambda's event source mapping pollers) says No to
# anything-but with prefix, suffix, equals-ignore-case or wildcard; aws/event-ruler's
# JsonRuleCompiler (numeric grammar, "$or" rules, reserved names); and LocalStack's
# AWS-validated TestEventPattern _EXC cases, named beside each row, which record AWS's reason.
REJECTED: list[tuple[str, Any, str]] = [
    # content_numeric_EXC: AWS says "Bad numeric range operator: >".
    ("two lower bounds", {"numeric": [">", 0, ">", 0]}, "two lower bounds"),
    ("two lower bounds, mixed", {"numeric": [">=", 1, ">", 5]}, "two lower bounds"),
    ("two upper bounds", {"numeric": ["<", 5, "<=", 10]}, "nothing may follow <"),
    ("upper bound before lower", {"numeric": ["<", 10, ">", 0]}, "nothing may follow <"),
    ("= takes no range", {"numeric": ["=", 5, "<", 10]}, "nothing may follow ="),
    ("range upside down", {"numeric": [">", 10, "<", 5]}, "must be below the upper bound"),
    ("range too long", {"numeric": [">", 0, "<", 5, "<", 6]}, "too many terms"),
    # content_numeric_syntax_EXC: AWS says "Value of < must be numeric".
    ("range without its number", {"numeric": [">", 0, "<"]}, "< needs a number"),
    # content_numeric_number_EXC: AWS says "Value of numeric must be an array."
    ("numeric not a list", {"numeric": 10}, "numeric takes a list"),
    # content_numeric_operatorcasing_EXC: AWS says "Unrecognized match type NUMERIC".
    ("operators are case-sensitive", {"NUMERIC": ["=", 5]}, "'NUMERIC' is not supported"),
    # content_anything_prefix_empty_EXC / content_anything_suffix_empty_EXC: AWS says
    # "Null prefix/suffix not allowed".
    ("empty anything-but prefix", {"anything-but": {"prefix": ""}}, "empty anything-but"),
    ("empty anything-but suffix", {"anything-but": {"suffix": ""}}, "empty anything-but"),
    ("anything-but prefix", {"anything-but": {"prefix": "us-"}}, "not in Lambda's filter"),
    ("anything-but suffix", {"anything-but": {"suffix": ".png"}}, "not in Lambda's filter"),
    (
        "anything-but ignoring case",
        {"anything-but": {"equals-ignore-case": "x"}},
        "not in Lambda's filter",
    ),
    ("anything-but wildcard", {"anything-but": {"wildcard": "*x"}}, "not in Lambda's filter"),
    # content_anything_but_string_list_null_type_EXC; event-ruler: no mixed types.
    ("anything-but with null", {"anything-but": ["a", None]}, "only strings or only numbers"),
    ("anything-but mixed", {"anything-but": ["a", 1]}, "only strings or only numbers"),
    ("prefix ignoring case", {"prefix": {"equals-ignore-case": "us-"}}, "not in Lambda's filter"),
    ("suffix ignoring case", {"suffix": {"equals-ignore-case": ".png"}}, "not in Lambda's filter"),
    ("wildcard", {"wildcard": "*.png"}, "'wildcard' is an EventBridge"),
    ("cidr", {"cidr": "10.0.0.0/24"}, "'cidr' (IP address matching)"),
]


@pytest.mark.parametrize(
    ("condition", "message"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED]
)
def test_operators_lambda_rejects_name_the_reason(condition: Any, message: str) -> None:
    criteria = {"Filters": [{"Pattern": json.dumps({"f": [condition]})}]}
    with pytest.raises(FilterPatternError, match=r"Filters\[0\]\.Pattern\.f: ") as exc:
        parse_filter_criteria(criteria)
    assert message in str(exc.value)


# "$or" must be a list of at least two objects, and a field inside a branch may not be one of
# event-ruler's reserved words (aws/event-ruler README, 'The "$or" Primitive';
# JsonRuleCompiler.parseIntoOrRelationship and RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ({"$or": {"a": ["x"]}}, "$or: must be a list of at least 2 objects"),
        ({"$or": [{"a": ["x"]}]}, "$or: needs at least 2 objects"),
        ({"$or": [{"a": ["x"]}, "b"]}, "$or: only objects"),
        ({"$or": [{"a": ["x"]}, {"prefix": ["y"]}]}, "'prefix' is reserved"),
        ({"$or": [{"a": ["x"]}, {"b": {"numeric": ["z"]}}]}, "'numeric' is reserved"),
        ({"$or": [{"a": ["x"]}, {"b": []}]}, "$or[1].b: empty list"),
    ],
)
def test_or_rules(pattern: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterPatternError) as exc:
        parse_filter_criteria({"Filters": [{"Pattern": json.dumps(pattern)}]})
    assert message in str(exc.value)
