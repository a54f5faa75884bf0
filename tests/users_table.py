"""The Users table's key and sparse ``InFlightIndex`` as stack/template.yaml declares them
(tests/stack checks the template's), for the tests that create the table in moto."""

from typing import Any


def users_table(name: str) -> dict[str, Any]:
    """``create_table`` arguments: on demand, keyed by ``user_id``, the keys-only index on
    ``in_flight`` / ``created_at``."""
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": "user_id", "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": attribute, "AttributeType": "S"}
            for attribute in ("user_id", "in_flight", "created_at")
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "InFlightIndex",
                "KeySchema": [
                    {"AttributeName": "in_flight", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
