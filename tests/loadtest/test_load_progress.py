"""Progress read from Locust's history CSV, and its console rendering."""

from __future__ import annotations

import io
from pathlib import Path

from loadtest.progress import ConsoleProgress, Progress, read_progress

HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,"
    "99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size"
)
EMPTY = "1795937760,10,,Aggregated,0.0,0.0" + ",N/A" * 11 + ",0,0,0,0.0,0,0,0"
BUSY = "1795937767,10,,Aggregated,17.5,0.5,2,3,3,3,5,14,17,25,25,25,25,120,3,2,3.6,1.5,25.1,68.8"
KIND = "1795937767,10,POST,POST /register [valid],14.5,0.0" + ",3" * 11 + ",99,0,2,3.6,1.5,25.1,72"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_missing_or_empty_history(tmp_path: Path) -> None:
    history = tmp_path / "locust_stats_history.csv"
    assert read_progress(history, 1, 10) is None
    history.write_text(HEADER + "\n")
    assert read_progress(history, 1, 10) is None


def test_latest_aggregated_row(tmp_path: Path) -> None:
    history = tmp_path / "locust_stats_history.csv"
    history.write_text("\n".join([HEADER, EMPTY, BUSY, KIND]) + "\n")
    assert read_progress(history, 7.2, 60) == Progress(7.2, 60, 10, 17.5, 120, 3, 14.0)
    history.write_text("\n".join([HEADER, EMPTY]) + "\n")
    progress = read_progress(history, 1, 60)
    assert progress is not None and progress.current_p95_ms is None and "p95 -" in progress.line()


def test_console_progress_rewrites_one_line_on_a_tty() -> None:
    stream = _Tty()
    show = ConsoleProgress(stream)
    show(Progress(1, 60, 5, 4.0, 4, 0, 12.0))
    show(Progress(2, 60, 10, 9.0, 13, 0, 12.0))
    show.finish()
    text = stream.getvalue()
    assert text.count("\r\033[K") == 2 and text.endswith("\n") and text.count("\n") == 1


def test_console_progress_prints_periodic_lines_otherwise() -> None:
    stream = io.StringIO()
    show = ConsoleProgress(stream, every_s=3600)
    for second in range(5):
        show(Progress(second, 60, 5, 4.0, second * 4, 0, None))
    show.finish()
    assert stream.getvalue().count("\n") == 1 and "\r" not in stream.getvalue()
