"""Load soak: Locust against the embedded stack for a long while, then drain and verify.

At the highest rate the pipeline sustains (from the pipeline benchmark, or given), for
``duration_s`` (default 10 minutes): zero lost, zero duplicate emails (onramp.verify), and the
memory of the local runtime (this process and its handler worker processes) sampled every
second: the start figure is taken once the warm-up share of the run has passed (workers are
started lazily), the end figure after the drain; flat means end/start <= 1.10.

Example::

    result = run(rate=20, duration_s=600, out=Path("runs"))
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from onramp.bench.result import BenchResult, Figure

FLAT_RATIO = 1.10
WARM_UP_SHARE = 0.1
SAMPLE_EVERY_S = 1.0
DRAIN_TIMEOUT_S = 180.0
KIB = 1024


def rss_bytes() -> int:
    """Resident memory of this process and its children (psutil), or of this process alone
    from /proc/self/status when psutil is missing."""
    try:
        import psutil
    except ImportError:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * KIB
        return 0
    me = psutil.Process(os.getpid())
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:  # a worker that exited between listing and reading
            continue
    return total


@dataclass
class RssSampler:
    """Samples :func:`rss_bytes` every second on a daemon thread while in a ``with`` block."""

    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> RssSampler:
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="onramp-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.monotonic() - self._started, rss_bytes()))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - self._started, rss_bytes()))
            self._stop.wait(SAMPLE_EVERY_S)

    def start_and_end(self, warm_up_s: float) -> tuple[int, int]:
        """The first sample after ``warm_up_s`` (or the last one) and the last sample."""
        start = next((rss for t, rss in self.samples if t >= warm_up_s), self.samples[-1][1])
        return start, self.samples[-1][1]


def soak_result(
    rate: float,
    duration_s: float,
    verification: dict,
    drained: bool,
    rss: tuple[int, int],
    run_dir: Path,
) -> BenchResult:
    """Figures: lost, duplicate emails (from the verification) and the memory ratio."""
    start, end = rss
    growth = end / start if start else float("inf")
    problems = verification["problems"]
    result = BenchResult(
        name="soak",
        title=f"Load soak: {duration_s:g} s at {rate:g} registrations/s",
        figures=[
            Figure(
                "accepted registrations lost or emailed twice",
                "none" if drained and not problems else f"{len(problems)} problem(s)",
                "none",
                drained and not problems,
            ),
            Figure(
                "runtime memory end / start (this process + handler workers)",
                f"{start / KIB**2:.0f} MiB -> {end / KIB**2:.0f} MiB",
                f"<= {FLAT_RATIO:.2f}x",
                growth <= FLAT_RATIO,
                growth,
            ),
        ],
        header=["accepted", "completed", "failed", "emails", "dead letters", "drained"],
        rows=[
            [
                *(str(verification[k]) for k in ("accepted", "completed", "failed", "emails")),
                str(verification["dead_letters"]),
                "yes" if drained else "no",
            ]
        ],
        notes=[
            f"Locust run: {run_dir}",
            "memory retained per 1,000 accepted onboardings (end - start, moto's stored state"
            f" and the recorder's events included): {_per_thousand(end - start, verification)}",
            *problems,
        ],
    )
    return result


def _per_thousand(grown_bytes: int, verification: dict) -> str:
    accepted = verification["accepted"]
    if not accepted:
        return "n/a (nothing accepted)"
    return f"{grown_bytes / KIB**2 * 1000 / accepted:.1f} MiB"


def run(rate: float, duration_s: float, out: Path) -> BenchResult:
    """Soak the embedded stack at ``rate`` for ``duration_s``; drain, verify, report."""
    from loadtest.progress import ConsoleProgress
    from loadtest.runner import run_locust
    from onramp.demo import LOCAL_PARAMETERS
    from onramp.local.stack import EmbeddedStack
    from onramp.verify import verify_run

    with EmbeddedStack(parameters=LOCAL_PARAMETERS) as stack, RssSampler() as sampler:
        progress = ConsoleProgress(sys.stderr)
        load = run_locust(
            stack.api_url, rate=rate, duration_s=duration_s, out_dir=out, progress=progress
        )
        progress.finish()
        drained = stack.wait_until_drained(timeout=DRAIN_TIMEOUT_S)
        verification = verify_run(
            load.accepted_ids(), stack.users(), stack.sent_emails(), stack.dead_letters()
        )
    rss = sampler.start_and_end(WARM_UP_SHARE * duration_s)
    return soak_result(rate, duration_s, verification.to_dict(), drained, rss, load.run_dir)
