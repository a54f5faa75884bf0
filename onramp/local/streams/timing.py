"""How often the stream pumps read their streams: ``aws`` (Lambda's pace) or ``fast`` (dev loops).

- ``aws`` (the default): each pump polls its shards at Lambda's base rate, 4 times a second
  ("Lambda polls shards in your DynamoDB stream for records at a base rate of 4 times per
  second", AWS Lambda Developer Guide, "Using AWS Lambda with Amazon DynamoDB", section
  "Polling and batching streams": https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html).
  Register-to-completed latency then reads as it would on AWS: up to a quarter second per
  stream hop before a record is seen.
- ``fast``: a write to a table wakes the pumps of its stream at once (the embedded AWS meters
  every write before it answers it), and the pumps still poll 4 times a second for what no
  metered write announces (the runtime's own writes). Every event-source rule (batching
  window, BatchSize, filters, retries and their backoff, bisect, partial responses, maximum
  age, OnFailure) is the same; only the wait before a read is shorter. For the test suite and
  dev loops; latency figures of a ``fast`` run are not AWS's.

``ONRAMP_STREAM_TIMING`` (``aws`` or ``fast``) sets the default of ``EmbeddedStack``, ``onramp
up`` and ``onramp demo``; their ``stream_timing`` argument or ``--stream-timing`` flag wins.

Example::

    timing = StreamTiming.named("fast")
    timing.wake_on_write, timing.poll_interval_s     # True, 0.25
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

ENVIRONMENT_VARIABLE = "ONRAMP_STREAM_TIMING"
LAMBDA_POLL_INTERVAL_S = 0.25  # 4 polls a second per shard (see the module docstring)


@dataclass(frozen=True)
class StreamTiming:
    """When a pump reads its stream: every ``poll_interval_s``, and on a write if
    ``wake_on_write``."""

    name: str
    poll_interval_s: float
    wake_on_write: bool

    @classmethod
    def named(cls, name: str) -> StreamTiming:
        """``aws`` or ``fast``; ValueError names the choices for anything else."""
        if name not in TIMINGS:
            raise ValueError(f"unknown stream timing {name!r} (choose from {', '.join(TIMINGS)})")
        return TIMINGS[name]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> StreamTiming:
        """The timing ``ONRAMP_STREAM_TIMING`` names (``aws`` when unset or empty)."""
        environ = os.environ if environ is None else environ
        name = environ.get(ENVIRONMENT_VARIABLE, "").strip() or "aws"
        try:
            return cls.named(name)
        except ValueError as exc:
            raise ValueError(f"{ENVIRONMENT_VARIABLE}: {exc}") from None


TIMINGS = {
    "aws": StreamTiming("aws", LAMBDA_POLL_INTERVAL_S, wake_on_write=False),
    "fast": StreamTiming("fast", LAMBDA_POLL_INTERVAL_S, wake_on_write=True),
}
