"""The embedded AWS in its own process: moto's server, its traffic meter and stream retention.

The runtime (HTTP API, stream pumps, invoker, recorder) and the AWS it talks to are apart,
as they are on AWS: what the pipeline stores (rows, objects, pool users, emails) grows the AWS
process, never the runtime's, so each one's memory can be read on its own (the soak does).

Run as ``python -m onramp.local.aws.process <channel-fd> <account-json>`` by ``AwsProcess``
(the account profile: the SES limits it plays, ``onramp.local.aws.ses_account``). On the
inherited socket (``multiprocessing.connection`` framing, pickled, both ends ours):

- AWS process -> runtime: lists of messages, in the order they were made: ``("ready",
  endpoint_url)`` once serving; ``("call", AwsCall)`` for every metered request, queued
  before its response; ``("reply", id, ok, value)``. One sender thread (``_Outbox``) sends
  whatever has queued as one list, so a request never waits for the runtime to read (profiled
  at 40/s, request threads spent two thirds of their time queued on a shared send when each
  call was sent alone). Calls go out within ``SEND_PERIOD_S``: waking the sender for each one
  cost the AWS process a tenth of a PutItem's CPU. A reply, and with ``prompt_writes`` (the
  ``fast`` stream timing, whose pumps poll when a write is metered) a call that wrote items,
  wakes it at once.
- runtime -> AWS process: ``(id, request, args)``, answered in order. A reply therefore
  arrives after every call metered before the request: ``sync()`` relies on that.

The runtime shuts its sending side to stop the process, which then stops serving and exits.

Example::

    aws = AwsProcess(on_call=recorder.add_call)
    aws.start()                        # this process's SDK now points at it
    aws.sent_emails(); aws.stored_data()
    aws.stop()
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from onramp.local.aws.server import SdkEnvironment, internal_client
from onramp.local.aws.ses_account import AccountProfile
from onramp.local.aws.stream_retention import Needs
from onramp.local.aws.traffic import AwsCall

START_TIMEOUT_S = 60.0
REPLY_TIMEOUT_S = 120.0
STOP_GRACE_S = 10.0
NEEDS_REPORT_INTERVAL_S = 0.25
MAX_BATCH = 1000  # messages in one send
SEND_PERIOD_S = 0.01
"""Longest a metered call waits to be sent while calls keep coming (an idle sender is woken)."""


class AwsProcessError(RuntimeError):
    """The embedded AWS process did not start, or stopped answering."""


class AwsProcess:
    """Starts, talks to and stops the embedded AWS process; ``on_call`` gets every metered
    request (on a reader thread); ``on_exit`` is called (on that thread) the moment the
    process ends without ``stop()``: killed, crashed."""

    def __init__(
        self,
        on_call: Callable[[AwsCall], None],
        on_exit: Callable[[], None] | None = None,
        account: AccountProfile | None = None,
        prompt_writes: bool = False,
    ) -> None:
        self._on_call = on_call
        self._prompt_writes = prompt_writes
        self._on_exit = on_exit
        self._stopping = False
        self.account = account or AccountProfile()
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._channel: Connection | None = None
        self._reader: threading.Thread | None = None
        self._replies: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._exited = threading.Event()
        self._request_lock = threading.Lock()
        self._ids = itertools.count()
        self._endpoint_url = ""
        self._sdk = SdkEnvironment()
        self._stop_reporting = threading.Event()
        self._reporter: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> str:
        """Start the process, point this process's SDK at it, return its endpoint URL."""
        self._exited.clear()
        self._stopping = False
        self._stop_reporting.clear()
        self._replies = queue.Queue()  # no answer or EOF left from an earlier run
        parent_end, child_end = socket.socketpair()
        with child_end:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "onramp.local.aws.process",
                    str(child_end.fileno()),
                    json.dumps(self.account.to_dict()),
                    *(["--prompt-writes"] if self._prompt_writes else []),
                ],
                stdin=subprocess.DEVNULL,
                pass_fds=(child_end.fileno(),),
            )
        self._socket = parent_end
        self._channel = Connection(os.dup(parent_end.fileno()))
        if not self._channel.poll(START_TIMEOUT_S):
            self.stop()
            raise AwsProcessError(f"the embedded AWS did not start within {START_TIMEOUT_S:g} s")
        try:
            ((_ready, self._endpoint_url),) = _received(self._channel)
        except EOFError:
            code = self._process.wait()
            self.stop()
            raise AwsProcessError(f"the embedded AWS process exited (code {code})") from None
        self._reader = threading.Thread(target=self._read, name="onramp-aws-reader", daemon=True)
        self._reader.start()
        self._sdk.point_at(self._endpoint_url)
        return self._endpoint_url

    def stop(self) -> None:
        """Stop reporting, let the process finish its requests and exit, restore the SDK."""
        self._stopping = True
        self._stop_reporting.set()
        if self._reporter is not None:
            self._reporter.join()
            self._reporter = None
        if self._socket is not None:
            with contextlib.suppress(OSError):  # (it may be gone already)
                self._socket.shutdown(socket.SHUT_WR)  # EOF: the process stops serving
        if self._process is not None:
            try:
                self._process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._reader is not None:
            self._reader.join()
            self._reader = None
        for end in (self._channel, self._socket):
            if end is not None:
                end.close()
        self._channel = self._socket = None
        self._sdk.restore()

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``; valid after ``start()``."""
        if not self._endpoint_url:
            raise RuntimeError("the embedded AWS is not started")
        return self._endpoint_url

    @property
    def exited(self) -> bool:
        """True once the process has ended (or its channel closed)."""
        return self._exited.is_set()

    def exit_description(self) -> str:
        """How the process ended: ``"exit code 1"``, ``"killed by signal 9"``, or ``"running"``."""
        code = self._process.poll() if self._process is not None else None
        if code is None:
            return "running"
        return f"killed by signal {-code}" if code < 0 else f"exit code {code}"

    @property
    def pid(self) -> int:
        """The process id of the embedded AWS."""
        if self._process is None:
            raise RuntimeError("the embedded AWS is not started")
        return self._process.pid

    def internal_client(self, service: str) -> Any:
        """A boto3 client of the runtime itself: its requests are marked and not metered."""
        return internal_client(self.endpoint_url, service)

    # ---------------------------------------------------------------- requests
    def sync(self) -> None:
        """Return once every request metered so far has reached ``on_call``."""
        self._request("ping")

    def follow_stream_readers(self, readers: Sequence[Callable[[], Needs]]) -> None:
        """Report the readers' needs to stream retention now and every 0.25 s until stop."""
        self.report_stream_needs([reader() for reader in readers])

        def report() -> None:
            while not self._stop_reporting.wait(NEEDS_REPORT_INTERVAL_S):
                try:
                    self.report_stream_needs([reader() for reader in readers])
                except AwsProcessError:
                    return  # the process is gone; stop() says why

        self._reporter = threading.Thread(target=report, name="onramp-stream-needs", daemon=True)
        self._reporter.start()

    def report_stream_needs(self, needs: Sequence[Needs]) -> None:
        """Every stream reader's needs, at once (stream retention trims what all settled)."""
        self._request("report_stream_needs", [dict(n) for n in needs])

    def keep_stream_records(self, stream_arn: str, first: int, last: int) -> None:
        """Never trim that range of the stream (a dead-lettered batch)."""
        self._request("keep_stream_records", stream_arn, first, last)

    def age_stream_records(self, seconds: float) -> int:
        """Make every stream record ``seconds`` older (those past 24 h expire); how many did."""
        return int(self._request("age_stream_records", seconds))

    def stream_records_retained(self, stream_arn: str) -> int:
        """Records the stream still holds."""
        return int(self._request("stream_records_retained", stream_arn))

    def sent_emails(self) -> list[dict[str, Any]]:
        """The emails SES accepted: source, destinations, subject, body."""
        return list(self._request("sent_emails"))

    def sent_email_count(self) -> int:
        """How many emails SES accepted."""
        return int(self._request("sent_email_count"))

    def queued_messages(self, queue_names: Iterable[str]) -> list[str]:
        """The bodies of the messages in those SQS queues, left in place."""
        return list(self._request("queued_messages", list(queue_names)))

    def ses_refusals(self) -> dict[str, int]:
        """SES sends the account profile refused, by limit (empty with ``none``)."""
        return dict(self._request("ses_refusals"))

    def stored_data(self) -> dict[str, int]:
        """Bytes of stored data per store (``stored_data.stored_data_bytes``)."""
        return dict(self._request("stored_data"))

    def clear_stored_data(self) -> None:
        """Empty the stores (``stored_data.clear_stored_data``): rows, objects, users, mail."""
        self._request("clear_stored_data")

    def console_query(self, name: str, **arguments: Any) -> dict[str, Any]:
        """Ask ``console_queries.<name>`` (``users_page``, ``mailbox_page``) in the AWS process."""
        return dict(self._request("console_query", name, arguments))

    def _request(self, name: str, *args: Any) -> Any:
        with self._request_lock:
            if self._channel is None or self._exited.is_set():
                raise AwsProcessError("the embedded AWS process is not running")
            request_id = next(self._ids)
            try:
                self._channel.send((request_id, name, args))
            except OSError as exc:
                raise AwsProcessError(f"the embedded AWS process is gone ({exc})") from None
            try:
                reply = self._replies.get(timeout=REPLY_TIMEOUT_S)
            except queue.Empty:
                raise AwsProcessError(f"no answer to {name} in {REPLY_TIMEOUT_S:g} s") from None
        if reply[0] == "eof":
            raise AwsProcessError(f"the embedded AWS process exited while answering {name}")
        _, answered_id, ok, value = reply
        if answered_id != request_id:
            raise AwsProcessError(f"answer {answered_id} to request {request_id}")
        if not ok:
            raise AwsProcessError(f"{name} failed in the embedded AWS: {value}")
        return value

    def _read(self) -> None:
        assert self._channel is not None
        while True:
            try:
                messages = _received(self._channel)
            except (EOFError, OSError):
                self._exited.set()
                self._replies.put(("eof",))  # wakes a request waiting for its answer
                if not self._stopping and self._on_exit is not None:
                    self._on_exit()
                return
            for message in messages:
                if message[0] == "call":
                    self._on_call(message[1])
                else:
                    self._replies.put(message)


def _send(channel: Connection, messages: list[tuple[Any, ...]]) -> None:
    """One list of messages, pickled as plain pickle (``Connection.send`` builds a
    ``ForkingPickler`` per call, for reducers these messages never need)."""
    channel.send_bytes(pickle.dumps(messages, pickle.HIGHEST_PROTOCOL))


def _received(channel: Connection) -> list[tuple[Any, ...]]:
    """The next list of messages from the AWS process."""
    return list(pickle.loads(channel.recv_bytes()))


# -------------------------------------------------------------------- the AWS process
def serve(channel_fd: int, account: AccountProfile, prompt_writes: bool = False) -> None:
    """Serve moto with metering, the account's SES limits and stream retention; answer the
    runtime until EOF. ``prompt_writes``: a call that wrote items is sent at once."""
    from onramp.local.aws import console_queries
    from onramp.local.aws.moto_stores import queued_messages, sent_email_count, sent_emails
    from onramp.local.aws.server import BACKEND_LOCK, MotoServer
    from onramp.local.aws.ses_account import SesAccount
    from onramp.local.aws.stored_data import clear_stored_data, stored_data_bytes
    from onramp.local.aws.traffic import TrafficMeter

    for signum in (signal.SIGINT, signal.SIGTERM):  # the runtime's to handle: it stops us
        signal.signal(signum, signal.SIG_IGN)
    channel = Connection(channel_fd)
    outbox = _Outbox(channel)

    def metered(call: AwsCall) -> None:
        outbox.put(("call", call), now=prompt_writes and call.items_written > 0)

    meter = TrafficMeter(metered)
    ses = SesAccount(account)
    server = MotoServer(middleware=lambda app: meter.wrap(ses.wrap(app)))
    retention = server.stream_retention
    answers: dict[str, Callable[..., Any]] = {
        "ping": lambda: None,
        "report_stream_needs": retention.report,
        "keep_stream_records": retention.keep,
        "stream_records_retained": retention.retained,
        "age_stream_records": retention.age,
        "sent_emails": sent_emails,
        "sent_email_count": sent_email_count,
        "queued_messages": queued_messages,
        "stored_data": stored_data_bytes,
        "clear_stored_data": clear_stored_data,
        "ses_refusals": ses.refusals,
        "console_query": lambda name, arguments: console_queries.QUERIES[name](**arguments),
    }
    _send(channel, [("ready", server.start())])
    sender = threading.Thread(target=outbox.send_until_closed, name="onramp-aws-out")
    sender.start()
    try:
        while True:
            try:
                request_id, name, args = channel.recv()
            except EOFError:
                return
            try:
                with BACKEND_LOCK:
                    answer = answers[name](*args)
                outbox.put(("reply", request_id, True, answer), now=True)
            except Exception as exc:  # reported to the runtime, which raises it there
                outbox.put(("reply", request_id, False, f"{type(exc).__name__}: {exc}"), now=True)
    finally:
        server.stop()
        outbox.put(None, now=True)  # after every call the server metered
        sender.join()


class _Outbox:
    """Messages for the runtime, sent in order by one thread (``send_until_closed``) as lists:
    within ``SEND_PERIOD_S`` of being put, or at once with ``now`` (or when the sender was idle).
    ``None`` closes it once what came before is sent."""

    def __init__(self, channel: Connection) -> None:
        self._channel = channel
        self._messages: collections.deque[tuple[Any, ...] | None] = collections.deque()
        self._wake = threading.Event()
        self._idle = True

    def put(self, message: tuple[Any, ...] | None, now: bool = False) -> None:
        """Queue ``message`` (any thread)."""
        self._messages.append(message)
        if now or self._idle:
            self._wake.set()

    def send_until_closed(self) -> None:
        """The sender thread: send what has queued, every period while messages keep coming."""
        while True:
            self._wake.wait(None if self._idle else SEND_PERIOD_S)
            self._wake.clear()  # before taking: a message put after this wakes the next wait
            batch = self._take()
            if not batch:
                self._idle = True  # a put from now on wakes the wait
                if self._messages:  # one came between the take and the flag: go again
                    self._idle = False
                continue
            self._idle = False
            messages = [m for m in batch if m is not None]
            try:
                if messages:
                    _send(self._channel, messages)
            except OSError:
                return  # the runtime is gone: nobody to tell
            if len(messages) != len(batch):
                return

    def _take(self) -> list[tuple[Any, ...] | None]:
        batch: list[tuple[Any, ...] | None] = []
        with contextlib.suppress(IndexError):
            while len(batch) < MAX_BATCH:
                batch.append(self._messages.popleft())
        return batch


if __name__ == "__main__":
    serve(
        int(sys.argv[1]),
        AccountProfile(**json.loads(sys.argv[2])),
        prompt_writes="--prompt-writes" in sys.argv[3:],
    )
