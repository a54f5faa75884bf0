"""The console masks email, name and phone wherever an event carries them."""

import json

from onramp.console.pii import mask, masked


def test_each_kind_is_masked_as_documented():
    assert mask("email", "ada@example.com") == "a***@example.com"
    assert mask("email", "no-at-sign") == "***"
    assert mask("phone", "+14155550100") == "***00"
    assert mask("name", "Ada Lovelace") == "A***"


def test_stream_images_and_api_bodies_are_masked_and_nothing_else_changes():
    record = {
        "dynamodb": {
            "NewImage": {
                "user_id": {"S": "u1"},
                "email": {"S": "ada@example.com"},
                "name": {"S": "Ada Lovelace"},
                "phone": {"S": "+14155550100"},
                "status": {"S": "pending"},
            }
        }
    }
    image = masked(record)["dynamodb"]["NewImage"]
    assert image == {
        "user_id": {"S": "u1"},
        "email": {"S": "a***@example.com"},
        "name": {"S": "A***"},
        "phone": {"S": "***00"},
        "status": {"S": "pending"},
    }
    body = json.dumps({"email": "ada@example.com", "name": "Ada", "phone": "+14155550100"})
    event = masked({"body": body, "headers": {"host": "127.0.0.1"}})
    assert json.loads(event["body"]) == {
        "email": "a***@example.com",
        "name": "A***",
        "phone": "***00",
    }
    assert event["headers"] == {"host": "127.0.0.1"}
    assert "ada@example.com" not in json.dumps(masked({"Records": [record], "body": body}))
