"""Meter the pipeline's AWS traffic at moto's server: a WSGI middleware that sees every request.

Why here and not in botocore event hooks: every client the handlers create (whatever
session, whenever) reaches this server, so nothing escapes the meter; botocore hooks would
have to be installed on each session the handler code happens to use. The runtime's own
requests (stream polling, resource setup, status queries) carry ``X-Onramp-Internal`` and
are not metered: AWS does not bill them to the pipeline either.

DynamoDB units follow DynamoDB's rules (see ``capacity``): the items before and after a
write are read from moto's in-process backend around the request, and a write that adds,
changes or removes a global secondary index's key also writes that index.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from moto.dynamodb.models import dynamodb_backends

from onramp.local.aws.server import ACCOUNT_ID, INTERNAL_HEADER, REGION
from onramp.local.aws.wsgi import buffered_body
from onramp.local.metering import capacity

_SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")
_INTERNAL_ENVIRON_KEY = "HTTP_" + INTERNAL_HEADER.upper().replace("-", "_")
_JSON_SERVICES = {"dynamodb", "sqs"}
_FORM_SERVICES = {"iam", "ses", "sqs"}


@dataclass(frozen=True)
class AwsCall:
    """One metered AWS request made by a handler."""

    at: float
    service: str
    operation: str
    status: int
    table: str = ""
    write_units: float = 0.0
    read_units: float = 0.0
    items_written: int = 0
    item_bytes: tuple[int, ...] = ()
    s3_class: str = ""
    bytes_in: int = 0
    recipients: int = 0
    messages: int = 0


class TrafficMeter:
    """WSGI middleware factory: ``MotoServer(middleware=meter.wrap)``; calls ``sink(AwsCall)``."""

    def __init__(self, sink: Callable[[AwsCall], None]) -> None:
        self._sink = sink

    def wrap(self, app: Callable[..., Any]) -> Callable[..., Any]:
        """Return ``app`` wrapped so every non-internal request is metered."""

        def metered(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get(_INTERNAL_ENVIRON_KEY):
                return app(environ, start_response)
            return self._meter(app, environ, start_response)

        return metered

    def _meter(
        self, app: Callable[..., Any], environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        match = _SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = match.group(1) if match else "unknown"
        body = b""
        if service in _JSON_SERVICES | _FORM_SERVICES:
            body = buffered_body(environ)
        request = _Request(environ, service, body)
        before = _written_items(request) if service == "dynamodb" else []
        status_holder: list[int] = []

        def capture(status: str, headers: Any, exc_info: Any = None) -> Any:
            status_holder.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        response = b"".join(app(environ, capture))
        status = status_holder[0] if status_holder else 500
        self._sink(_classify(request, status, response, before))
        return [response]


class _Request:
    def __init__(self, environ: dict[str, Any], service: str, body: bytes) -> None:
        self.service = service
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        self.path: str = environ.get("PATH_INFO", "/")
        self.query: str = environ.get("QUERY_STRING", "")
        self.target: str = environ.get("HTTP_X_AMZ_TARGET", "")
        self.content_length = int(
            environ.get("HTTP_X_AMZ_DECODED_CONTENT_LENGTH") or environ.get("CONTENT_LENGTH") or 0
        )
        self.json: dict[str, Any] = {}
        self.form: dict[str, list[str]] = {}
        if self.target and body:
            self.json = json.loads(body)
        elif body and service in _FORM_SERVICES:
            self.form = parse_qs(body.decode())
        elif body and self.path.startswith("/v2/"):
            self.json = json.loads(body)

    @property
    def operation(self) -> str:
        if self.target:
            return self.target.rsplit(".", 1)[-1]
        if self.form.get("Action"):
            return self.form["Action"][0]
        return f"{self.method} {self.path}"


def _classify(
    request: _Request, status: int, response: bytes, before: list[_WriteTarget]
) -> AwsCall:
    now = time.time()
    base = {"at": now, "service": request.service, "operation": request.operation}
    if request.service == "dynamodb":
        return AwsCall(**base, status=status, **_dynamodb_units(request, status, response, before))
    if request.service == "s3":
        return AwsCall(**base, status=status, **_s3_class(request))
    if request.service == "ses":
        return AwsCall(
            **base, status=status, recipients=_ses_recipients(request) if status < 300 else 0
        )
    if request.service == "sqs":
        return AwsCall(
            **base, status=status, messages=_sqs_messages(request) if status < 300 else 0
        )
    return AwsCall(**base, status=status)


# --- DynamoDB ----------------------------------------------------------------------------

_WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class _WriteTarget(NamedTuple):
    """One item a write request touches: its table and key, the new item of a put (None for
    an update or delete) and the item as stored before the request (None when absent)."""

    table: str
    key: dict[str, Any]
    new_item: dict[str, Any] | None
    old_item: dict[str, Any] | None


def _write_targets(request: _Request) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(table, key, new item for a put) for every item a write request touches."""
    body, op = request.json, request.operation
    if op == "PutItem":
        return [(body["TableName"], _key_of(body["TableName"], body["Item"]), body["Item"])]
    if op in ("UpdateItem", "DeleteItem"):
        return [(body["TableName"], body["Key"], None)]
    if op == "BatchWriteItem":
        targets = []
        for table, writes in body.get("RequestItems", {}).items():
            for write in writes:
                if "PutRequest" in write:
                    item = write["PutRequest"]["Item"]
                    targets.append((table, _key_of(table, item), item))
                else:
                    targets.append((table, write["DeleteRequest"]["Key"], None))
        return targets
    if op == "TransactWriteItems":
        targets = []
        for entry in body.get("TransactItems", []):
            ((kind, spec),) = entry.items()
            item = spec.get("Item") if kind == "Put" else None
            key = _key_of(spec["TableName"], item) if item else spec["Key"]
            targets.append((spec["TableName"], key, item))
        return targets
    return []


def _written_items(request: _Request) -> list[_WriteTarget]:
    """Every item a write request will touch, with the item as it is now (read before the
    request runs); empty for a read, or a request too malformed to name its items."""
    if request.operation not in _WRITE_OPERATIONS:
        return []
    try:
        return [
            _WriteTarget(table, key, new_item, _stored_item(table, key))
            for table, key, new_item in _write_targets(request)
        ]
    except (LookupError, ValueError, TypeError, AttributeError):
        return []


def _dynamodb_units(
    request: _Request, status: int, response: bytes, before: list[_WriteTarget]
) -> dict[str, Any]:
    op = request.operation
    if op in _WRITE_OPERATIONS:
        return _write_units(request, status, b"ConditionalCheckFailed" in response, before)
    if status >= 300 or not response:
        return {}
    body = json.loads(response)
    consistent = bool(request.json.get("ConsistentRead"))
    if op == "GetItem":
        size = capacity.item_size(body.get("Item"))
        return {
            "table": request.json["TableName"],
            "read_units": capacity.read_units(size, consistent),
        }
    if op in ("Query", "Scan"):
        size = sum(capacity.item_size(item) for item in body.get("Items", []))
        return {
            "table": request.json["TableName"],
            "read_units": capacity.read_units(size, consistent),
        }
    if op == "TransactGetItems":
        units = sum(
            capacity.read_units(capacity.item_size(r.get("Item")), transactional=True)
            for r in body.get("Responses", [])
        )
        return {"table": _first_table(request), "read_units": units}
    if op == "BatchGetItem":
        units = sum(
            capacity.read_units(capacity.item_size(item), consistent)
            for items in body.get("Responses", {}).values()
            for item in items
        )
        return {"table": _first_table(request), "read_units": units}
    return {}


def _write_units(
    request: _Request, status: int, condition_failed: bool, targets: list[_WriteTarget]
) -> dict[str, Any]:
    """Units of a write: the larger item size before/after; a failed condition still costs;
    a written item's global secondary indexes (:func:`_index_write_units`)."""
    succeeded = status < 300
    if not succeeded and not condition_failed:
        return {}
    transactional = request.operation == "TransactWriteItems"
    units = 0.0
    sizes = []
    table = ""
    for target in targets:
        table, old_item, new_item = target.table, target.old_item, target.new_item
        old_size = capacity.item_size(old_item)
        if new_item is None and succeeded and request.operation != "DeleteItem":
            new_item = _stored_item(table, target.key)
        new_size = capacity.item_size(new_item)
        units += capacity.write_units(max(old_size, new_size), transactional)
        if succeeded:
            units += _index_write_units(table, old_item, new_item, transactional)
        if succeeded and new_size:
            sizes.append(new_size)
    return {
        "table": table,
        "write_units": units,
        "items_written": len(sizes),
        "item_bytes": tuple(sizes),
    }


def _index_write_units(
    table: str, old: dict[str, Any] | None, new: dict[str, Any] | None, transactional: bool
) -> int:
    """Write units a table write costs its global secondary indexes (DynamoDB developer guide,
    "Global secondary indexes", writes): an item gaining the index key is one put, losing it
    one delete, changing its value a delete and a put; without the key (a sparse index) or
    with the same key and, for a keys-only index, nothing else to copy, nothing. A projected
    attribute's change (ALL/INCLUDE) is counted as one put. Each entry by its own size."""
    spec = dynamodb_backends[ACCOUNT_ID][REGION].get_table(table)
    units = 0
    for index in spec.global_indexes:
        names = [k["AttributeName"] for k in index.schema]
        before, after = (_index_key(item, names) for item in (old, new))
        if before is None and after is None:
            continue
        entries = [e for e in (old if before else None, new if after else None) if e]
        if before is not None and after is not None and before == after:
            keys_only = (index.projection or {}).get("ProjectionType") == "KEYS_ONLY"
            if keys_only or old == new:
                continue
            entries = [new] if new else []
        table_keys = [spec.hash_key_attr, spec.range_key_attr]
        for entry in entries:
            kept = _projected(entry, names + [k for k in table_keys if k], index.projection)
            units += capacity.write_units(capacity.item_size(kept), transactional)
    return units


def _index_key(item: dict[str, Any] | None, names: list[str]) -> tuple[Any, ...] | None:
    if not item or any(name not in item for name in names):
        return None
    return tuple(json.dumps(item[name], sort_keys=True) for name in names)


def _projected(item: dict[str, Any], keys: list[str], projection: Any) -> dict[str, Any]:
    """The index entry of ``item``: its keys plus what the index projects."""
    kind = (projection or {}).get("ProjectionType", "ALL")
    if kind == "ALL":
        return item
    extra = (projection or {}).get("NonKeyAttributes", []) if kind == "INCLUDE" else []
    return {name: value for name, value in item.items() if name in keys or name in extra}


def _stored_item(table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    item = dynamodb_backends[ACCOUNT_ID][REGION].get_item(table, key)
    return item.to_json()["Attributes"] if item is not None else None


def _key_of(table: str, item: dict[str, Any]) -> dict[str, Any]:
    spec = dynamodb_backends[ACCOUNT_ID][REGION].get_table(table)
    names = [spec.hash_key_attr, spec.range_key_attr]
    return {name: item[name] for name in names if name}


def _first_table(request: _Request) -> str:
    tables = request.json.get("RequestItems") or {}
    if tables:
        return next(iter(tables))
    items = request.json.get("TransactItems") or [{}]
    return next(iter(items[0].values()), {}).get("TableName", "")


# --- S3, SES, SQS ------------------------------------------------------------------------


def _s3_class(request: _Request) -> dict[str, Any]:
    """S3's price classes: PUT/COPY/POST/LIST, GET/HEAD/other; DELETE is free."""
    is_bucket_level = request.path.strip("/").count("/") == 0
    if request.method in ("PUT", "POST"):
        return {"s3_class": "put", "bytes_in": request.content_length}
    if request.method == "GET" and is_bucket_level:
        return {"s3_class": "list"}
    if request.method == "DELETE":
        return {}
    return {"s3_class": "get"}


def _ses_recipients(request: _Request) -> int:
    if request.json:  # SES v2 SendEmail
        destination = request.json.get("Destination", {})
        count = sum(
            len(destination.get(k, [])) for k in ("ToAddresses", "CcAddresses", "BccAddresses")
        )
        return count or (1 if request.path.endswith("/outbound-emails") else 0)
    if request.operation not in ("SendEmail", "SendRawEmail", "SendTemplatedEmail"):
        return 0
    fields = [k for k in request.form if k.startswith(("Destination.", "Destinations.member"))]
    return len(fields) or 1


def _sqs_messages(request: _Request) -> int:
    if request.operation == "SendMessage":
        return 1
    if request.operation == "SendMessageBatch":
        return len(request.json.get("Entries", [])) or sum(
            1 for k in request.form if k.endswith(".Id")
        )
    return 0
