"""The local HTTP API: payload 2.0 event shape, reply mapping, 404/413/500."""

import base64
import http.client
import json
import time
import urllib.parse

import boto3
import pytest

from onramp.local.aws.server import INTERNAL_HEADER
from onramp.local.metering.recorder import Window

pytestmark = pytest.mark.integration


def _request(url, method, path, body=b"", headers=None):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    # Header names are case-insensitive (RFC 9110 5.1); the server writes them capitalised.
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def test_post_becomes_the_exact_v2_event(fixture_stack):
    status, headers, data = _request(
        fixture_stack.api_url,
        "POST",
        "/echo/ada?x=1&x=2&y=",
        body=b'{"a": 1}',
        headers={"Content-Type": "application/json", "Cookie": "c1=v1; c2=v2", "X-Multi": "a"},
    )
    assert status == 200 and headers["x-echo"] == "1"
    event = json.loads(data)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /echo/{name}"
    assert event["rawPath"] == "/echo/ada" and event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["pathParameters"] == {"name": "ada"}
    assert event["cookies"] == ["c1=v1", "c2=v2"] and "cookie" not in event["headers"]
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["x-multi"] == "a"
    assert all(name == name.lower() for name in event["headers"])
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"]["method"] == "POST" and context["http"]["path"] == "/echo/ada"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["stage"] == "$default" and context["routeKey"] == "POST /echo/{name}"
    assert isinstance(context["timeEpoch"], int) and context["requestId"]
    assert context["accountId"] == "123456789012"


def test_binary_body_is_base64_encoded(fixture_stack):
    payload = bytes(range(256))
    _, _, data = _request(
        fixture_stack.api_url, "POST", "/echo/bin", payload, {"Content-Type": "image/png"}
    )
    event = json.loads(data)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_handler_sees_its_context_and_resolved_environment(fixture_stack, handler_records):
    _request(
        fixture_stack.api_url, "POST", "/echo/ctx", b"{}", {"Content-Type": "application/json"}
    )
    seen = handler_records("contexts")[-1]
    assert seen["function_name"] == "onramp-local-EchoFunction"
    assert seen["invoked_function_arn"].endswith(":function:onramp-local-EchoFunction")
    assert len(seen["aws_request_id"]) == 36
    assert seen["memory_limit_in_mb"] == 128
    assert 0 < seen["remaining_ms"] <= 3000
    assert seen["greeting"] == "hello from us-east-1"
    assert seen["table"] == "onramp-local-ItemsTable"


def test_handler_aws_calls_are_metered_and_runtime_calls_are_not(fixture_stack):
    table = fixture_stack.resources.table_names["ItemsTable"]
    since = time.time()
    status, _, _ = _request(fixture_stack.api_url, "POST", "/store", b"{}")
    assert status == 201
    internal = boto3.client("dynamodb", endpoint_url=fixture_stack.endpoint_url)
    internal.meta.events.register("before-sign", _mark_internal)
    assert internal.scan(TableName=table)["Items"]

    def items_block():
        window = Window(since, time.time())
        totals = fixture_stack.recorder.totals(window, fixture_stack.function_specs, {table: "t"})
        return totals.dynamodb["t"]

    block = items_block()  # the worker's PutItem is metered, the runtime's own Scan is not
    assert block.write_request_units == 1 and block.items_written == 1
    assert block.read_request_units == 0
    boto3.client("dynamodb", endpoint_url=fixture_stack.endpoint_url).scan(TableName=table)
    fixture_stack.status()  # syncs with the AWS process: its reader has every metered call
    assert items_block().read_request_units > 0


def _mark_internal(request, **_):
    request.headers[INTERNAL_HEADER] = "1"


def test_unknown_route_is_404(fixture_stack):
    status, _, data = _request(fixture_stack.api_url, "GET", "/nowhere")
    assert status == 404 and json.loads(data) == {"message": "Not Found"}


def test_handler_crash_is_500_without_details(fixture_stack):
    status, _, data = _request(fixture_stack.api_url, "GET", "/crash")
    assert status == 500 and json.loads(data) == {"message": "Internal Server Error"}
    assert b"secret" not in data and b"Traceback" not in data


def test_payload_over_10_mb_is_413(fixture_stack):
    parts = urllib.parse.urlsplit(fixture_stack.api_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest("POST", "/echo/big")
    connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == {"message": "Request Entity Too Large"}
    connection.close()


def test_admin_status_endpoint(fixture_stack):
    status, _, data = _request(fixture_stack.api_url, "GET", "/_onramp/status")
    assert status == 200 and "invocations" in json.loads(data)
