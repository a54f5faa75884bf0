"""The full soak as a test (about 12 minutes; deselected from `make test`, run with
`pytest -m slow` or `make soak`): ten minutes of Locust at 20 registrations/s."""

from pathlib import Path

import pytest

from onramp.bench import soak

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(1200)]


def test_ten_minutes_at_20_per_s_loses_nothing_and_the_runtime_stays_flat(tmp_path: Path):
    result = soak.run(rate=20, duration_s=600, out=tmp_path)
    lost_or_doubled, memory = result.figures
    assert lost_or_doubled.met, result.notes
    assert memory.met, (memory.value, result.notes)
