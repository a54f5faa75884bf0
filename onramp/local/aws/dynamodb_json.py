"""DynamoDB's item operations answered as JSON directly, not through moto's generic serializer.

moto renders every reply by walking botocore's output shape member by member
(``moto.core.serialize``); for DynamoDB the reply of an item operation is already the wire
form (attribute-value maps, counts, consumed capacity), so the walk only copies it. Profiled
on a 20/s run, that walk was a quarter of the embedded AWS's CPU. Here a ``DynamoResult``
of an item operation is ``json.dumps``'d as it is, with the two things the walk did do:
top-level members the operation's output shape does not declare are left out (moto adds
``ConsumedCapacityUnits`` to DeleteItem's), and blobs (``B``, ``BS``) are base64, as the
JSON protocol writes them. Every other operation, and every error, keeps moto's path.
``tests/integration/test_dynamodb_json.py`` compares the two on every item operation.

Example::

    install()   # once per process, before serving
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoResult

ITEM_OPERATIONS = frozenset(
    {"PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
     "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}
)  # fmt: skip
CONTENT_TYPE = "application/x-amz-json-1.0"


def install() -> None:
    """Answer DynamoDB item operations with :func:`reply` in this process; idempotent."""
    DynamoResult.execute_result = _execute_result  # type: ignore[method-assign]


def reply(result: object, context: Any) -> tuple[int, dict[str, str], str] | None:
    """The reply to an item operation's result; None for anything else (moto's path)."""
    operation = context.operation_model
    if operation.name not in ITEM_OPERATIONS or not isinstance(result, dict):
        return None
    declared = operation.output_shape.members
    body = {name: value for name, value in result.items() if name in declared and value is not None}
    return 200, {"Content-Type": CONTENT_TYPE}, json.dumps(body, default=_blob)


def _execute_result(self: ActionResult, context: Any) -> Any:
    answered = reply(self.result, context)
    if answered is None:
        return ActionResult.execute_result(self, context)
    return answered


def _blob(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} in a DynamoDB reply")
