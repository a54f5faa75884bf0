"""Small helpers for the low-level DynamoDB client: (de)serialising items, update expressions."""

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Python values -> DynamoDB attribute values (``None`` values left out)."""
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values -> Python values."""
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def is_condition_failure(error: Exception) -> bool:
    """True for a failed ``ConditionExpression`` (also raised by moto)."""
    from onboarding.adapters.clients import error_code

    return error_code(error) == "ConditionalCheckFailedException"


class Expression:
    """Builds expression-attribute names/values, so reserved words (status, name) are safe.

    >>> e = Expression(); e.path("welcome_email.message_id"), e.value("x")
    ('#n0.#n1', ':v0')
    """

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def path(self, dotted: str) -> str:
        """Placeholder for an attribute path (``a.b`` for a map member)."""
        placeholders = []
        for part in dotted.split("."):
            placeholder = f"#n{len(self.names)}"
            self.names[placeholder] = part
            placeholders.append(placeholder)
        return ".".join(placeholders)

    def value(self, value: Any) -> str:
        """Placeholder for a value."""
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = _serializer.serialize(value)
        return placeholder

    def set_clause(self, fields: dict[str, Any]) -> str:
        """``SET a = :v, ...`` for every field (paths may be dotted)."""
        assignments = [f"{self.path(key)} = {self.value(value)}" for key, value in fields.items()]
        return "SET " + ", ".join(assignments)

    def arguments(self) -> dict[str, Any]:
        """The ``ExpressionAttributeNames``/``Values`` arguments for the client call."""
        arguments: dict[str, Any] = {"ExpressionAttributeNames": self.names}
        if self.values:
            arguments["ExpressionAttributeValues"] = self.values
        return arguments
