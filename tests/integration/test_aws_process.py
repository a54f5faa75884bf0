"""The embedded AWS's own process: metered calls reach the runtime in order, requests are
answered, and a process that died is reported, not waited for."""

import os
import signal
import socket
import threading
import time
from multiprocessing.connection import Connection

import boto3
import psutil
import pytest

from onramp.local.aws import process as process_module
from onramp.local.aws.process import (
    SEND_PERIOD_S,
    AwsProcess,
    AwsProcessError,
    _Outbox,
    _received,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def aws():
    calls = []
    process = AwsProcess(on_call=calls.append)
    process.start()
    process.calls = calls
    try:
        yield process
    finally:
        process.stop()


def test_every_metered_call_has_reached_the_runtime_after_sync(aws):
    client = boto3.client("dynamodb", endpoint_url=aws.endpoint_url)
    for _ in range(20):
        client.list_tables()
    aws.sync()
    assert [c.operation for c in aws.calls] == ["ListTables"] * 20
    assert all(c.service == "dynamodb" and c.status == 200 for c in aws.calls)


def test_the_runtimes_own_requests_are_not_metered(aws):
    aws.internal_client("sqs").create_queue(QueueName="dlq")
    aws.sync()
    assert aws.calls == []
    assert aws.queued_messages(["dlq"]) == []


def test_stores_are_read_in_the_aws_process(aws):
    ses = boto3.client("ses", endpoint_url=aws.endpoint_url)
    ses.verify_email_identity(EmailAddress="welcome@example.com")
    ses.send_email(
        Source="welcome@example.com",
        Destination={"ToAddresses": ["ada@example.com"]},
        Message={"Subject": {"Data": "Welcome"}, "Body": {"Text": {"Data": "Hello"}}},
    )
    assert aws.sent_email_count() == 1
    (email,) = aws.sent_emails()
    assert email["to"] == ["ada@example.com"] and email["subject"] == "Welcome"
    assert aws.stored_data()["ses messages"] > 0


def test_a_failed_request_is_raised_in_the_runtime(aws):
    with pytest.raises(AwsProcessError, match=r"queued_messages failed.*QueueDoesNotExist"):
        aws.queued_messages(["no-such-queue"])
    aws.sync()  # still answering


def test_a_dead_aws_process_is_reported_and_stop_still_cleans_up():
    process = AwsProcess(on_call=lambda call: None)
    process.start()
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    assert endpoint == process.endpoint_url
    pid = process.pid
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(AwsProcessError, match=r"exited|gone|not running"):
        process.sync()
    process.stop()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert os.environ.get("AWS_ENDPOINT_URL") != endpoint


def test_a_stopped_aws_process_can_be_started_again():
    process = AwsProcess(on_call=lambda call: None)
    process.start()
    os.kill(process.pid, signal.SIGKILL)
    process.stop()
    process.start()
    try:
        process.sync()
        assert process.sent_email_count() == 0
    finally:
        process.stop()


@pytest.fixture
def outbox():
    """An outbox sending on one end of a socket pair, read at the other."""
    sending, receiving = socket.socketpair()
    box = _Outbox(Connection(os.dup(sending.fileno())))
    sender = threading.Thread(target=box.send_until_closed)
    sender.start()
    reader = Connection(os.dup(receiving.fileno()))
    yield box, reader
    box.put(None, now=True)
    sender.join(timeout=5)
    sending.close()
    receiving.close()


def _read(reader, timeout):
    return _received(reader) if reader.poll(timeout) else None


def test_messages_keep_their_order_and_are_sent_within_the_period(outbox):
    box, reader = outbox
    box.put(("call", 0))  # an idle sender is woken
    assert _read(reader, 1) == [("call", 0)]
    time.sleep(SEND_PERIOD_S * 3)  # idle again
    started = time.monotonic()
    for index in range(1, 50):
        box.put(("call", index))
    box.put(("reply", 1, True, None), now=True)
    received = []
    while len(received) < 50:
        received += _read(reader, 1)
    assert received == [("call", i) for i in range(1, 50)] + [("reply", 1, True, None)]
    assert time.monotonic() - started < 1


def test_a_busy_sender_batches_calls_and_sends_a_prompt_one_at_once(outbox, monkeypatch):
    monkeypatch.setattr(process_module, "SEND_PERIOD_S", 2.0)  # a period no stall outlasts
    box, reader = outbox
    box.put(("call", "wakes it"))
    assert _read(reader, 1) == [("call", "wakes it")]
    box.put(("call", "waits"))  # the sender is in its period now: not woken
    assert _read(reader, 0.2) is None
    box.put(("call", "written"), now=True)
    assert _read(reader, 1) == [("call", "waits"), ("call", "written")]
    box.put(("call", "later"))
    assert _read(reader, 5) == [("call", "later")]  # within the period, with nothing after it


def test_closing_sends_what_came_before(outbox):
    box, reader = outbox
    box.put(("call", "last"))
    box.put(None, now=True)
    assert _read(reader, 1) == [("call", "last")]
    assert _read(reader, SEND_PERIOD_S * 3) is None
