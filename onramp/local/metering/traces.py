"""Each user's side of every invocation that touched it, kept on disk within a bound.

An invocation carries many users (a stream batch) or one (a registration). For each user it
touched, a ``Touch`` keeps the function, the attempt (the how-many-th delivery of that same
stream record to that function), start, duration, outcome, the user's own record of the event
(the stream record, or the API event) and the handler's log lines that name the user. The
console's timeline and ``onramp status --user`` read them.

Bounded for a long run: touches are pickled into segment files (unlinked temporary files,
``segment_bytes`` each, at most ``SEGMENTS`` of them: the oldest is dropped when a new one
starts), and the in-memory index keeps at most ``max_users`` users (least recently touched
dropped) and ``MAX_TOUCHES_PER_USER`` touches a user. A record or a log line over its cap is
cut and marked. So memory stays under about ``max_users`` x 1 KB (20 MB) and disk under
``SEGMENTS x segment_bytes`` however long the run; older users' traces are forgotten.

Example::

    traces = TraceStore()
    traces.add(invocation)               # an Invocation with its event and log text
    [t.function for t in traces.touches("u-123")]   # ["register", "enrich", "provision"]
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import IO, Any

from onramp.local.runtime.invoker import Invocation

SEGMENTS = 2
SEGMENT_BYTES = 64 * 1024 * 1024
MAX_USERS = 20_000
MAX_TOUCHES_PER_USER = 64
MAX_RECORD_BYTES = 16 * 1024
MAX_LOG_LINES = 40
MAX_LOG_LINE_BYTES = 2048


@dataclass(frozen=True)
class Touch:
    """One invocation as one user saw it."""

    function: str
    request_id: str
    started_at: float
    duration_ms: float
    outcome: str  # "ok" | "error" | "timeout"
    error_type: str
    attempt: int
    batch_size: int
    cold_start: bool
    init_ms: float  # the INIT phase a cold start waited for before the handler ran
    sequence_number: str  # the stream record's ("" for an API event)
    record: Any  # the user's stream record or the API event, as the function received it
    log_lines: tuple[str, ...]
    result: str  # what the function answered for this user ("202", "batch item failure"...)


@dataclass(frozen=True, slots=True)
class _Entry:
    segment: int
    offset: int
    length: int
    function: str
    sequence_number: str


class TraceStore:
    """Thread-safe; see the module docstring for the bounds."""

    def __init__(self, max_users: int = MAX_USERS, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.max_users = max_users
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._index: OrderedDict[str, list[_Entry]] = OrderedDict()
        self._segments: dict[int, IO[bytes]] = {}
        self._current = -1
        self._written = 0  # bytes in the current segment
        self._new_segment()

    def add(self, invocation: Invocation) -> None:
        """Record a touch for every user ``invocation`` carried (none: nothing recorded)."""
        log_lines = invocation.log.splitlines()
        for user_id, sequence, record, result in _users_of(invocation):
            lines = tuple(_cut(line, MAX_LOG_LINE_BYTES) for line in log_lines if user_id in line)[
                :MAX_LOG_LINES
            ]
            with self._lock:
                attempt = 1 + sum(
                    1
                    for e in self._index.get(user_id, ())
                    if e.function == invocation.function and e.sequence_number == sequence
                )
                touch = Touch(
                    function=invocation.function,
                    request_id=invocation.request_id,
                    started_at=invocation.started_at,
                    duration_ms=round(invocation.duration_ms, 3),
                    outcome=invocation.outcome,
                    error_type=invocation.error_type,
                    attempt=attempt,
                    batch_size=invocation.batch_size,
                    cold_start=invocation.cold_start,
                    init_ms=round(invocation.init_ms, 3),
                    sequence_number=sequence,
                    record=record,
                    log_lines=lines,
                    result=result,
                )
                self._store(user_id, touch)

    def touches(self, user_id: str) -> list[Touch]:
        """The user's touches, oldest first (empty for a user never seen or forgotten)."""
        with self._lock:
            entries = list(self._index.get(user_id, ()))
            files = dict(self._segments)
            for segment in files.values():
                segment.flush()
        touches = [
            pickle.loads(os.pread(files[e.segment].fileno(), e.length, e.offset))
            for e in entries
            if e.segment in files
        ]
        return sorted(touches, key=lambda t: t.started_at)

    def __len__(self) -> int:
        """Users with a trace."""
        with self._lock:
            return len(self._index)

    def _store(self, user_id: str, touch: Touch) -> None:
        data = pickle.dumps(touch, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > MAX_RECORD_BYTES:  # rare: only then is the record measured and cut
            touch = dataclasses.replace(touch, record=_capped(touch.record))
            data = pickle.dumps(touch, protocol=pickle.HIGHEST_PROTOCOL)
        segment = self._segments[self._current]
        offset = self._written
        segment.write(data)
        self._written += len(data)
        entries = self._index.setdefault(user_id, [])
        entries.append(
            _Entry(self._current, offset, len(data), touch.function, touch.sequence_number)
        )
        del entries[:-MAX_TOUCHES_PER_USER]
        self._index.move_to_end(user_id)
        while len(self._index) > self.max_users:
            self._index.popitem(last=False)
        if offset + len(data) >= self.segment_bytes:
            self._new_segment()

    def _new_segment(self) -> None:
        self._current += 1
        self._written = 0
        # Owned for the store's life (unlinked: the space is freed when it is closed).
        self._segments[self._current] = tempfile.TemporaryFile(prefix="onramp-traces-")  # noqa: SIM115
        for old in [n for n in self._segments if n <= self._current - SEGMENTS]:
            self._segments.pop(old).close()
            for user_id in list(self._index):
                kept = [e for e in self._index[user_id] if e.segment != old]
                if kept:
                    self._index[user_id] = kept
                else:
                    del self._index[user_id]


def _users_of(invocation: Invocation) -> list[tuple[str, str, Any, str]]:
    """(user id, sequence number, the user's record, the answer for it) for each user."""
    event = invocation.event
    if not isinstance(event, dict):
        return []
    records = event.get("Records")
    if isinstance(records, list):
        failed = _failed_sequences(invocation)
        touched = []
        for record in records:
            dynamodb = record.get("dynamodb", {}) if isinstance(record, dict) else {}
            user_id = dynamodb.get("Keys", {}).get("user_id", {}).get("S")
            if not isinstance(user_id, str):
                continue
            sequence = str(dynamodb.get("SequenceNumber", ""))
            if invocation.outcome != "ok":
                result = f"function {invocation.outcome}: the whole batch is retried"
            elif sequence in failed:
                result = "batch item failure: retried from this record"
            else:
                result = "ok"
            touched.append((user_id, sequence, record, result))
        return touched
    value = invocation.value if isinstance(invocation.value, dict) else {}
    try:
        body = json.loads(value.get("body") or "null")
    except (TypeError, ValueError):
        body = None
    user_id = body.get("user_id") if isinstance(body, dict) else None
    if not isinstance(user_id, str):
        return []
    return [(user_id, "", event, str(value.get("statusCode", "")))]


def _failed_sequences(invocation: Invocation) -> set[str]:
    value = invocation.value if isinstance(invocation.value, dict) else {}
    failures = value.get("batchItemFailures") or []
    return {str(f.get("itemIdentifier")) for f in failures if isinstance(f, dict)}


def _capped(record: Any) -> Any:
    text = json.dumps(record, default=str)
    if len(text) <= MAX_RECORD_BYTES:
        return record
    return {"truncated": True, "bytes": len(text), "start": text[:MAX_RECORD_BYTES]}


def _cut(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[:limit] + f" ... ({len(line)} chars)"
