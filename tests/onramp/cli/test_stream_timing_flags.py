"""--stream-timing and ONRAMP_STREAM_TIMING: the flag wins, the environment is the default."""

import argparse

import pytest

from kernel.errors import UsageError
from onramp.cli.stream_timing_flags import add_stream_timing_argument, stream_timing_from_args
from onramp.local.streams.timing import ENVIRONMENT_VARIABLE


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_stream_timing_argument(parser)
    return parser.parse_args(argv)


def test_the_flag_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "fast")
    assert stream_timing_from_args(_parse("--stream-timing", "aws")).name == "aws"
    assert stream_timing_from_args(_parse()).name == "fast"
    monkeypatch.delenv(ENVIRONMENT_VARIABLE)
    assert stream_timing_from_args(_parse()).name == "aws"


def test_a_bad_environment_value_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "instant")
    with pytest.raises(UsageError, match=ENVIRONMENT_VARIABLE):
        stream_timing_from_args(_parse())
