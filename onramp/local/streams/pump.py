"""Polling plumbing: one thread per DynamoDB event source, reading the stream from moto.

Like Lambda's event source mapping, each pump polls its stream about 4 times a second
(DescribeStream for the shards, GetShardIterator once per shard, GetRecords with the next
iterator), converts each record to Lambda's shape and hands it to the shard's
``ShardDelivery`` (the rules). Failure records go to the OnFailure queue over SQS. With the
``fast`` timing (``timing``) ``wake()`` also starts the next poll at once.

Example::

    pump = StreamPump(source, runtime, streams_client, send_failure, region="us-east-1")
    pump.start(); ...; pump.wake(); ...; pump.stop()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from onramp.local.aws.stream_retention import table_name
from onramp.local.runtime.invoker import FunctionRuntime
from onramp.local.streams.event_source import ShardDelivery, StreamEventSource, lambda_record
from onramp.local.streams.timing import TIMINGS, StreamTiming

GET_RECORDS_LIMIT = 1000
SHARD_DISCOVERY_POLLS = 40
STOPPED_WHILE_FAILING_S = 1.0  # a failing poll waits this long for a stop that explains it


class StreamPump:
    """Polls one stream for one function; counts what it delivered and filtered."""

    def __init__(
        self,
        source: StreamEventSource,
        runtime: FunctionRuntime,
        streams: Any,
        send_failure: Callable[[dict[str, Any]], None],
        region: str,
        timing: StreamTiming = TIMINGS["aws"],
    ) -> None:
        self.source = source
        self.timing = timing
        self._runtime = runtime
        self._streams = streams
        self._send_failure = send_failure
        self._region = region
        self._iterators: dict[str, str] = {}
        self._deliveries: dict[str, ShardDelivery] = {}
        self._read_through: dict[str, int] = {}
        self._table = table_name(source.stream_arn)
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._thread = threading.Thread(
            target=self._run,
            name=f"onramp-pump-{runtime.spec.key}-{source.event_name}",
            daemon=True,
        )
        self._state = threading.Condition()
        self._aging: list[float] = []
        self.polls = 0
        self.records_seen = 0
        self.records_filtered = 0
        self.invocations = 0
        self.failures_sent = 0
        self.wakeups = 0
        self.idle_since = 0.0

    def start(self) -> None:
        """Position the shard iterators (StartingPosition) and begin polling."""
        self._discover_shards()
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        """Stop polling and (if ``wait``) wait for the current poll or invocation to finish."""
        self._stop.set()
        self._woken.set()
        if wait:
            self._thread.join()

    @property
    def table(self) -> str:
        """The name of the table whose stream this pump reads."""
        return self._table

    def wake(self) -> None:
        """A write reached the pump's table: with ``wake_on_write``, poll now (else nothing)."""
        if self.timing.wake_on_write:
            self._woken.set()

    @property
    def pending(self) -> int:
        """Records fetched but not yet settled."""
        return sum(d.pending for d in self._deliveries.values())

    def needed_sequences(self) -> dict[tuple[str, str], int | None]:
        """Per (table, shard): the lowest sequence number this pump may still need, the oldest
        record not yet settled (None before it has read a record of the shard)."""
        needed: dict[tuple[str, str], int | None] = {}
        for shard_id, delivery in list(self._deliveries.items()):
            oldest = delivery.oldest_pending
            after_last = self._read_through.get(shard_id)
            needed[(self._table, shard_id)] = oldest if oldest is not None else after_last
        return needed

    def age(self, seconds: float) -> None:
        """The records fetched and not yet settled become ``seconds`` older (applied by the
        polling thread before its next delivery, so no batch is changed under it)."""
        with self._state:
            self._aging.append(seconds)

    def idle_after(self, moment: float) -> bool:
        """True when a poll that started after ``moment`` found nothing and nothing is pending."""
        with self._state:
            return self.idle_since > moment and self.pending == 0

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.time()
            try:
                fetched = self._poll()
                self._apply_aging()
                self._deliver_due()
            except Exception:
                if self._stop.wait(STOPPED_WHILE_FAILING_S):
                    return  # stopped because the AWS went away: the runtime reports it
                raise
            with self._state:
                self.polls += 1
                if fetched == 0 and self.pending == 0:
                    self.idle_since = max(self.idle_since, started)
            self._wait_for_next_poll(started)

    def _wait_for_next_poll(self, started: float) -> None:
        """Until the poll interval after ``started`` ended, a wake-up or a stop."""
        if self._woken.wait(max(0.0, self.timing.poll_interval_s - (time.time() - started))):
            self._woken.clear()
            with self._state:
                self.wakeups += 1

    def _poll(self) -> int:
        fetched = 0
        if self.polls % SHARD_DISCOVERY_POLLS == 0:
            self._discover_shards()
        for shard_id, iterator in list(self._iterators.items()):
            response = self._streams.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
            self._iterators[shard_id] = response["NextShardIterator"]
            records = [
                lambda_record(r, self.source.stream_arn, self._region) for r in response["Records"]
            ]
            fetched += len(records)
            filtered = self._deliveries[shard_id].add(records)
            if records:
                self._read_through[shard_id] = records[-1].sequence + 1
            with self._state:
                self.records_seen += len(records)
                self.records_filtered += filtered
        return fetched

    def _apply_aging(self) -> None:
        with self._state:
            aging, self._aging = self._aging, []
        for seconds in aging:
            for delivery in self._deliveries.values():
                delivery.age(seconds)

    def _deliver_due(self) -> None:
        """Invoke while batches are due; after a failed invocation wait for the next poll."""
        for delivery in self._deliveries.values():
            while delivery.ready() and not self._stop.is_set():
                invocation = delivery.deliver()
                if invocation is None:
                    continue
                with self._state:
                    self.invocations += 1
                if invocation.failed:
                    break

    def _discover_shards(self) -> None:
        description = self._streams.describe_stream(StreamArn=self.source.stream_arn)
        for shard in description["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id in self._iterators:
                continue
            self._iterators[shard_id] = self._streams.get_shard_iterator(
                StreamArn=self.source.stream_arn,
                ShardId=shard_id,
                ShardIteratorType=self.source.starting_position,
            )["ShardIterator"]
            self._deliveries[shard_id] = ShardDelivery(
                self.source,
                shard_id,
                invoke=lambda batch: self._runtime.invoke({"Records": batch}, len(batch)),
                send_failure=self._on_failure,
                function_arn=self._runtime.arn,
            )

    def _on_failure(self, record: dict[str, Any]) -> None:
        with self._state:
            self.failures_sent += 1
        self._send_failure(record)
