"""The stream batch wrapper: users side by side, one user's records in order, per-record EMF."""

import threading
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from onboarding.handlers.stream import partial_batch_handler
from onboarding_events import stream_event, stream_record

from onramp.local.metering.emf import extract

USERS = 5


def user_records(user: str, count: int, first_sequence: int) -> list[dict[str, Any]]:
    image = {"user_id": user, "status": "pending"}
    return [stream_record(image, sequence=first_sequence + i) for i in range(count)]


def test_users_run_side_by_side_and_each_users_records_in_order(lambda_context) -> None:
    """Each user's first record waits at a barrier for every other user's: it is passed only if
    all users run at once. A user's records must never overlap and must keep stream order."""
    barrier = threading.Barrier(USERS, timeout=10)
    seen: dict[str, list[str]] = {}
    active: dict[str, int] = {}
    lock = threading.Lock()

    def record_handler(record: DynamoDBRecord) -> None:
        user = record.dynamodb.new_image["user_id"]
        with lock:
            active[user] = active.get(user, 0) + 1
            assert active[user] == 1, "two records of one user at once"
            first = user not in seen
            seen.setdefault(user, []).append(record.dynamodb.sequence_number)
        if first:
            barrier.wait()
        with lock:
            active[user] -= 1

    batch = [r for u in range(USERS) for r in user_records(f"user-{u}", 2, u * 10)]
    handler = partial_batch_handler(record_handler)
    assert handler(stream_event(*batch), lambda_context) == {"batchItemFailures": []}
    for u in range(USERS):
        expected = [r["dynamodb"]["SequenceNumber"] for r in user_records(f"user-{u}", 2, u * 10)]
        assert seen[f"user-{u}"] == expected


def test_every_batch_emits_record_times_and_its_failed_records(lambda_context, capsys) -> None:
    def record_handler(record: DynamoDBRecord) -> None:
        if record.dynamodb.new_image["user_id"] == "user-bad":
            raise ValueError("boom")

    batch = [*user_records("user-a", 1, 1), *user_records("user-bad", 1, 2)]
    batch += user_records("user-b", 1, 3)
    capsys.readouterr()
    response = partial_batch_handler(record_handler)(stream_event(*batch), lambda_context)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": batch[1]["dynamodb"]["SequenceNumber"]}]
    }
    series = {m.name: m for m in extract(capsys.readouterr().out)}
    times = series["RecordProcessingTime"]
    assert len(times.values) == 3 and all(v >= 0 for v in times.values)
    assert series["RecordFailures"].values == (1.0,)
    assert dict(times.dimensions).keys() == {"service", "FunctionName"}
