"""Sign-ups per client on the embedded stack: the template's limit, counted per source.

The local HTTP API passes the TCP peer's address as ``requestContext.http.sourceIp`` (payload
2.0: "the source IP address of the TCP connection making the request to API Gateway"), so
every local client is one source, loopback; the register function counts it in the
template's RegisterLimitsTable and answers 429 with a JSON body and ``Retry-After`` over the
limit.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from onramp.local.aws.server import aws_client
from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration
LIMIT = 3


def post(url: str, index: int) -> tuple[int, dict, dict]:
    body = {"email": f"limit{index}@example.com", "name": "Ada", "phone": "+442079460958"}
    request = urllib.request.Request(
        url + "/register",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_over_the_limit_a_source_gets_429_with_a_json_body() -> None:
    with EmbeddedStack(parameters={"RegisterLimitPerSource": str(LIMIT)}) as stack:
        answers = [post(stack.api_url, index) for index in range(LIMIT + 2)]
        assert [status for status, _, _ in answers] == [202] * LIMIT + [429, 429]
        _, body, headers = answers[-1]
        assert body["field"] == "source" and "too many registrations" in body["error"]
        assert headers["Content-Type"] == "application/json"
        assert 1 <= int(headers["Retry-After"]) <= 3600
        assert stack.wait_until_drained(30)
        assert len(stack.users()) == LIMIT  # nothing written for a refused request
        dynamodb = aws_client(stack.endpoint_url, "dynamodb")
        table = stack.resources.table_names["RegisterLimitsTable"]
        [counter] = dynamodb.scan(TableName=table)["Items"]
        assert counter["source"]["S"].startswith("127.0.0.1#")  # loopback: one source
        assert counter["requests"]["N"] == str(LIMIT)  # the refused ones added nothing
