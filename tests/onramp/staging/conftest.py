"""Fixtures for the staging tests: fake credentials only, moto in-process, no network."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws
from moto.cloudwatch.models import Statistics

from onramp.staging.session import AwsSession
from onramp.staging.timewindow import Window

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fake credentials and a region; no profile or config file from the machine."""
    empty = tmp_path_factory.mktemp("aws") / "none"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def mocked_aws() -> Iterator[AwsSession]:
    """moto's in-process AWS and a session bound to it."""
    with mock_aws():
        yield AwsSession.open(REGION, None)


@pytest.fixture
def recent_window() -> Window:
    """A 10-minute window of whole minutes that ended a minute ago."""
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    return Window(end - timedelta(minutes=10), end)


def _nearest_rank(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(percent / 100 * len(ordered)) - 1, 0)]


@pytest.fixture
def moto_percentiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Teach moto's GetMetricData the pNN statistics (moto 5 answers None and fails).

    Nearest-rank percentiles over the raw values, which is what CloudWatch returns for a
    handful of single-value datapoints.
    """
    original = Statistics.get_statistics_for_type

    def with_percentiles(self: Statistics, stat: str) -> object:
        if stat.startswith("p") and stat[1:].replace(".", "", 1).isdigit():
            return _nearest_rank(self.metric_single_values_list, float(stat[1:]))
        return original(self, stat)

    monkeypatch.setattr(Statistics, "get_statistics_for_type", with_percentiles)
