"""A Locust run's results, parsed from its JSON report (no Locust import).

The JSON report is written after the last request has finished; the stats CSV is a snapshot
taken every second, so it can miss the requests still in flight when the test stopped. The
JSON holds each request name's response-time histogram: percentiles are computed from it
with Locust's own rule, and the aggregate by merging the histograms.

Locust keeps response times in buckets: exact below 100 ms, rounded to 10 ms up to 1 s, to
100 ms up to 10 s, to 1 s beyond. Percentiles above 1 s are therefore only good to 100 ms;
the 1 s Lambda duration alarm is judged on server-side durations, never on these.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AGGREGATED = "Aggregated"
HISTORY_CSV = "locust_stats_history.csv"
HTML_REPORT = "locust.html"
JSON_REPORT = "locust.json"
LOG_FILE = "locust.log"
MANIFEST = "manifest.json"
ACCEPTED_FILE = "accepted.txt"


@dataclass(frozen=True)
class RequestStats:
    """One row of Locust's stats: a request name (one per payload kind) or the aggregate."""

    name: str
    requests: int
    failures: int
    avg_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    rps: float

    @property
    def error_rate(self) -> float | None:
        """Failures over requests (None without requests)."""
        return self.failures / self.requests if self.requests else None

    @classmethod
    def from_entries(cls, name: str, entries: list[dict[str, Any]], span_s: float) -> RequestStats:
        """Merge Locust JSON entries (one per name and method) into one row called ``name``;
        ``span_s`` is the whole test's span, the divisor of every rate (as in Locust)."""
        requests = sum(entry["num_requests"] for entry in entries)
        histogram: Counter[int] = Counter()
        for entry in entries:
            histogram.update({int(ms): count for ms, count in entry["response_times"].items()})
        timed = sum(histogram.values())
        return cls(
            name=name,
            requests=requests,
            failures=sum(entry["num_failures"] for entry in entries),
            avg_ms=sum(e["total_response_time"] for e in entries) / timed if timed else None,
            p50_ms=_percentile(histogram, 0.50),
            p95_ms=_percentile(histogram, 0.95),
            p99_ms=_percentile(histogram, 0.99),
            max_ms=max((e["max_response_time"] for e in entries), default=None) if timed else None,
            rps=requests / span_s if span_s > 0 else 0.0,
        )


@dataclass(frozen=True)
class LoadResult:
    """What a run produced: per-name stats, the aggregate, exit code, and where the files are."""

    run_dir: Path
    exit_code: int
    aggregated: RequestStats
    by_name: dict[str, RequestStats]
    manifest: dict[str, Any]

    @property
    def run_id(self) -> str:
        """The run's id (the directory name under the runs root)."""
        return str(self.manifest["run_id"])

    def accepted_ids(self) -> list[str]:
        """user_ids the API accepted (202), from every Locust process's accepted file."""
        return accepted_ids_in(self.run_dir)

    @classmethod
    def load(cls, run_dir: Path) -> LoadResult:
        """Read a finished run directory (its JSON report and manifest)."""
        entries = json.loads((run_dir / JSON_REPORT).read_text(encoding="utf-8"))
        manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
        names = sorted({entry["name"] for entry in entries})
        span_s = _span_s(entries)
        return cls(
            run_dir=run_dir,
            exit_code=int(manifest["locust_exit_code"]),
            aggregated=RequestStats.from_entries(AGGREGATED, entries, span_s),
            by_name={
                name: RequestStats.from_entries(
                    name, [e for e in entries if e["name"] == name], span_s
                )
                for name in names
            },
            manifest=manifest,
        )


def _span_s(entries: list[dict[str, Any]]) -> float:
    """Seconds from the first entry's start to the last request of any entry."""
    starts = [entry["start_time"] for entry in entries if entry["start_time"]]
    ends = [entry["last_request_timestamp"] for entry in entries if entry["last_request_timestamp"]]
    return max(ends) - min(starts) if starts and ends else 0.0


def _percentile(histogram: Counter[int], share: float) -> float | None:
    """Locust's rule: the largest bucket with more than ``1 - share`` of requests at or above."""
    total = sum(histogram.values())
    if not total:
        return None
    allowed_below = int(total * share)
    seen = 0
    for bucket in sorted(histogram, reverse=True):
        seen += histogram[bucket]
        if total - seen <= allowed_below:
            return float(bucket)
    return 0.0


def accepted_ids_in(run_dir: Path) -> list[str]:
    """user_ids the API accepted (202) in a run, from every Locust process's accepted file."""
    stem, suffix = Path(ACCEPTED_FILE).stem, Path(ACCEPTED_FILE).suffix
    ids: list[str] = []
    for path in sorted(run_dir.glob(f"{stem}.*{suffix}")):
        ids.extend(line for line in path.read_text(encoding="utf-8").splitlines() if line)
    return ids
