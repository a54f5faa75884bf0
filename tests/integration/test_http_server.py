"""The local API's server survives what a public endpoint meets: floods, slow and bad clients.

Each test reproduces one failure of the hand-made server it replaced (docs/local-api.md):
resets under 50 parallel connections, chunked bodies run as a second request, tracebacks
for a bad Content-Length, threads held by slow clients, bodies read whole before the 413.
"""

import concurrent.futures
import json
import socket
import threading
import time
import urllib.parse

import pytest

from onramp.local.api.http_server import ServerLimits
from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration

ECHO = b"POST /echo/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


def _address(url):
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port


def _exchange(url, raw, timeout=10.0):
    """Send raw bytes, read until the server closes or ``timeout``; return what came back."""
    with socket.create_connection(_address(url), timeout=timeout) as connection:
        connection.sendall(raw)
        chunks = []
        try:
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def _status_and_json(response):
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def _post_echo(url, body=b"{}", timeout=10.0):
    raw = ECHO + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
    return _status_and_json(_exchange(url, raw, timeout))


def _echo_invocations(stack):
    return stack.recorder.counters()["invocations"].get("echo", 0)


def test_200_parallel_connections_are_all_answered(fixture_stack):
    """Before: a listen backlog of 5, 20 of 50 parallel POSTs reset (ECONNRESET)."""
    start = threading.Barrier(200)

    def one(_):
        start.wait()
        return _post_echo(fixture_stack.api_url, timeout=60)[0]

    with concurrent.futures.ThreadPoolExecutor(200) as pool:
        statuses = list(pool.map(one, range(200)))
    assert statuses == [200] * 200


def test_a_chunked_body_is_411_and_never_runs_as_a_second_request(fixture_stack):
    """Before: the chunked body was ignored and parsed as the next request (smuggling)."""
    smuggled = b"POST /echo/smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}"
    chunk = b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
    before = _echo_invocations(fixture_stack)
    response = _exchange(
        fixture_stack.api_url, ECHO + b"Transfer-Encoding: chunked\r\n\r\n" + chunk + smuggled
    )
    assert response.count(b"HTTP/1.1 ") == 1  # one reply, then the connection is closed
    status, body = _status_and_json(response)
    assert status == 411 and "chunked" in body["message"]
    assert _echo_invocations(fixture_stack) == before


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1e3", b"5, 6"])
def test_a_bad_content_length_is_400_json(fixture_stack, length):
    """Before: ``abc`` raised a traceback and no reply; ``-1`` hung the thread."""
    started = time.monotonic()
    response = _exchange(fixture_stack.api_url, ECHO + b"Content-Length: " + length + b"\r\n\r\n")
    status, body = _status_and_json(response)
    assert status == 400 and "Content-Length" in body["message"]
    assert time.monotonic() - started < 5


def test_a_body_over_lambdas_6_mb_is_413_request_too_long(fixture_stack):
    """API Gateway passes up to 10 MB; Lambda refuses a synchronous event over 6 MB."""
    body = b'{"x": "' + b"a" * (6 * 1024 * 1024) + b'"}'
    assert _post_echo(fixture_stack.api_url, body, timeout=60) == (
        413,
        {"message": "Request Too Long"},
    )


def test_a_binary_body_whose_base64_event_is_over_6_mb_is_413(fixture_stack):
    """Lambda's limit is on the event: 5 MB of PNG is 6.7 MB once base64-encoded in it."""
    body = b"\x89PNG" + b"\x00" * (5 * 1024 * 1024)
    raw = (
        b"POST /echo/png HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    ) + body
    status, answer = _status_and_json(_exchange(fixture_stack.api_url, raw, timeout=60))
    assert (status, answer) == (413, {"message": "Request Too Long"})


def _rss_bytes():
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def test_ten_concurrent_9_mb_bodies_do_not_grow_the_runtime(fixture_stack):
    """Before: the bodies were read into memory whole (10 x 10 MB doubled RSS) before the 413.
    Now a body is spooled to a temporary file while it arrives and a body over 6 MB is never
    read into memory; declared over 10 MB, it is refused before it is sent."""
    body = b"a" * (9 * 1024 * 1024)  # one buffer, sent by every client: no copy per client
    head = ECHO + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)

    def post(_):
        with socket.create_connection(_address(fixture_stack.api_url), timeout=60) as connection:
            connection.sendall(head)
            connection.sendall(body)
            return connection.recv(65536).split(b" ", 2)[1]

    baseline = _rss_bytes()
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(post, range(10)))
    assert statuses == [b"413"] * 10
    assert _rss_bytes() - baseline < 40 * 1024 * 1024
    unsent = _exchange(fixture_stack.api_url, ECHO + b"Content-Length: 10485761\r\n\r\n")
    assert _status_and_json(unsent) == (413, {"message": "Request Entity Too Large"})


def test_a_client_that_leaves_early_prints_no_traceback(fixture_stack, capfd):
    """Before: every early disconnect printed a BrokenPipe traceback (579 in one run)."""
    for _ in range(20):
        with socket.create_connection(_address(fixture_stack.api_url)) as connection:
            connection.sendall(ECHO + b"Content-Length: 2\r\n\r\n{}")
    assert _post_echo(fixture_stack.api_url)[0] == 200
    time.sleep(0.5)
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "BrokenPipe" not in captured.err


@pytest.fixture(scope="module")
def strict_stack(record_dir, fixture_template):
    """The fixture template with short deadlines, to watch them fire."""
    limits = ServerLimits(request_timeout_s=2, idle_timeout_s=2)
    parameters = {"RecordDir": str(record_dir)}
    with EmbeddedStack(fixture_template, parameters=parameters, http_limits=limits) as stack:
        yield stack


def test_slow_clients_are_cut_off_and_never_starve_others(strict_stack):
    """Before: a client trickling its headers held a thread forever (slowloris)."""
    slow = [socket.create_connection(_address(strict_stack.api_url)) for _ in range(100)]
    try:
        for connection in slow:
            connection.sendall(b"POST /echo/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        for _ in range(5):
            assert _post_echo(strict_stack.api_url, timeout=5)[0] == 200
        assert time.monotonic() - started < 5
        still_open = list(slow)
        deadline = time.monotonic() + 8  # request_timeout_s=2, checked every second
        while still_open and time.monotonic() < deadline:
            time.sleep(0.5)
            trickling = []
            for connection in still_open:
                try:
                    connection.sendall(b"X-Slow: 1\r\n")  # a header line a while, never the end
                except OSError:  # closed by the server
                    continue
                trickling.append(connection)
            still_open = trickling
        assert still_open == []
    finally:
        for connection in slow:
            connection.close()


def _is_closed(connection):
    connection.settimeout(3)
    try:
        return connection.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_an_idle_flood_does_not_starve_others_and_is_closed(strict_stack):
    """Before: each idle connection held one of the server's threads."""
    idle = [socket.create_connection(_address(strict_stack.api_url)) for _ in range(300)]
    try:
        started = time.monotonic()
        assert _post_echo(strict_stack.api_url, timeout=5)[0] == 200
        assert time.monotonic() - started < 3
        time.sleep(3.5)  # idle_timeout_s=2, checked every second
        assert all(_is_closed(connection) for connection in idle)
    finally:
        for connection in idle:
            connection.close()
