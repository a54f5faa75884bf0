"""Fixtures of the fault-injection tests (helpers: fault_scenarios.py)."""

from collections.abc import Callable

import pytest
from fault_scenarios import Outcome, run_scenario


@pytest.fixture
def scenario() -> Callable[..., Outcome]:
    """``scenario(faults, registrations=12, **template_parameters)`` -> Outcome."""
    return run_scenario
