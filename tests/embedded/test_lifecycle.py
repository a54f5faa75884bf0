"""Start and stop leave no thread and no listening port behind."""

import socket
import threading
import urllib.parse

import pytest

from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration


def _port(url):
    return urllib.parse.urlsplit(url).port


def test_stop_leaves_no_thread_or_port(fixture_template):
    before = set(threading.enumerate())
    stack = EmbeddedStack(fixture_template)
    stack.start()
    ports = [_port(stack.api_url), _port(stack.endpoint_url)]
    for port in ports:  # open keep-alive connections that stop() must close
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert len(threading.enumerate()) > len(before)
    stack.stop()
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leftover == []
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
