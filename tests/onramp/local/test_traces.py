"""Each user's side of the invocations (metering/traces): who an event touched, the attempt
count per stream record, the answer for the user, and the bounds that keep a long run flat."""

import json

from onramp.local.metering import traces
from onramp.local.metering.traces import TraceStore
from onramp.local.runtime.invoker import Invocation


def stream_record(user_id: str, sequence: int) -> dict:
    return {
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": {"user_id": {"S": user_id}},
            "NewImage": {"user_id": {"S": user_id}, "status": {"S": "pending"}},
            "SequenceNumber": str(sequence),
        },
    }


def invocation(event, value=None, outcome="ok", log="", function="enrich", at=1.0) -> Invocation:
    return Invocation(
        function=function,
        request_id=f"req-{at}",
        started_at=at,
        outcome=outcome,
        value=value,
        error_type="" if outcome == "ok" else "RuntimeError",
        duration_ms=12.5,
        billed_ms=13,
        init_ms=0.0,
        cold_start=False,
        memory_mb=256,
        batch_size=len(event.get("Records", [])),
        log_bytes=len(log),
        event=event,
        log=log,
    )


def test_a_batch_touches_each_of_its_users_with_its_own_record_and_log_lines():
    store = TraceStore()
    log = '{"message": "enriched", "user_id": "u1"}\n{"message": "enriched", "user_id": "u2"}\n'
    event = {"Records": [stream_record("u1", 10), stream_record("u2", 11)]}
    store.add(invocation(event, {"batchItemFailures": [{"itemIdentifier": "11"}]}, log=log))
    (one,) = store.touches("u1")
    (two,) = store.touches("u2")
    assert one.record == stream_record("u1", 10) and one.sequence_number == "10"
    assert one.log_lines == ('{"message": "enriched", "user_id": "u1"}',)
    assert (one.result, two.result) == ("ok", "batch item failure: retried from this record")
    assert one.batch_size == 2 and one.attempt == 1


def test_a_redelivered_record_counts_as_the_next_attempt():
    store = TraceStore()
    event = {"Records": [stream_record("u1", 10)]}
    for at in (1.0, 2.0, 3.0):
        store.add(invocation(event, outcome="error", at=at))
    store.add(invocation({"Records": [stream_record("u1", 20)]}, function="provision", at=4.0))
    assert [(t.function, t.attempt) for t in store.touches("u1")] == [
        ("enrich", 1),
        ("enrich", 2),
        ("enrich", 3),
        ("provision", 1),
    ]
    assert store.touches("u1")[0].result == "function error: the whole batch is retried"


def test_a_registration_touches_the_user_its_reply_names():
    event = {"version": "2.0", "body": json.dumps({"email": "a@example.com"})}
    store = TraceStore()
    reply = {"statusCode": 202, "body": json.dumps({"user_id": "u9", "status": "pending"})}
    store.add(invocation(event, reply, function="register"))
    store.add(invocation(event, {"statusCode": 400, "body": '{"error": "x"}'}, function="register"))
    (touch,) = store.touches("u9")
    assert (touch.function, touch.result, touch.record) == ("register", "202", event)
    assert len(store) == 1  # a rejected request names no user


def test_memory_keeps_the_most_recent_users_only():
    store = TraceStore(max_users=3)
    for n in range(5):
        store.add(invocation({"Records": [stream_record(f"u{n}", n)]}, at=float(n)))
    assert len(store) == 3
    assert store.touches("u0") == [] and store.touches("u1") == []
    assert [t.sequence_number for t in store.touches("u4")] == ["4"]


def test_disk_keeps_two_segments_and_forgets_the_users_of_the_dropped_one():
    store = TraceStore(segment_bytes=2_000)
    for n in range(40):
        store.add(invocation({"Records": [stream_record(f"u{n}", n)]}, at=float(n)))
    assert len(store._segments) <= traces.SEGMENTS
    assert store.touches("u0") == []  # its segment was dropped
    assert store.touches("u39")[0].sequence_number == "39"
    assert len(store) < 40


def test_an_oversized_record_and_log_line_are_cut_and_marked():
    huge = stream_record("u1", 1)
    huge["dynamodb"]["NewImage"]["blob"] = {"S": "x" * (traces.MAX_RECORD_BYTES * 2)}
    line = '{"user_id": "u1", "m": "' + "y" * traces.MAX_LOG_LINE_BYTES + '"}'
    store = TraceStore()
    store.add(invocation({"Records": [huge]}, log=line))
    (touch,) = store.touches("u1")
    assert (
        touch.record["truncated"] is True and len(touch.record["start"]) == traces.MAX_RECORD_BYTES
    )
    assert touch.log_lines[0].endswith(f"({len(line)} chars)")
