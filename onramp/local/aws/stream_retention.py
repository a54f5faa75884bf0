"""Stream retention for the embedded runtime: free what no reader can still ask for.

moto keeps every DynamoDB stream record (old and new images) and every shard iterator (one
per GetRecords poll) for the life of the process; AWS trims records after 24 hours and
expires an iterator 15 minutes after it was issued. Under a ten-minute soak that was the
runtime's largest growth (docs/soak.md). Here:

- an iterator is dropped once the iterator issued for the next read has itself been used (a
  reader retrying its last call still has a valid one), or 15 minutes after it was first
  seen, AWS's expiry;
- a record is trimmed once every reader (the stream pumps, which report their needs from the
  runtime's process) has settled it: read, then filtered out, delivered, or dead-lettered.
  Its slot in moto's list becomes ``None``, so sequence numbers and the shard's length stay as
  they were, and reads skip it;
- records of a batch sent to an OnFailure queue are kept, since `onramp replay-dlq` re-reads
  that range of the shard. Nothing is trimmed before the readers first report, nor from a
  shard none of them names;
- records older than 24 hours expire, kept or not, as on AWS: "In DynamoDB Streams, there is
  a 24 hour limit on data retention. Stream records whose age exceeds this limit are subject
  to removal (trimming) from the stream" (``TrimmedDataAccessException``, DynamoDB Streams API
  reference). A shard iterator asked for below the trim point, or a read from one positioned
  there, is refused with that error (:meth:`StreamRetention.expired`). Tests make time pass
  for the records with :meth:`StreamRetention.age` (their ``ApproximateCreationDateTime``
  moves back), so a local run can reach the 24 hours and the mappings'
  ``MaximumRecordAgeInSeconds``.

Example::

    retention = StreamRetention(ACCOUNT_ID, REGION)
    retention.report([pump.needed_sequences() for pump in pumps])  # all readers, at once
    payload = retention.read(iterator, limit=1000)  # GetRecords on a known iterator
    retention.keep(stream_arn, first_sequence, last_sequence)
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.dynamodbstreams.models import (
    DynamoDBStreamsBackend,
    ShardIterator,
    dynamodbstreams_backends,
)

ITERATOR_EXPIRY_S = 15 * 60
RETENTION_S = 24 * 3600

ShardKey = tuple[str, str]
"""(table name, shard id)."""

Needs = Mapping[ShardKey, int | None]
"""The lowest sequence number a reader still needs per shard (None: it cannot tell yet)."""


def table_name(stream_arn: str) -> str:
    """The table of a stream ARN (``arn:aws:dynamodb:R:A:table/NAME/stream/LABEL``)."""
    return stream_arn.split(":", 5)[5].split("/")[1]


class StreamRetention:
    """Answers GetRecords and trims what every reader has settled (thread-safe)."""

    def __init__(
        self, account_id: str, region: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._account_id = account_id
        self._region = region
        self._clock = clock
        self._lock = threading.Lock()
        self._needs: list[Needs] = []
        self._previous: dict[str, str] = {}
        self._first_seen: dict[str, float] = {}
        self._trimmed_to: dict[ShardKey, int] = {}
        self._kept: list[tuple[str, int, int]] = []
        self._expired_below: dict[str, int] = {}

    @property
    def _backend(self) -> DynamoDBStreamsBackend:
        return dynamodbstreams_backends[self._account_id][self._region]

    def report(self, needs: Sequence[Needs]) -> None:
        """Every reader's needs (replacing the last report); trim what all of them settled.

        Needs only rise as readers settle records, so a report a little out of date holds
        back more than necessary, never less."""
        with self._lock:
            self._needs = list(needs)
            self._trim()

    def keep(self, stream_arn: str, first_sequence: int, last_sequence: int) -> None:
        """Never trim this range of ``stream_arn``'s records (a dead-lettered batch)."""
        with self._lock:
            self._kept.append((table_name(stream_arn), first_sequence, last_sequence))

    def age(self, seconds: float) -> int:
        """Make every stream record ``seconds`` older; expire those past 24 hours (their slots
        emptied, the trim point moved past them). Returns how many expired now."""
        expired = 0
        with self._lock:
            horizon = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=RETENTION_S)
            for name, table in self._backend.dynamodb.tables.items():
                shard = table.stream_shard
                if shard is None:
                    continue
                for index, record in enumerate(shard.items):
                    if record is None:
                        continue
                    fields = record.record["dynamodb"]
                    fields["ApproximateCreationDateTime"] -= timedelta(seconds=seconds)
                    if fields["ApproximateCreationDateTime"] < horizon:
                        shard.items[index] = None
                        below = shard.starting_sequence_number + index + 1
                        self._expired_below[name] = max(self._expired_below.get(name, 0), below)
                        expired += 1
        return expired

    def expired(self, table: str, sequence: int) -> bool:
        """True when ``sequence`` of ``table``'s stream is below the 24-hour trim point."""
        return sequence < self._expired_below.get(table, 0)

    def trim_horizon(self, stream_arn: str) -> str | None:
        """A TRIM_HORIZON iterator at the oldest record not expired, once records have expired
        (None before: moto's own answers then)."""
        table = table_name(stream_arn)
        with self._lock:
            if table not in self._expired_below:
                return None
            shard = self._backend.dynamodb.get_table(table).stream_shard
            at = ShardIterator(
                self._backend, shard, "AT_SEQUENCE_NUMBER", self._expired_below[table]
            )
            self._backend.shard_iterators[at.arn] = at
            return str(at.arn)

    def iterator(self, arn: str) -> ShardIterator | None:
        """The live iterator of that ARN, if any."""
        return self._backend.shard_iterators.get(arn)

    def read(self, iterator: ShardIterator, limit: int) -> dict[str, Any]:
        """GetRecords: up to ``limit`` records from the iterator's position, the next iterator."""
        shard = iterator.stream_shard
        records = []
        with self._lock:
            index = iterator.sequence_number - shard.starting_sequence_number
            while index < len(shard.items) and len(records) < limit:
                if shard.items[index] is not None:
                    records.append(shard.items[index])
                index += 1
            following = ShardIterator(
                self._backend,
                shard,
                "AT_SEQUENCE_NUMBER",
                shard.starting_sequence_number + index,
            )
            self._backend.shard_iterators[following.arn] = following
            self._retire(iterator.arn, following.arn)
        return {"NextShardIterator": following.arn, "Records": [r.to_json() for r in records]}

    def retained(self, stream_arn: str) -> int:
        """Records still held in the table's stream."""
        shard = self._backend.dynamodb.get_table(table_name(stream_arn)).stream_shard
        return sum(1 for slot in list(shard.items) if slot is not None)

    def _retire(self, used: str, issued: str) -> None:
        older = self._previous.pop(used, None)
        if older is not None:
            self._drop(older)
        self._previous[issued] = used
        now = self._clock()
        for arn in list(self._backend.shard_iterators):
            if now - self._first_seen.setdefault(arn, now) > ITERATOR_EXPIRY_S:
                self._drop(arn)

    def _drop(self, arn: str) -> None:
        self._backend.shard_iterators.pop(arn, None)
        self._first_seen.pop(arn, None)
        self._previous.pop(arn, None)

    def _trim(self) -> None:
        needs: dict[ShardKey, list[int | None]] = defaultdict(list)
        for reader_needs in self._needs:
            for key, sequence in reader_needs.items():
                needs[key].append(sequence)
        for (table, shard_id), sequences in needs.items():
            if None not in sequences:
                self._trim_shard(table, shard_id, min(s for s in sequences if s is not None))

    def _trim_shard(self, table: str, shard_id: str, below: int) -> None:
        shard = self._backend.dynamodb.get_table(table).stream_shard
        if shard is None or shard.id != shard_id:
            return
        done = self._trimmed_to.get((table, shard_id), 0)
        end = min(below - shard.starting_sequence_number, len(shard.items))
        for index in range(done, end):
            if not self._is_kept(table, shard.starting_sequence_number + index):
                shard.items[index] = None
        self._trimmed_to[(table, shard_id)] = max(done, end)

    def _is_kept(self, table: str, sequence: int) -> bool:
        return any(kept == table and first <= sequence <= last for kept, first, last in self._kept)
