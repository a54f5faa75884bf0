"""Fixtures of the benchmark tests."""

import pytest

from onramp.local.streams.timing import ENVIRONMENT_VARIABLE


@pytest.fixture
def fast_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    """A brief real run that judges no latency: the stream pumps are woken by writes."""
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "fast")
