"""Stream retention: records every reader has settled are freed, sequence numbers stay, dead-
lettered ranges stay readable, iterators do not pile up."""

import pytest
from moto.dynamodbstreams.models import dynamodbstreams_backends
from moto_tables import create_table

from onramp.local.aws.server import ACCOUNT_ID, REGION, MotoServer
from onramp.local.aws.stream_retention import ITERATOR_EXPIRY_S, StreamRetention

pytestmark = pytest.mark.integration

TABLE = "users"


@pytest.fixture
def server():
    """moto's server with an empty streamed table (records are added per test)."""
    server = MotoServer()
    server.start()
    try:
        create_table(server, TABLE)
        yield server
    finally:
        server.stop()


class Stream:
    """The table's only shard, read through the server (and so through its retention)."""

    def __init__(self, server: MotoServer) -> None:
        self.dynamodb = server.internal_client("dynamodb")
        self.streams = server.internal_client("dynamodbstreams")
        self.arn = self.streams.list_streams(TableName=TABLE)["Streams"][0]["StreamArn"]
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        self.shard_id = shards[0]["ShardId"]

    def write(self, count: int, first: int = 0) -> None:
        for n in range(first, first + count):
            self.dynamodb.put_item(TableName=TABLE, Item={"id": {"S": f"u-{n}"}})

    def iterator(self, kind: str = "TRIM_HORIZON", sequence: int | None = None) -> str:
        extra = {"SequenceNumber": str(sequence)} if sequence is not None else {}
        return self.streams.get_shard_iterator(
            StreamArn=self.arn, ShardId=self.shard_id, ShardIteratorType=kind, **extra
        )["ShardIterator"]

    def read(self, iterator: str, limit: int = 1000) -> tuple[list[int], str]:
        response = self.streams.get_records(ShardIterator=iterator, Limit=limit)
        sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in response["Records"]]
        return sequences, response["NextShardIterator"]


def _read_all(stream: Stream) -> list[int]:
    return stream.read(stream.iterator())[0]


def test_nothing_is_trimmed_before_the_readers_report(server):
    stream = Stream(server)
    stream.write(5)
    _read_all(stream)
    assert len(_read_all(stream)) == 5
    assert server.stream_retention.retained(stream.arn) == 5


def test_settled_records_are_trimmed_and_later_sequence_numbers_are_unchanged(server):
    stream = Stream(server)
    stream.write(6)
    sequences = _read_all(stream)
    server.stream_retention.report([{(TABLE, stream.shard_id): sequences[0]}])
    assert server.stream_retention.retained(stream.arn) == 6
    server.stream_retention.report([{(TABLE, stream.shard_id): sequences[4]}])  # 4 settled
    assert server.stream_retention.retained(stream.arn) == 2
    assert _read_all(stream) == sequences[4:]  # TRIM_HORIZON: the oldest untrimmed record
    stream.write(1, first=6)
    assert _read_all(stream) == [*sequences[4:], sequences[-1] + 1]


def test_a_reader_that_cannot_tell_yet_holds_trimming_back(server):
    stream = Stream(server)
    stream.write(3)
    server.stream_retention.report(
        [{(TABLE, stream.shard_id): 10**30}, {(TABLE, stream.shard_id): None}]
    )
    assert server.stream_retention.retained(stream.arn) == 3


def test_a_dead_lettered_range_stays_readable_at_its_sequence_number(server):
    stream = Stream(server)
    stream.write(6)
    sequences = _read_all(stream)
    server.stream_retention.keep(stream.arn, sequences[1], sequences[2])
    server.stream_retention.report([{(TABLE, stream.shard_id): sequences[-1] + 1}])
    assert server.stream_retention.retained(stream.arn) == 2
    replayed, _ = stream.read(stream.iterator("AT_SEQUENCE_NUMBER", sequences[1]))
    assert replayed == sequences[1:3]


def test_a_polling_reader_keeps_two_iterators_and_unused_ones_expire():
    now = [0.0]
    server = MotoServer()
    server.stream_retention = StreamRetention(ACCOUNT_ID, REGION, clock=lambda: now[0])
    server.start()
    try:
        create_table(server, TABLE)
        stream = Stream(server)
        backend = dynamodbstreams_backends[ACCOUNT_ID][REGION]
        abandoned = stream.iterator()
        iterator = stream.iterator()
        for n in range(20):
            stream.write(1, first=n)
            previous = iterator
            _, iterator = stream.read(iterator)
        assert previous in backend.shard_iterators  # a retry of the last call still works
        assert len(backend.shard_iterators) == 3  # the last two of the chain, the abandoned one
        now[0] += ITERATOR_EXPIRY_S + 1
        stream.read(iterator)
        assert abandoned not in backend.shard_iterators
    finally:
        server.stop()


def test_records_past_24_hours_expire_even_a_dead_lettered_range(server):
    """AWS (TrimmedDataAccessException, DynamoDB Streams API reference): "In DynamoDB Streams,
    there is a 24 hour limit on data retention"; a shard iterator with a sequence number older
    than the trim point, or a read through an iterator that now points at trimmed records,
    fails with TrimmedDataAccessException."""
    from botocore.exceptions import ClientError

    stream = Stream(server)
    stream.write(3)
    sequences = _read_all(stream)
    server.stream_retention.keep(stream.arn, sequences[0], sequences[-1])  # kept for a replay
    early = stream.iterator()
    assert server.stream_retention.age(23 * 3600) == 0  # a day is not over yet
    assert _read_all(stream) == sequences
    stream.write(1, first=3)
    assert server.stream_retention.age(3600 + 1) == 3  # the first three are past 24 h now
    for request in (
        lambda: stream.iterator("AT_SEQUENCE_NUMBER", sequences[0]),
        lambda: stream.read(early),
    ):
        with pytest.raises(ClientError) as refused:
            request()
        assert refused.value.response["Error"]["Code"] == "TrimmedDataAccessException"
    assert server.stream_retention.retained(stream.arn) == 1
    newest, _ = stream.read(stream.iterator("TRIM_HORIZON"))
    assert newest == [sequences[-1] + 1]
    after = stream.iterator("AT_SEQUENCE_NUMBER", sequences[-1] + 1)
    assert stream.read(after)[0] == newest  # the record past the trim point is still there
