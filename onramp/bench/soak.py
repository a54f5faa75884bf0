"""Load soak: Locust against the embedded stack for a long while, twice, then drain and verify.

At the highest rate the pipeline sustains (from the pipeline benchmark, or given), for
``duration_s`` (default 10 minutes): zero lost, zero duplicate emails (onramp.verify), and the
memory of every process (the runtime, its handler workers and the embedded AWS, which holds
every row, object, pool user and email the pipeline stores, as AWS's disks would) judged
against the data it holds:

- growth: what all processes grew from the end of the warm-up to the end of the drain, over
  what the stored data grew (``stored_data``, a lower bound), at most 1.5x (issue 23);
- flat when the data is cleared: the stores are emptied (``clear_stored_data``) and the same
  load runs again; the highest reading of that second leg is at most 1.10x the first leg's
  end, so what the data took is used again rather than kept.

Resident memory is read once the warm-up share of the first leg has passed (workers start
lazily), every 5 s after that, and after each drain.

Example::

    result = run(rate=20, duration_s=600, out=Path("runs"))
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from onramp.bench.result import BenchResult, Figure

if TYPE_CHECKING:
    from onramp.local.stack import EmbeddedStack

GROWTH_LIMIT = 1.5
FLAT_RATIO = 1.10
WARM_UP_SHARE = 0.1
SAMPLE_INTERVAL_S = 5.0
DRAIN_TIMEOUT_S = 180.0
MIB = 1024 * 1024


def all_rss(root: psutil.Process | None = None) -> int:
    """Resident memory of ``root`` (this process) and every process under it."""
    root = root or psutil.Process()
    return process_rss(root) + sum(process_rss(c) for c in root.children(recursive=True))


def process_rss(process: psutil.Process) -> int:
    """Resident memory of one process (0 once it has exited)."""
    try:
        return int(process.memory_info().rss)
    except psutil.Error:  # a worker that exited between listing and reading
        return 0


@dataclass(frozen=True)
class MemoryPoint:
    """Resident memory at one moment: every process's, the embedded AWS's alone, and the
    stored data the AWS holds (a lower bound)."""

    total: int
    aws: int
    stored: int


@dataclass(frozen=True)
class MemoryLeg:
    """The readings of one leg: after its warm-up, the highest total since, after its drain."""

    start: MemoryPoint
    end: MemoryPoint
    peak: int


@dataclass(frozen=True)
class MemoryRun:
    """Both legs: the first fills the stores, the second refills them once cleared."""

    first: MemoryLeg
    second: MemoryLeg

    @property
    def growth(self) -> float:
        """All processes' growth over the first leg, over the stored data's growth."""
        grown = self.first.end.total - self.first.start.total
        stored = self.first.end.stored - self.first.start.stored
        return grown / stored if stored > 0 else float("inf")

    @property
    def refill(self) -> float:
        """The second leg's highest total over the first leg's end."""
        highest = max(self.second.peak, self.second.end.total)
        return highest / self.first.end.total if self.first.end.total > 0 else float("inf")


@dataclass
class MemorySampler:
    """While in a ``with`` block: ``start`` is taken ``warm_up_s`` after entering (on a daemon
    thread), the total every ``interval_s`` after that, ``end`` on leaving (``end`` stands for
    ``start`` when the block ended sooner). ``aws_pid`` is the embedded AWS's process,
    ``stored`` measures its stored data (read at start and end only: it walks every stored
    object)."""

    warm_up_s: float
    aws_pid: int
    stored: Callable[[], int]
    interval_s: float = SAMPLE_INTERVAL_S
    start: MemoryPoint | None = None
    end: MemoryPoint | None = None
    peak: int = 0
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

    def leg(self) -> MemoryLeg:
        """The readings; valid after the ``with`` block."""
        if self.start is None or self.end is None:
            raise RuntimeError("MemorySampler has not finished")
        return MemoryLeg(self.start, self.end, max(self.peak, self.start.total))

    def _point(self) -> MemoryPoint:
        aws = process_rss(psutil.Process(self.aws_pid))
        return MemoryPoint(all_rss(), aws, self.stored())

    def _after_warm_up(self) -> None:
        if self._stop.wait(self.warm_up_s):
            return
        self.start = self._point()
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, all_rss())


def soak_result(
    rate: float,
    duration_s: float,
    verifications: list[dict[str, Any]],
    drained: bool,
    memory: MemoryRun,
    run_dir: Path,
) -> BenchResult:
    """Figures: lost or doubled (both legs' verifications), growth against stored data,
    flat once cleared."""
    problems = [p for v in verifications for p in v["problems"]]
    first, second = memory.first, memory.second
    accepted = verifications[0]["accepted"]
    return BenchResult(
        name="soak",
        title=f"Load soak: {duration_s:g} s at {rate:g} registrations/s, twice",
        figures=[
            Figure(
                "accepted registrations lost or emailed twice (both legs)",
                "none" if drained and not problems else f"{len(problems)} problem(s)",
                "none",
                drained and not problems,
            ),
            Figure(
                "memory growth of all processes (runtime, workers, embedded AWS) over the "
                "stored data it holds, first leg",
                f"{_per_thousand(first.end.total - first.start.total, accepted)} per 1,000 "
                f"onboardings for {_per_thousand(first.end.stored - first.start.stored, accepted)}"
                " stored",
                f"<= {GROWTH_LIMIT:.1f}x",
                memory.growth <= GROWTH_LIMIT,
                memory.growth,
            ),
            Figure(
                "all processes after the data was cleared and loaded again: highest / the "
                "first leg's end",
                f"{first.end.total / MIB:.0f} MiB -> peak {second.peak / MIB:.0f} MiB, "
                f"after the drain {second.end.total / MIB:.0f} MiB",
                f"<= {FLAT_RATIO:.2f}x",
                memory.refill <= FLAT_RATIO,
                memory.refill,
            ),
        ],
        header=["leg", "accepted", "completed", "failed", "emails", "dead letters", "drained"],
        rows=[
            [
                label,
                *(str(v[k]) for k in ("accepted", "completed", "failed", "emails")),
                str(v["dead_letters"]),
                "yes" if drained else "no",
            ]
            for label, v in zip(("first", "second (after clearing)"), verifications, strict=True)
        ],
        notes=[
            f"Locust runs: {run_dir}/first and {run_dir}/second",
            f"all processes: {first.start.total / MIB:.0f} MiB after the warm-up -> "
            f"{first.end.total / MIB:.0f} MiB after the first drain; of which the embedded AWS "
            f"{first.start.aws / MIB:.0f} -> {first.end.aws / MIB:.0f} MiB; stored data "
            "(DynamoDB rows and stream records, S3 objects, Cognito users, emails, queued "
            f"messages; a lower bound) {first.start.stored / MIB:.0f} -> "
            f"{first.end.stored / MIB:.0f} MiB",
            *problems,
        ],
    )


def _per_thousand(grown_bytes: int, accepted: int) -> str:
    if not accepted:
        return "n/a (nothing accepted)"
    return f"{grown_bytes / MIB * 1000 / accepted:.1f} MiB"


def run(rate: float, duration_s: float, out: Path) -> BenchResult:
    """Soak the embedded stack at ``rate`` for ``duration_s``, clear its data, soak it again;
    drain and verify each leg; report."""
    from onramp.demo import LOCAL_PARAMETERS
    from onramp.local.stack import EmbeddedStack

    with EmbeddedStack(parameters=LOCAL_PARAMETERS) as stack:

        def stored() -> int:
            return sum(stack.stored_data().values())

        first = MemorySampler(WARM_UP_SHARE * duration_s, stack.aws_pid, stored)
        with first:
            drained, verification = _leg(stack, rate, duration_s, out / "first")
        stack.clear_stored_data()
        second = MemorySampler(0.0, stack.aws_pid, stored)
        with second:
            drained_again, verified_again = _leg(stack, rate, duration_s, out / "second")
    return soak_result(
        rate,
        duration_s,
        [verification, verified_again],
        drained and drained_again,
        MemoryRun(first.leg(), second.leg()),
        out,
    )


def _leg(
    stack: EmbeddedStack, rate: float, duration_s: float, out: Path
) -> tuple[bool, dict[str, Any]]:
    """Locust at ``rate`` for ``duration_s``, the drain, the verification of what it sent."""
    from loadtest.progress import ConsoleProgress
    from loadtest.runner import run_locust
    from onramp.verify import verify_run

    progress = ConsoleProgress(sys.stderr)
    load = run_locust(
        stack.api_url, rate=rate, duration_s=duration_s, out_dir=out, progress=progress
    )
    progress.finish()
    drained = stack.wait_until_drained(timeout=DRAIN_TIMEOUT_S)
    verification = verify_run(
        load.accepted_ids(), stack.users(), stack.sent_emails(), stack.dead_letters()
    )
    return drained, verification.to_dict()
