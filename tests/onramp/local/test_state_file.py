"""The state file `onramp up` writes and `onramp status` / `onramp replay-dlq` read."""

import json
import subprocess
import sys

import pytest

from onramp.cli.local import FALLBACK_URL, default_url
from onramp.local import state_file


@pytest.fixture
def state_path(tmp_path, monkeypatch):
    path = tmp_path / "up.json"
    monkeypatch.setenv(state_file.VARIABLE, str(path))
    return path


def test_a_running_up_is_found_and_its_file_goes_when_it_stops(state_path):
    assert default_url() == FALLBACK_URL  # nothing running
    written = state_file.write({"api_url": "http://127.0.0.1:41234", "console_url": "x"})
    assert written == state_path
    assert (state_file.read() or {})["api_url"] == "http://127.0.0.1:41234"
    assert default_url() == "http://127.0.0.1:41234"
    state_file.remove()
    assert not state_path.exists()


def test_a_file_left_by_a_dead_process_is_ignored_and_not_removed_by_another(state_path):
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    state_path.write_text(json.dumps({"pid": int(gone.stdout), "api_url": "http://127.0.0.1:1"}))
    assert state_file.read() is None
    assert default_url() == FALLBACK_URL
    state_file.remove()  # not ours: left for its owner's stop (or overwritten by the next up)
    assert state_path.exists()


def test_an_unreadable_file_is_no_runtime(state_path):
    state_path.write_text("{not json")
    assert state_file.read() is None
