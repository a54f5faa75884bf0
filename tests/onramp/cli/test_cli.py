"""The `onramp` console script: help works, bad flags are one line and exit 2."""

import subprocess
import sys

import pytest

from onramp.cli import main


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "onramp" in capsys.readouterr().out


def test_unknown_command_is_one_line_and_exit_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "onramp", "no-such-command"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "error:" in proc.stderr
