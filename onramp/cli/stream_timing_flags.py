"""``--stream-timing aws|fast`` for `onramp up` and `onramp demo`: the stream pumps' pace
(``onramp.local.streams.timing``); the default comes from ``ONRAMP_STREAM_TIMING``."""

from __future__ import annotations

import argparse

from kernel.errors import UsageError
from onramp.local.streams.timing import ENVIRONMENT_VARIABLE, TIMINGS, StreamTiming


def add_stream_timing_argument(parser: argparse.ArgumentParser) -> None:
    """Add --stream-timing (default: None, read from the environment when used)."""
    parser.add_argument(
        "--stream-timing",
        choices=tuple(TIMINGS),
        help="stream pumps: aws (Lambda's 4 polls a second, the default) or fast (a write wakes "
        f"the pumps at once; dev loops, tests); default from ${ENVIRONMENT_VARIABLE}",
    )


def stream_timing_from_args(args: argparse.Namespace) -> StreamTiming:
    """The flag's timing, else the environment's; UsageError for a bad environment value."""
    if args.stream_timing:
        return StreamTiming.named(args.stream_timing)
    try:
        return StreamTiming.from_environment()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
