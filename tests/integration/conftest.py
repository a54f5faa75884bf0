"""Shared fixtures of the embedded-runtime tests."""

import json
import os
from pathlib import Path

import pytest

from onramp.local.stack import EmbeddedStack
from onramp.local.streams.timing import ENVIRONMENT_VARIABLE

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"
FIXTURE_HANDLERS = FIXTURE_TEMPLATE.parent / "handlers"


@pytest.fixture(scope="session", autouse=True)
def fast_stream_timing():
    """These tests judge rules, not AWS's pace: the stream pumps are woken by writes (``fast``),
    in this process and in the ``onramp`` subprocesses they start. A test that judges timing
    passes ``stream_timing="aws"``; ``ONRAMP_STREAM_TIMING=aws pytest ...`` runs them all at
    Lambda's pace."""
    before = os.environ.get(ENVIRONMENT_VARIABLE)
    os.environ.setdefault(ENVIRONMENT_VARIABLE, "fast")
    yield os.environ[ENVIRONMENT_VARIABLE]
    if before is None:
        os.environ.pop(ENVIRONMENT_VARIABLE, None)


@pytest.fixture(scope="session")
def fixture_template() -> Path:
    """Path of the test-only template."""
    return FIXTURE_TEMPLATE


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory) -> Path:
    """Where the fixture handlers (running in worker processes) append what they saw."""
    return tmp_path_factory.mktemp("handler-records")


@pytest.fixture(scope="module")
def fixture_stack(record_dir):
    """The test-only template running on the embedded runtime."""
    with EmbeddedStack(FIXTURE_TEMPLATE, parameters={"RecordDir": str(record_dir)}) as stack:
        yield stack


@pytest.fixture(scope="module")
def handler_records(record_dir):
    """``handler_records(name)``: the JSON lines a fixture handler appended to ``<name>.jsonl``."""

    def read(name: str) -> list:
        path = record_dir / f"{name}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    return read
