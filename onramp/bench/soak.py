"""Load soak: Locust against the embedded stack for a long while, then drain and verify.

At the highest rate the pipeline sustains (from the pipeline benchmark, or given), for
``duration_s`` (default 10 minutes): zero lost, zero duplicate emails (onramp.verify), and the
memory of the local runtime flat. The runtime is this process (HTTP API, stream pumps,
invoker, recorder) and its handler worker processes; the embedded AWS (moto's server, which
holds every row, object, policy and email the pipeline stores, as AWS's disks would) runs in
a process of its own and is reported apart, with the stored data it holds. Resident memory is
taken once the warm-up share of the run has passed (workers are started lazily), every 5 s
after that (the runtime's peak), and after the drain; flat means the runtime's highest
reading after the warm-up is at most 1.10x the first.

Example::

    result = run(rate=20, duration_s=600, out=Path("runs"))
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from onramp.bench.result import BenchResult, Figure

FLAT_RATIO = 1.10
WARM_UP_SHARE = 0.1
SAMPLE_INTERVAL_S = 5.0
DRAIN_TIMEOUT_S = 180.0
MIB = 1024 * 1024


def runtime_rss(aws_pid: int | None = None) -> int:
    """Resident memory of this process and its children, the AWS process (``aws_pid``) aside."""
    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        if child.pid != aws_pid:
            total += process_rss(child)
    return total


def process_rss(process: psutil.Process) -> int:
    """Resident memory of one process (0 once it has exited)."""
    try:
        return int(process.memory_info().rss)
    except psutil.Error:  # a worker that exited between listing and reading
        return 0


@dataclass(frozen=True)
class MemoryPoint:
    """Resident memory at one moment: the runtime's, the embedded AWS's, and the stored data
    the AWS holds (a lower bound)."""

    runtime: int
    aws: int
    stored: int


@dataclass(frozen=True)
class MemoryRun:
    """The readings of one run: after the warm-up, the runtime's peak since, after the drain."""

    start: MemoryPoint
    end: MemoryPoint
    peak_runtime: int

    @property
    def growth(self) -> float:
        """The runtime's highest reading after the warm-up over its first."""
        highest = max(self.peak_runtime, self.end.runtime)
        return highest / self.start.runtime if self.start.runtime > 0 else float("inf")


@dataclass
class MemorySampler:
    """While in a ``with`` block: ``start`` is taken ``warm_up_s`` after entering (on a daemon
    thread), the runtime's RSS every ``interval_s`` after that, ``end`` on leaving (``end``
    stands for ``start`` when the block ended sooner). ``aws_pid`` is the embedded AWS's
    process, ``stored`` measures its stored data (read at start and end only: it walks every
    stored object)."""

    warm_up_s: float
    aws_pid: int
    stored: Callable[[], int]
    interval_s: float = SAMPLE_INTERVAL_S
    start: MemoryPoint | None = None
    end: MemoryPoint | None = None
    peak_runtime: int = 0
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

    def run(self) -> MemoryRun:
        """The readings; valid after the ``with`` block."""
        if self.start is None or self.end is None:
            raise RuntimeError("MemorySampler has not finished")
        return MemoryRun(self.start, self.end, max(self.peak_runtime, self.start.runtime))

    def _point(self) -> MemoryPoint:
        aws = process_rss(psutil.Process(self.aws_pid))
        return MemoryPoint(runtime_rss(self.aws_pid), aws, self.stored())

    def _after_warm_up(self) -> None:
        if self._stop.wait(self.warm_up_s):
            return
        self.start = self._point()
        while not self._stop.wait(self.interval_s):
            self.peak_runtime = max(self.peak_runtime, runtime_rss(self.aws_pid))


def soak_result(
    rate: float,
    duration_s: float,
    verification: dict,
    drained: bool,
    memory: MemoryRun,
    run_dir: Path,
) -> BenchResult:
    """Figures: lost, duplicate emails (from the verification) and the runtime memory ratio."""
    start, end, growth = memory.start, memory.end, memory.growth
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
                "runtime memory, highest after the warm-up / first (RSS of this process +"
                " handler workers; the embedded AWS apart)",
                f"{start.runtime / MIB:.0f} MiB, peak {memory.peak_runtime / MIB:.0f} MiB,"
                f" after the drain {end.runtime / MIB:.0f} MiB",
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
            f"embedded AWS process (moto) RSS: {start.aws / MIB:.0f} MiB -> "
            f"{end.aws / MIB:.0f} MiB, of which stored data (DynamoDB rows and stream records,"
            f" S3 objects, Cognito users, emails, queued messages; a lower bound): "
            f"{start.stored / MIB:.0f} MiB -> {end.stored / MIB:.0f} MiB",
            "growth per 1,000 accepted onboardings: runtime "
            f"{_per_thousand(end.runtime - start.runtime, verification)}, embedded AWS "
            f"{_per_thousand(end.aws - start.aws, verification)}, stored data "
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
    from onramp.verify import verify_run

    with EmbeddedStack(parameters=LOCAL_PARAMETERS) as stack:
        sampler = MemorySampler(
            WARM_UP_SHARE * duration_s, stack.aws_pid, lambda: sum(stack.stored_data().values())
        )
        with sampler:
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
        rate, duration_s, verification.to_dict(), drained, sampler.run(), load.run_dir
    )
