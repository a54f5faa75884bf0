"""Builders for the events AWS sends the onboarding functions, from tests/events/*.json."""

import base64
import copy
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from onboarding.domain.metric_catalog import RECORD_FAILURES, RECORD_PROCESSING_TIME

EVENTS_DIR = Path(__file__).resolve().parents[1] / "events"
VALID_BODY = {
    "email": "Ada.Lovelace@Example.com",
    "name": "  Ada   Lovelace ",
    "phone": "+44 20 7946 0958",
}

_serializer = TypeSerializer()


@cache
def _load(name: str) -> str:
    return (EVENTS_DIR / f"{name}.json").read_text()


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of tests/events/<name>.json."""
    return json.loads(_load(name))


def api_request(
    body: dict[str, Any] | str | bytes | None = None,
    headers: dict[str, str] | None = None,
    drop_headers: tuple[str, ...] = (),
) -> dict[str, Any]:
    """An HTTP API v2.0 ``POST /register`` event; ``bytes`` bodies are sent base64-encoded."""
    event = load_event("api_register")
    payload = VALID_BODY if body is None else body
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    if isinstance(payload, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(payload).decode(), True
    else:
        event["body"] = payload
    event["headers"]["content-length"] = str(len(event["body"]))
    event["headers"].update(headers or {})
    for name in drop_headers:
        event["headers"].pop(name, None)
    return event


def _image(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in values.items()}


def stream_record(
    new_image: dict[str, Any], old_image: dict[str, Any] | None = None, sequence: int = 1
) -> dict[str, Any]:
    """A DynamoDB Streams record (AWS's shape, eventVersion 1.1): INSERT without an old image,
    MODIFY with one. Images are plain Python values (as ``get_item`` + deserialise give)."""
    template = "stream_insert_pending" if old_image is None else "stream_modify_processing"
    record = copy.deepcopy(load_event(template)["Records"][0])
    dynamodb = record["dynamodb"]
    dynamodb["Keys"] = _image({"user_id": new_image["user_id"]})
    dynamodb["NewImage"] = _image(new_image)
    dynamodb.pop("OldImage", None)
    if old_image is not None:
        dynamodb["OldImage"] = _image(old_image)
    dynamodb["SequenceNumber"] = f"{4421584500000000017450439091 + sequence}"
    dynamodb["SizeBytes"] = len(json.dumps(dynamodb["NewImage"]))
    record["eventID"] = hashlib.md5(f"{new_image['user_id']}{sequence}".encode()).hexdigest()
    return record


def emitted_metrics(stdout: str) -> list[tuple[str, dict[str, str]]]:
    """(metric name, dimensions) for every EMF metric printed on ``stdout``."""
    found = []
    for line in stdout.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            dimensions = {name: blob[name] for group in directive["Dimensions"] for name in group}
            found += [(metric["Name"], dimensions) for metric in directive["Metrics"]]
    return found


def outcome_metrics(stdout: str) -> list[tuple[str, dict[str, str]]]:
    """The emitted metrics without the per-record ones every stream batch emits."""
    per_record = {RECORD_PROCESSING_TIME.name, RECORD_FAILURES.name}
    return [metric for metric in emitted_metrics(stdout) if metric[0] not in per_record]


def stream_event(*records: dict[str, Any]) -> dict[str, Any]:
    """A stream batch as Lambda delivers it."""
    return {"Records": list(records)}
