"""Run Python code in a fresh interpreter (cold imports, isolated clients and environment)."""

from __future__ import annotations

import subprocess
import sys

from kernel.errors import UsageError


def run_python(
    arguments: list[str], env: dict[str, str], what: str, keep_stdout: bool = True
) -> subprocess.CompletedProcess[str]:
    """``python <arguments>`` with ``env``, finished (stdout None when not kept).

    A failure raises UsageError naming ``what`` and the child's last stderr line.
    """
    done = subprocess.run(
        [sys.executable, *arguments],
        env=env,
        stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"{what} failed: {last}")
    return done
