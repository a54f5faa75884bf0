"""Live progress of a Locust run, read from the tail of its ``_stats_history.csv``.

Locust appends one ``Aggregated`` row a second (current users, current rate, totals), so
polling the file needs no Locust import and works the same with ``--processes``.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from loadtest.results import AGGREGATED

_TAIL_BYTES = 16 * 1024


@dataclass(frozen=True)
class Progress:
    """A snapshot of a running test."""

    elapsed_s: float
    duration_s: float
    users: int
    current_rps: float
    requests: int
    failures: int
    current_p95_ms: float | None

    def line(self) -> str:
        """One human-readable status line."""
        p95 = "-" if self.current_p95_ms is None else f"{self.current_p95_ms:.0f} ms"
        return (
            f"{self.elapsed_s:5.0f}/{self.duration_s:.0f} s  users {self.users:4d}  "
            f"rps {self.current_rps:7.1f}  requests {self.requests:7d}  "
            f"failures {self.failures:5d}  p95 {p95}"
        )


ProgressCallback = Callable[[Progress], None]


def read_progress(history_csv: Path, elapsed_s: float, duration_s: float) -> Progress | None:
    """The latest ``Aggregated`` row of ``history_csv`` as a Progress, or None if none yet."""
    try:
        with history_csv.open("rb") as handle:
            size = handle.seek(0, io.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read().decode("utf-8", errors="replace")
            handle.seek(0)
            header = handle.readline().decode("utf-8")
    except FileNotFoundError:
        return None
    lines = [line for line in tail.splitlines() if f",{AGGREGATED}," in line]
    if not header or not lines:
        return None
    row = next(csv.DictReader([header, lines[-1]]))
    p95 = row.get("95%", "N/A")
    return Progress(
        elapsed_s=elapsed_s,
        duration_s=duration_s,
        users=int(row["User Count"]),
        current_rps=float(row["Requests/s"]),
        requests=int(row["Total Request Count"]),
        failures=int(row["Total Failure Count"]),
        current_p95_ms=None if p95 == "N/A" else float(p95),
    )


class ConsoleProgress:
    """A progress callback: one rewritten line on a TTY, a line every ``every_s`` seconds
    otherwise (logs, CI). Call ``finish()`` after the run to end the TTY line."""

    def __init__(self, stream: TextIO = sys.stderr, every_s: float = 10.0) -> None:
        self._stream = stream
        self._every_s = every_s
        self._interactive = stream.isatty()
        self._last_printed: float | None = None

    def __call__(self, progress: Progress) -> None:
        """Show ``progress``."""
        now = time.monotonic()
        if self._interactive:
            self._stream.write("\r\033[K" + progress.line())
        elif self._last_printed is None or now - self._last_printed >= self._every_s:
            self._stream.write(progress.line() + "\n")
        else:
            return
        self._last_printed = now
        self._stream.flush()

    def finish(self) -> None:
        """End the live line on a TTY."""
        if self._interactive and self._last_printed is not None:
            self._stream.write("\n")
            self._stream.flush()
