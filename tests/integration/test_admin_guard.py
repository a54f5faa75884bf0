"""The admin endpoints: this machine only (DNS rebinding), no cross-site writes (CSRF), and
no way around a function's event source (its authorizer, its stream's filters)."""

import http.client
import json
import urllib.parse

import pytest

from onramp.local.api.admin_guard import refusal

pytestmark = pytest.mark.integration
JSON_ADMIN = {"Content-Type": "application/json", "X-Onramp-Admin": "1"}


def _call(url, method, path, body=None, headers=None):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body))
    connection.request(method, path, body=data, headers=headers or {})
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    return response.status, answer


def test_a_rebound_dns_name_is_refused(fixture_stack):
    """Before: /_onramp/* answered any Host, so a page on evil.example could read it."""
    status, body = _call(
        fixture_stack.api_url, "GET", "/_onramp/status", None, {"Host": "evil.example"}
    )
    assert status == 403 and "loopback Host" in body["message"]
    assert _call(fixture_stack.api_url, "GET", "/_onramp/status")[0] == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain"},  # what a cross-site HTML form can send
        {"Content-Type": "application/json"},  # no X-Onramp-Admin
        {"Content-Type": "text/plain", "X-Onramp-Admin": "1"},
    ],
)
def test_a_state_changing_call_a_form_could_send_is_refused(fixture_stack, headers):
    """Before: POST /_onramp/faults/clear took text/plain (CSRF)."""
    status, body = _call(fixture_stack.api_url, "POST", "/_onramp/faults/clear", {}, headers)
    assert status == 403 and body["message"].startswith("Forbidden: ")
    status, _ = _call(fixture_stack.api_url, "POST", "/_onramp/faults/clear", {}, JSON_ADMIN)
    assert status == 200


def test_an_api_function_cannot_be_invoked_around_its_route(fixture_stack):
    """Before: POST /_onramp/invoke/register skipped the JWT authorizer."""
    event = {"version": "2.0", "routeKey": "POST /store", "rawPath": "/store"}
    status, body = _call(fixture_stack.api_url, "POST", "/_onramp/invoke/echo", event, JSON_ADMIN)
    assert status == 403 and "event source" in body["message"]


def test_a_stream_function_takes_only_its_own_streams_records(fixture_stack):
    stream_arn = next(
        p.source.stream_arn
        for p in fixture_stack.pumps
        if p.source.function_logical_id == "BatchFunction"
    )
    record = {"eventSource": "aws:dynamodb", "eventName": "INSERT", "dynamodb": {}}
    foreign = {"Records": [{**record, "eventSourceARN": stream_arn + "-other"}]}
    status, body = _call(
        fixture_stack.api_url, "POST", "/_onramp/invoke/batch", foreign, JSON_ADMIN
    )
    assert status == 403 and "Records[0]" in body["message"]
    status, _ = _call(fixture_stack.api_url, "POST", "/_onramp/invoke/batch", {"x": 1}, JSON_ADMIN)
    assert status == 400


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:3000", True),
        ("localhost", True),
        ("[::1]:3000", True),
        ("127.0.0.1.evil.example", False),
        ("localhost.evil.example:3000", False),
        ("", False),
    ],
)
def test_loopback_host_names(host, allowed):
    assert (refusal("GET", {"host": host}) is None) is allowed
