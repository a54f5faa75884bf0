"""Start and stop leave no thread, no worker or AWS process and no listening port behind."""

import socket
import threading
import urllib.parse
import urllib.request

import psutil
import pytest

from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration


def _port(url):
    return urllib.parse.urlsplit(url).port


def test_stop_leaves_no_thread_process_or_port(fixture_template, tmp_path):
    before = set(threading.enumerate())
    me = psutil.Process()
    children_before = set(me.children(recursive=True))
    stack = EmbeddedStack(fixture_template, parameters={"RecordDir": str(tmp_path)})
    stack.start()
    ports = [_port(stack.api_url), _port(stack.endpoint_url)]
    request = urllib.request.Request(stack.api_url + "/echo/x", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    for port in ports:  # open keep-alive connections that stop() must close
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert len(threading.enumerate()) > len(before)
    workers = set(me.children(recursive=True)) - children_before
    pids = {pid for runtime in stack.runtimes.values() for pid in runtime.worker_pids}
    assert len(pids) == len(stack.function_specs)
    assert {p.pid for p in workers} == {*pids, stack.aws_pid}  # handler workers, the AWS
    stack.stop()
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leftover == []
    assert set(me.children(recursive=True)) - children_before == set()
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
