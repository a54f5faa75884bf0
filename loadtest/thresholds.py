"""Pass/fail thresholds on a load run, like k6's: error rate, p95 latency, throughput.

Judged on Locust's ``Aggregated`` row: every request, including the deliberately bad payloads
(their expected 4xx replies are successes, so only unexpected statuses count as errors).
The p95 is client latency as Locust buckets it (to 100 ms above 1 s): a service-level check,
not the 1 s Lambda duration alarm, which is judged on server-side durations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kernel.errors import UsageError
from loadtest.results import LoadResult
from loadtest.units import parse_duration_s, parse_share


def parse_error_rate(text: str, flag: str = "--max-error-rate") -> float:
    """A share from ``1%`` or ``0.01``."""
    return parse_share(text, flag)


def parse_latency_ms(text: str, flag: str = "--p95") -> float:
    """Milliseconds from ``800ms``, ``1.5s`` or a bare number of milliseconds."""
    return parse_duration_s(text, flag, bare_unit="ms") * 1000


def parse_rps(text: str, flag: str = "--min-rps") -> float:
    """A positive requests-per-second figure."""
    try:
        rps = float(text)
    except ValueError:
        rps = float("nan")
    if not (math.isfinite(rps) and rps > 0):
        raise UsageError(f"{flag}: {text!r} must be a positive number of requests a second")
    return rps


@dataclass(frozen=True)
class Thresholds:
    """Limits a run must meet; None means not checked."""

    max_error_rate: float | None = None
    p95_ms: float | None = None
    min_rps: float | None = None

    def breaches(self, result: LoadResult) -> list[str]:
        """One message per breached threshold, saying by how much (empty if all pass),
        e.g. ``p95 1200 ms > 800 ms (+400 ms)``."""
        total = result.aggregated
        messages: list[str] = []
        if self.max_error_rate is not None:
            rate = total.error_rate
            if rate is None:
                messages.append("error rate: no requests were made")
            elif rate > self.max_error_rate:
                messages.append(
                    f"error rate {rate:.2%} > {self.max_error_rate:.2%} "
                    f"(+{(rate - self.max_error_rate) * 100:.2f} points; "
                    f"{total.failures} of {total.requests} requests failed)"
                )
        if self.p95_ms is not None:
            if total.p95_ms is None:
                messages.append("p95: no requests were made")
            elif total.p95_ms > self.p95_ms:
                messages.append(
                    f"p95 {total.p95_ms:.0f} ms > {self.p95_ms:.0f} ms "
                    f"(+{total.p95_ms - self.p95_ms:.0f} ms)"
                )
        if self.min_rps is not None and total.rps < self.min_rps:
            messages.append(
                f"rps {total.rps:.2f} < {self.min_rps:g} (-{self.min_rps - total.rps:.2f})"
            )
        return messages
