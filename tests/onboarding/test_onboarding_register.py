"""POST /register through the real handler, with HTTP API v2.0 events, under moto."""

import json

import pytest
from onboarding.adapters.clients import client
from onboarding.domain.identity import user_id_for
from onboarding.handlers import register
from onboarding_events import VALID_BODY, api_request, emitted_metrics


def call(event, lambda_context):
    response = register.handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"]), response


def test_valid_registration_writes_one_pending_user(aws, lambda_context, capsys):
    status, body, response = call(api_request(), lambda_context)

    assert status == 202
    assert body == {"user_id": user_id_for("ada.lovelace@example.com"), "status": "pending"}
    assert response["headers"]["Content-Type"] == "application/json"
    user = aws.user(body["user_id"])
    assert user["status"] == "pending"
    assert user["email"] == VALID_BODY["email"]
    assert user["correlation_id"] == "BxR7tgQ6oAMEJrw="  # requestContext.requestId
    assert emitted_metrics(capsys.readouterr().out) == [("Registrations", {"service": "onramp"})]


def test_correlation_header_is_reused_and_echoed(aws, lambda_context):
    event = api_request(headers={"x-correlation-id": "load-test-42"})
    status, body, response = call(event, lambda_context)
    assert status == 202
    assert response["headers"]["x-correlation-id"] == "load-test-42"
    assert aws.user(body["user_id"])["correlation_id"] == "load-test-42"


def test_unsafe_correlation_header_falls_back_to_request_id(aws, lambda_context):
    status, body, _ = call(api_request(headers={"x-correlation-id": "a b\n"}), lambda_context)
    assert status == 202
    assert aws.user(body["user_id"])["correlation_id"] == "BxR7tgQ6oAMEJrw="


def test_a_registered_address_gets_the_answer_a_new_one_gets(aws, lambda_context):
    """OWASP's guidance on account enumeration: the same status and body for a registered
    address as for a new one; the stored user is not changed, only a notice is asked for."""
    new_status, new_body, new_response = call(api_request(), lambda_context)
    again = {**VALID_BODY, "email": "ADA.LOVELACE@example.COM", "name": "Someone Else"}
    status, body, response = call(api_request(again), lambda_context)
    assert (status, body) == (new_status, new_body) and status == 202
    assert set(response["headers"]) == set(new_response["headers"])
    [user] = aws.users()
    assert (user["name"], user["status"]) == (VALID_BODY["name"], "pending")
    assert set(user["notice"]) == {"requested_at", "until"}


def write_calls(lambda_context, bodies):
    """The AWS operations the last registration of ``bodies`` made, in order."""
    calls: list[str] = []
    events = client("dynamodb").meta.events
    record = lambda model, **_: calls.append(model.name)  # noqa: E731
    for body in bodies[:-1]:
        call(api_request(body), lambda_context)
    events.register("before-call.dynamodb", record)
    try:
        assert call(api_request(bodies[-1]), lambda_context)[0] == 202
    finally:
        events.unregister("before-call.dynamodb", record)
    return calls


def test_new_retried_and_registered_addresses_make_the_same_aws_calls(aws, lambda_context):
    """Timing as far as practical: each answer costs one counter update, one conditional put
    and one more conditional write, so the three differ by no extra round trip."""
    other = {**VALID_BODY, "name": "Someone Else"}
    new = write_calls(lambda_context, [VALID_BODY])
    aws.dynamodb.delete_item(
        TableName="onramp-test-users", Key={"user_id": {"S": user_id_for(VALID_BODY["email"])}}
    )
    retried = write_calls(lambda_context, [VALID_BODY, VALID_BODY])
    registered = write_calls(lambda_context, [VALID_BODY, other])
    assert new == retried == ["UpdateItem", "PutItem", "PutItem"]
    assert registered == ["UpdateItem", "PutItem", "UpdateItem"]


def test_the_notice_is_asked_for_at_most_once_a_day(aws, lambda_context):
    call(api_request(), lambda_context)
    for name in ("Eve One", "Eve Two", "Eve Three"):
        assert call(api_request({**VALID_BODY, "name": name}), lambda_context)[0] == 202
    [user] = aws.users()
    first = user["notice"]
    assert call(api_request({**VALID_BODY, "name": "Eve Four"}), lambda_context)[0] == 202
    assert aws.users()[0]["notice"] == first  # still the first request: bounded


def test_a_failed_address_gets_no_notice(aws, lambda_context):
    _, body, _ = call(api_request(), lambda_context)
    aws.dynamodb.update_item(
        TableName="onramp-test-users",
        Key={"user_id": {"S": body["user_id"]}},
        UpdateExpression="SET #s = :f",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":f": {"S": "failed"}},
    )
    assert call(api_request({**VALID_BODY, "name": "Eve"}), lambda_context)[0] == 202
    assert "notice" not in aws.users()[0]


def test_a_retry_after_the_onboarding_moved_on_still_answers_pending(aws, lambda_context):
    """The answer never carries the stored status (a completed user would tell itself)."""
    _, first, _ = call(api_request(), lambda_context)
    aws.dynamodb.update_item(
        TableName="onramp-test-users",
        Key={"user_id": {"S": first["user_id"]}},
        UpdateExpression="SET #s = :c",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":c": {"S": "completed"}},
    )
    assert call(api_request(), lambda_context)[:2] == (202, first)


def test_over_the_per_source_limit_is_a_429_with_a_json_body(aws, lambda_context, monkeypatch):
    monkeypatch.setenv("REGISTER_LIMIT_PER_SOURCE", "2")
    for index in range(2):
        body = {**VALID_BODY, "email": f"user{index}@example.com"}
        assert call(api_request(body), lambda_context)[0] == 202
    status, body, response = call(
        api_request({**VALID_BODY, "email": "u3@example.com"}), lambda_context
    )
    assert status == 429
    assert body["field"] == "source" and body["error"].startswith("source: too many")
    assert response["headers"]["Content-Type"] == "application/json"
    assert 1 <= int(response["headers"]["Retry-After"]) <= 3600
    assert len(aws.users()) == 2  # nothing written for the refused one
    other = api_request({**VALID_BODY, "email": "u4@example.com"})
    other["requestContext"]["http"]["sourceIp"] = "198.51.100.9"
    assert call(other, lambda_context)[0] == 202  # another source has its own count


def test_an_ipv6_client_counts_per_64(aws, lambda_context, monkeypatch):
    monkeypatch.setenv("REGISTER_LIMIT_PER_SOURCE", "1")
    statuses = []
    for index, address in enumerate(("2001:db8:5:6::1", "2001:db8:5:6:ffff::2", "2001:db8:5:7::1")):
        event = api_request({**VALID_BODY, "email": f"v6-{index}@example.com"})
        event["requestContext"]["http"]["sourceIp"] = address
        statuses.append(call(event, lambda_context)[0])
    assert statuses == [202, 429, 202]


def test_a_retried_registration_gets_the_same_answer_and_no_second_user(aws, lambda_context):
    """A client whose reply was lost (a 5xx, a timeout) retries: the same registration is
    answered 202 with the same user id, the user is stored once."""
    status, first, _ = call(api_request(), lambda_context)
    assert status == 202
    status, again, _ = call(api_request(headers={"x-correlation-id": "retry-1"}), lambda_context)
    assert (status, again) == (202, first)
    users = aws.users()
    assert len(users) == 1 and users[0]["correlation_id"] == "BxR7tgQ6oAMEJrw="


def test_base64_body_is_accepted(aws, lambda_context):
    status, _, _ = call(api_request(json.dumps(VALID_BODY).encode()), lambda_context)
    assert status == 202


BAD_REQUESTS = {
    "malformed json": (api_request('{"email": '), 400, "body"),
    "json array": (api_request("[1, 2]"), 400, "body"),
    "empty body": (api_request(""), 400, "body"),
    "invalid utf-8": (api_request(b'{"email": "\xff"}'), 400, "body"),
    # A text body API Gateway could not decode reaches the function with U+FFFD in place of
    # the bad bytes (docs/local-api.md): the handler refuses it rather than store it.
    "replacement character": (api_request('{"email": "a\ufffd@example.com"}'), 400, "body"),
    # Inside 8 KB, but json.loads raises RecursionError / the int-digit-limit ValueError.
    "deep nesting": (api_request("[" * 1000 + "]" * 1000), 400, "body"),
    "deep nesting in a field": (api_request('{"email": ' + "[" * 5000), 400, "body"),
    "4,301-digit integer": (api_request('{"phone": ' + "1" * 4301 + "}"), 400, "body"),
    # Valid JSON syntax, no text: the escape of half a surrogate pair (schemathesis found it).
    "unpaired surrogate": (api_request('{"email": "\\ud9a8a@example.com"}'), 400, "body"),
    "wrong content type": (
        api_request(headers={"content-type": "text/plain"}),
        415,
        "content-type",
    ),
    "form content type": (
        api_request(headers={"content-type": "application/x-www-form-urlencoded"}),
        415,
        "content-type",
    ),
    "latin-1 charset": (
        api_request(headers={"content-type": "application/json; charset=latin-1"}),
        415,
        "content-type",
    ),
    "no content type": (api_request(drop_headers=("content-type",)), 415, "content-type"),
    "oversize": (api_request({**VALID_BODY, "name": "x" * 9000}), 413, "body"),
    "missing phone": (api_request({"email": "a@example.com", "name": "Ada"}), 400, "phone"),
    "missing email": (api_request({"name": "Ada", "phone": "+12025550143"}), 400, "email"),
    "extra field": (api_request({**VALID_BODY, "admin": True}), 400, "admin"),
    "repeated key": (
        api_request('{"email": "a@example.com", "email": "b@example.com", "name": "A"}'),
        400,
        "email",
    ),
    "number for phone": (api_request({**VALID_BODY, "phone": 442079460958}), 400, "phone"),
    "null name": (api_request({**VALID_BODY, "name": None}), 400, "name"),
    "list email": (api_request({**VALID_BODY, "email": ["a@example.com"]}), 400, "email"),
    "control char in name": (api_request({**VALID_BODY, "name": "Ada\u0000"}), 400, "name"),
    "bidi override in name": (api_request({**VALID_BODY, "name": "Ada\u202e"}), 400, "name"),
    "newline in email": (api_request({**VALID_BODY, "email": "a@example.com\n"}), 400, "email"),
    "blank name": (api_request({**VALID_BODY, "name": "   "}), 400, "name"),
    "long name": (api_request({**VALID_BODY, "name": "A" * 81}), 400, "name"),
    "invalid email": (api_request({**VALID_BODY, "email": "ada@"}), 400, "email"),
    "reserved email domain": (api_request({**VALID_BODY, "email": "a@x.invalid"}), 400, "email"),
    "phone without plus": (api_request({**VALID_BODY, "phone": "020 7946 0958"}), 400, "phone"),
    "phone letters": (api_request({**VALID_BODY, "phone": "+44 call me"}), 400, "phone"),
    "phone too short": (api_request({**VALID_BODY, "phone": "+44 12"}), 400, "phone"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(aws, lambda_context, case, capsys):
    event, expected_status, expected_field = BAD_REQUESTS[case]
    status, body, response = call(event, lambda_context)
    rejection = ("Rejections", {"service": "onramp", "status": str(expected_status)})
    assert emitted_metrics(capsys.readouterr().out) == [rejection]
    assert (status, body["field"]) == (expected_status, expected_field)
    assert body["error"].startswith(f"{expected_field}: ")
    assert response["headers"]["Content-Type"] == "application/json"
    assert aws.users() == []
    assert aws.audit() == []


def test_other_routes_are_not_found(aws, lambda_context):
    event = api_request()
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/admin"
    event["routeKey"] = "POST /admin"
    assert register.handler(event, lambda_context)["statusCode"] == 404
    assert aws.users() == []


def test_logs_carry_no_pii(aws, lambda_context, log_output):
    call(api_request(), lambda_context)
    call(api_request(), lambda_context)  # the retry path logs too
    call(api_request({**VALID_BODY, "phone": "+44 12"}), lambda_context)
    logs = log_output.getvalue()
    assert "registered" in logs and "BxR7tgQ6oAMEJrw=" in logs
    for secret in ("Ada.Lovelace", "ada.lovelace", "Lovelace", "7946", "+44 12"):
        assert secret not in logs
