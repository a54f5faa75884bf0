"""Shared fixtures of the embedded-runtime tests."""

from pathlib import Path

import pytest

from onramp.local.stack import EmbeddedStack

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"


@pytest.fixture(scope="session")
def fixture_template() -> Path:
    """Path of the test-only template."""
    return FIXTURE_TEMPLATE


@pytest.fixture(scope="module")
def fixture_stack():
    """The test-only template running on the embedded runtime."""
    with EmbeddedStack(FIXTURE_TEMPLATE) as stack:
        yield stack
