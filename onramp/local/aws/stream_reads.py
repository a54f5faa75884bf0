"""DynamoDB Streams GetRecords answered straight from moto's backend, in AWS's wire format.

moto renders every response through its generic, model-driven serializer; for GetRecords
that costs about 2 ms of CPU per record (each image walked attribute by attribute), which
made the stream pumps' polling the largest CPU consumer of the embedded runtime under load
(77 ms per poll at 20 registrations/s). The records moto keeps are already in the wire shape
(typed attribute values), so they are dumped as JSON directly, with moto's own encodings of
timestamps and binary values. Unknown iterators and every other request go to moto.

Example::

    app = fast_get_records(moto_wsgi_app, StreamRetention(ACCOUNT_ID, REGION))
"""

from __future__ import annotations

import base64
import calendar
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from onramp.local.aws.stream_retention import StreamRetention, table_name
from onramp.local.aws.wsgi import WsgiApp, buffered_body

GET_RECORDS_TARGET = "DynamoDBStreams_20120810.GetRecords"
GET_SHARD_ITERATOR_TARGET = "DynamoDBStreams_20120810.GetShardIterator"
DEFAULT_LIMIT = 1000
TRIMMED = (
    "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException",
    "The data you are trying to access has been trimmed.",
)


def fast_get_records(app: WsgiApp, retention: StreamRetention) -> WsgiApp:
    """Wrap moto's WSGI ``app`` so GetRecords on a known shard iterator skips its serializer
    (and goes through ``retention``, which frees what every reader has settled)."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target not in (GET_RECORDS_TARGET, GET_SHARD_ITERATOR_TARGET):
            return app(environ, start_response)
        body = buffered_body(environ)
        request = json.loads(body or b"{}")
        if target == GET_SHARD_ITERATOR_TARGET:
            if _below_trim_point(request, retention):
                return _answer(start_response, "400 Bad Request", TRIMMED)
            horizon = None
            if request.get("ShardIteratorType") == "TRIM_HORIZON":
                horizon = retention.trim_horizon(str(request.get("StreamArn", "")))
            if horizon is not None:  # the oldest record still in the shard
                return _answer(start_response, "200 OK", {"ShardIterator": horizon})
            return app(environ, start_response)
        iterator = retention.iterator(request.get("ShardIterator", ""))
        if iterator is None:
            return app(environ, start_response)
        table = iterator.stream_shard.table.name
        if retention.expired(table, iterator.sequence_number):
            return _answer(start_response, "400 Bad Request", TRIMMED)
        result = retention.read(iterator, int(request.get("Limit") or DEFAULT_LIMIT))
        return _answer(start_response, "200 OK", result)

    return serve


def _below_trim_point(request: dict[str, Any], retention: StreamRetention) -> bool:
    """GetShardIterator AT/AFTER_SEQUENCE_NUMBER of a record past the 24-hour retention."""
    if request.get("ShardIteratorType") not in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        return False
    sequence = str(request.get("SequenceNumber", ""))
    stream_arn = str(request.get("StreamArn", ""))
    if not sequence.isdigit() or ":table/" not in stream_arn:
        return False
    return retention.expired(table_name(stream_arn), int(sequence))


def _answer(start_response: Callable[..., Any], status: str, result: Any) -> list[bytes]:
    """A JSON 1.0 response; an error as (``__type``, message), AWS's error shape."""
    if isinstance(result, tuple):
        result = {"__type": result[0], "message": result[1]}
    payload = json.dumps(result, default=_wire_value).encode()
    start_response(
        status,
        [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _wire_value(value: Any) -> float | str:
    """Timestamps as epoch seconds truncated to the millisecond (naive ones are UTC), binary
    as base64: the JSON protocol's encodings."""
    if isinstance(value, datetime):
        return calendar.timegm(value.utctimetuple()) + value.microsecond // 1000 / 1000
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
