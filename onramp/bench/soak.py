"""Load soak: Locust against the embedded stack for a long while, then drain and verify.

At the highest rate the pipeline sustains (from the pipeline benchmark, or given), for
``duration_s`` (default 10 minutes): zero lost, zero duplicate emails (onramp.verify), and the
memory of the local runtime flat. Resident memory (this process and its handler worker
processes) is taken once the warm-up share of the run has passed (workers are started
lazily) and again after the drain. At both points
the embedded AWS's stored data (rows, S3 objects, policies, emails: ``stored_data``) is
measured too: it grows with every onboarding by design, as AWS's disks would, so the runtime
is judged on RSS minus stored data; flat means end/start <= 1.10. Both raw figures are shown.

Example::

    result = run(rate=20, duration_s=600, out=Path("runs"))
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from onramp.bench.result import BenchResult, Figure

FLAT_RATIO = 1.10
WARM_UP_SHARE = 0.1
DRAIN_TIMEOUT_S = 180.0
KIB = 1024
MIB = KIB * KIB


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


@dataclass(frozen=True)
class MemoryPoint:
    """Resident memory and the stored data's share of it, at one moment."""

    rss: int
    stored: int

    @property
    def runtime(self) -> int:
        """What the runtime itself holds: RSS minus the stored data."""
        return self.rss - self.stored


@dataclass
class MemorySampler:
    """While in a ``with`` block: ``start`` is taken ``warm_up_s`` after entering (on a daemon
    thread), ``end`` on leaving (and stands for ``start`` when the block ended sooner)."""

    warm_up_s: float
    stored: Callable[[], int]
    start: MemoryPoint | None = None
    end: MemoryPoint | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._after_warm_up, name="onramp-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.end = self._point()
        self.start = self.start or self.end

    def points(self) -> tuple[MemoryPoint, MemoryPoint]:
        """(start, end); valid after the ``with`` block."""
        if self.start is None or self.end is None:
            raise RuntimeError("MemorySampler has not finished")
        return self.start, self.end

    def _point(self) -> MemoryPoint:
        return MemoryPoint(rss_bytes(), self.stored())

    def _after_warm_up(self) -> None:
        if not self._stop.wait(self.warm_up_s):
            self.start = self._point()


def soak_result(
    rate: float,
    duration_s: float,
    verification: dict,
    drained: bool,
    memory: tuple[MemoryPoint, MemoryPoint],
    run_dir: Path,
) -> BenchResult:
    """Figures: lost, duplicate emails (from the verification) and the runtime memory ratio."""
    start, end = memory
    growth = end.runtime / start.runtime if start.runtime > 0 else float("inf")
    problems = verification["problems"]
    return BenchResult(
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
                "runtime memory end / start (RSS of this process + handler workers,"
                " minus the stored data)",
                f"{start.runtime / MIB:.0f} MiB -> {end.runtime / MIB:.0f} MiB",
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
            f"RSS (this process + handler workers): {start.rss / MIB:.0f} MiB -> "
            f"{end.rss / MIB:.0f} MiB ({end.rss / start.rss:.2f}x)",
            "stored data (DynamoDB rows and stream records, S3 objects, IAM policies, emails,"
            f" queued messages; a lower bound): {start.stored / MIB:.0f} MiB -> "
            f"{end.stored / MIB:.0f} MiB",
            "per 1,000 accepted onboardings: RSS "
            f"{_per_thousand(end.rss - start.rss, verification)}, stored data "
            f"{_per_thousand(end.stored - start.stored, verification)}",
            *problems,
        ],
    )


def _per_thousand(grown_bytes: int, verification: dict) -> str:
    accepted = verification["accepted"]
    if not accepted:
        return "n/a (nothing accepted)"
    return f"{grown_bytes / MIB * 1000 / accepted:.1f} MiB"


def run(rate: float, duration_s: float, out: Path) -> BenchResult:
    """Soak the embedded stack at ``rate`` for ``duration_s``; drain, verify, report."""
    from loadtest.progress import ConsoleProgress
    from loadtest.runner import run_locust
    from onramp.demo import LOCAL_PARAMETERS
    from onramp.local.stack import EmbeddedStack
    from onramp.local.stored_data import stored_data_bytes
    from onramp.verify import verify_run

    sampler = MemorySampler(WARM_UP_SHARE * duration_s, lambda: sum(stored_data_bytes().values()))
    with EmbeddedStack(parameters=LOCAL_PARAMETERS) as stack, sampler:
        progress = ConsoleProgress(sys.stderr)
        load = run_locust(
            stack.api_url, rate=rate, duration_s=duration_s, out_dir=out, progress=progress
        )
        progress.finish()
        drained = stack.wait_until_drained(timeout=DRAIN_TIMEOUT_S)
        verification = verify_run(
            load.accepted_ids(), stack.users(), stack.sent_emails(), stack.dead_letters()
        )
    return soak_result(
        rate, duration_s, verification.to_dict(), drained, sampler.points(), load.run_dir
    )
