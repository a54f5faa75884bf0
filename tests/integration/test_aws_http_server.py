"""The embedded AWS's keep-alive server (``onramp.local.loopback``): HTTP framing on real
sockets, keep-alive reuse, and a stop that leaves no thread or connection behind."""

import http.client
import json
import socket
import threading

import boto3
import pytest

from onramp.local.aws.server import MotoServer
from onramp.local.loopback import KeepAliveServer

pytestmark = pytest.mark.integration


def _echo(environ, start_response):
    """Says what it saw: method, path, query, body, the headers it was given."""
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("the app's own bug")
    body = environ["wsgi.input"].read()
    seen = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "body": body.decode(),
        "length": environ["CONTENT_LENGTH"],
        "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_")},
        "peer": environ["REMOTE_PORT"],
    }
    payload = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [payload]


@pytest.fixture
def server():
    served = KeepAliveServer(_echo)
    served.start()
    yield served
    served.stop()


def _raw(port, data, reads=1):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(data)
        received = b""
        while received.count(b"HTTP/1.1 ") < reads or not received.endswith((b"}", b"error")):
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def test_one_connection_serves_many_requests(server):
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    ports = set()
    for index in range(20):
        client.request("POST", f"/a%20b?x={index}", body=b'{"n": 1}')
        response = client.getresponse()
        seen = json.loads(response.read())
        assert response.status == 200 and response.getheader("Connection") is None
        assert seen["path"] == "/a b" and seen["query"] == f"x={index}"
        assert seen["body"] == '{"n": 1}'
        ports.add(seen["peer"])
    assert len(ports) == 1  # the same TCP connection every time
    client.close()


def test_chunked_body_is_read_whole_and_the_next_request_frames(server):
    chunked = (
        b"PUT /obj HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-amz-checksum: abc\r\n\r\n"
    )
    plain = b"GET /next HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    answer = _raw(server.port, chunked + plain, reads=2).decode()
    first, second = answer.split("HTTP/1.1 200 OK")[1:]
    assert '"body": "hello world"' in first and '"length": "11"' in first
    assert '"path": "/next"' in second


def test_expect_continue_gets_100_before_the_body(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        head = b"PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n"
        conn.sendall(head + b"\r\n")
        assert conn.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.sendall(b"abc")
        assert b'"body": "abc"' in conn.recv(65536)


def test_connection_close_and_http_10_end_the_connection(server):
    for request in (
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
            conn.sendall(request)
            received = b""
            while chunk := conn.recv(65536):  # ends: the server closed its side
                received += chunk
        assert received.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in received


def test_head_has_no_body_and_the_connection_goes_on(server):
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    client.request("HEAD", "/")
    response = client.getresponse()
    assert response.status == 200 and response.read() == b""
    assert int(response.getheader("Content-Length")) > 0
    client.request("GET", "/after")
    assert json.loads(client.getresponse().read())["path"] == "/after"
    client.close()


def test_underscored_headers_never_pass_for_dashed_ones(server):
    request = (
        b"GET / HTTP/1.1\r\nHost: x\r\nX_Auth: forged\r\nX-Amz-Meta-my_key: kept\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    headers = json.loads(_raw(server.port, request).split(b"\r\n\r\n", 1)[1])["headers"]
    assert "HTTP_X_AUTH" not in headers
    assert headers["HTTP_X_AMZ_META_MY_KEY"] == "kept"


def test_an_app_error_is_a_500_and_the_connection_stays_usable(server, capsys):
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    client.request("GET", "/boom")
    response = client.getresponse()
    assert response.status == 500 and response.read() == b"internal error"
    client.request("GET", "/fine")
    assert client.getresponse().status == 200
    client.close()
    assert "the app's own bug" in capsys.readouterr().err


def test_a_malformed_request_closes_only_its_connection(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(b"NONSENSE\r\n\r\n")
        assert conn.recv(100) == b""  # closed, no answer
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    client.request("GET", "/")
    assert client.getresponse().status == 200
    client.close()


def test_stop_closes_idle_keep_alive_connections_and_joins_every_thread():
    before = set(threading.enumerate())
    server = KeepAliveServer(_echo)
    server.start()
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(3)]
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    client.request("GET", "/")
    client.getresponse().read()  # a keep-alive connection, now idle
    port = server.port
    server.stop()
    assert [t for t in threading.enumerate() if t not in before and t.is_alive()] == []
    for conn in idle:
        assert conn.recv(10) == b""
        conn.close()
    client.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_s3_metadata_with_underscores_round_trips_through_moto():
    """moto's own rule (``should_preserve_original_header_name``): S3 metadata names keep
    their underscores, as S3 keeps them (``x-amz-meta-*`` is user-defined)."""
    moto = MotoServer()
    url = moto.start()
    try:
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
        s3.create_bucket(Bucket="meta-names")
        s3.put_object(Bucket="meta-names", Key="k", Body=b"x" * 2_000_000, Metadata={"my_key": "v"})
        head = s3.head_object(Bucket="meta-names", Key="k")
        assert head["Metadata"] == {"my_key": "v"} and head["ContentLength"] == 2_000_000
    finally:
        moto.stop()
