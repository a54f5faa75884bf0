"""moto's replies sent without Flask's ``Response`` (``server._plain_reply``): the same status
line, headers and body Response sends, or Response itself where its rules do more."""

import pytest
from flask import Response

from onramp.local.aws.server import _plain_reply

pytestmark = pytest.mark.integration

JSON = {
    "server": "amazon.com",
    "x-amzn-requestid": "R",
    "Content-Type": "application/x-amz-json-1.0",
}
REPLIES = [
    (200, {**JSON, "status": "200"}, '{"a": "é"}'),
    (400, {"server": "amazon.com", "status": "400"}, '{"__type": "com.amazon.coral#X"}'),
    ("200", {"server": "amazon.com"}, b"{}"),
    (201, {"content-type": "text/xml"}, "<ok/>"),
    (599, {}, ""),
]  # fmt: skip
RESPONSE_ONLY = [
    (302, {"Location": "/elsewhere"}, ""),
    (200, {"Content-Location": "/x"}, ""),
    (200, {"Content-Length": "3"}, "abc"),
    (204, {}, ""),
    (304, {}, ""),
    (200, {"x-count": 3}, "{}"),
    (200, {"x-bad": "a\nb"}, "{}"),
    (200, {}, iter([b"streamed"])),
]


def _flask(status, headers, content):
    sent = {}

    def start_response(line, pairs, exc_info=None):
        sent["line"], sent["pairs"] = line, pairs

    environ = {"REQUEST_METHOD": "POST", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "1",
               "wsgi.url_scheme": "http"}  # fmt: skip
    body = b"".join(
        Response(response=content, status=status, headers=headers)(environ, start_response)
    )
    return sent["line"], sent["pairs"], body


@pytest.mark.parametrize(("status", "headers", "content"), REPLIES)
def test_a_plain_reply_is_what_response_sends(status, headers, content):
    assert _plain_reply(status, dict(headers), content) == _flask(status, dict(headers), content)


@pytest.mark.parametrize(("status", "headers", "content"), RESPONSE_ONLY)
def test_what_response_rewrites_is_left_to_response(status, headers, content):
    assert _plain_reply(status, headers, content) is None
