"""Threshold parsing and evaluation against a LoadResult."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.errors import UsageError
from loadtest.results import AGGREGATED, LoadResult, RequestStats
from loadtest.thresholds import Thresholds, parse_error_rate, parse_latency_ms, parse_rps


def _result(requests: int, failures: int, p95_ms: float | None, rps: float) -> LoadResult:
    total = RequestStats(AGGREGATED, requests, failures, 10.0, 5.0, p95_ms, p95_ms, p95_ms, rps)
    return LoadResult(Path("runs/x"), 0, total, {}, {"run_id": "x"})


def test_parsing() -> None:
    assert parse_error_rate("1%") == pytest.approx(0.01)
    assert parse_error_rate("0.02") == pytest.approx(0.02)
    assert parse_latency_ms("800ms") == pytest.approx(800)
    assert parse_latency_ms("1.5s") == pytest.approx(1500)
    assert parse_latency_ms("250") == pytest.approx(250)
    assert parse_rps("10") == 10


@pytest.mark.parametrize(
    ("parse", "text", "flag"),
    [(parse_error_rate, "lots", "--max-error-rate"), (parse_error_rate, "5", "--max-error-rate"),
     (parse_latency_ms, "fast", "--p95"), (parse_latency_ms, "-1s", "--p95"),
     (parse_rps, "ten", "--min-rps"), (parse_rps, "0", "--min-rps"),
     (parse_rps, "inf", "--min-rps")],
)  # fmt: skip
def test_bad_values_name_the_flag(parse, text: str, flag: str) -> None:
    with pytest.raises(UsageError, match=f"^{flag}: "):
        parse(text)


def test_all_met() -> None:
    limits = Thresholds(max_error_rate=0.01, p95_ms=800, min_rps=10)
    assert limits.breaches(_result(1000, 10, 800, 10.0)) == []


def test_each_breach_says_by_how_much() -> None:
    limits = Thresholds(max_error_rate=0.01, p95_ms=800, min_rps=10)
    assert limits.breaches(_result(1000, 25, 1200, 8.2)) == [
        "error rate 2.50% > 1.00% (+1.50 points; 25 of 1000 requests failed)",
        "p95 1200 ms > 800 ms (+400 ms)",
        "rps 8.20 < 10 (-1.80)",
    ]


def test_no_requests_breach_every_threshold() -> None:
    limits = Thresholds(max_error_rate=0.01, p95_ms=800, min_rps=1)
    assert len(limits.breaches(_result(0, 0, None, 0.0))) == 3


def test_no_thresholds_never_breach() -> None:
    assert Thresholds().breaches(_result(10, 10, 5000, 0.1)) == []
