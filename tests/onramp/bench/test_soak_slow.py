"""The full soak as a test (about 25 minutes; deselected from `make test`, run with
`pytest -m slow` or `make soak`): ten minutes of Locust at 20 registrations/s, the data
cleared, ten more."""

from pathlib import Path

import pytest

from onramp.bench import soak

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(2400)]


def test_ten_minutes_at_20_per_s_twice_loses_nothing_and_memory_follows_the_data(tmp_path: Path):
    result = soak.run(rate=20, duration_s=600, out=tmp_path)
    lost_or_doubled, growth, refill = result.figures
    assert lost_or_doubled.met, result.notes
    assert growth.met, (growth.value, result.notes)
    assert refill.met, (refill.value, result.notes)
