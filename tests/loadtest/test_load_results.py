"""LoadResult: Locust's JSON report parsed per request name, percentiles by Locust's rule."""

from __future__ import annotations

import json
from pathlib import Path

from loadtest.results import AGGREGATED, LoadResult


def _entry(name: str, times: dict[int, int], failures: int, start: float, end: float) -> dict:
    return {
        "name": name,
        "method": "POST",
        "num_requests": sum(times.values()),
        "num_failures": failures,
        "total_response_time": float(sum(ms * n for ms, n in times.items())),
        "max_response_time": float(max(times)),
        "min_response_time": float(min(times)),
        "response_times": {str(ms): n for ms, n in times.items()},
        "start_time": start,
        "last_request_timestamp": end,
    }


def _write_run(run_dir: Path, entries: list[dict]) -> LoadResult:
    run_dir.mkdir()
    (run_dir / "locust.json").write_text(json.dumps(entries))
    (run_dir / "manifest.json").write_text(json.dumps({"run_id": "r1", "locust_exit_code": 1}))
    (run_dir / "accepted.101.txt").write_text("a\nb\n")
    (run_dir / "accepted.202.txt").write_text("c\n")
    return LoadResult.load(run_dir)


def test_per_name_and_aggregated(tmp_path: Path) -> None:
    valid = _entry("POST /register [valid]", {10: 90, 20: 6, 1200: 4}, 0, 100.0, 110.0)
    bad = _entry("POST /register [duplicate]", {5: 10}, 2, 100.0, 105.0)
    result = _write_run(tmp_path / "r1", [valid, bad])

    row = result.by_name["POST /register [valid]"]
    assert (row.requests, row.failures, row.rps) == (100, 0, 10.0)
    assert result.by_name["POST /register [duplicate]"].rps == 1.0  # over the whole test
    assert (row.p50_ms, row.p95_ms, row.p99_ms, row.max_ms) == (10.0, 20.0, 1200.0, 1200.0)
    assert row.avg_ms == (900 + 120 + 4800) / 100

    total = result.aggregated
    assert total.name == AGGREGATED and (total.requests, total.failures) == (110, 2)
    assert total.error_rate == 2 / 110 and total.rps == 11.0
    assert (total.p50_ms, total.p95_ms, total.p99_ms) == (10.0, 20.0, 1200.0)
    assert result.run_id == "r1" and result.exit_code == 1
    assert sorted(result.accepted_ids()) == ["a", "b", "c"]


def test_no_requests(tmp_path: Path) -> None:
    result = _write_run(tmp_path / "r2", [])
    total = result.aggregated
    assert (total.requests, total.p95_ms, total.error_rate, total.rps) == (0, None, None, 0.0)
    assert result.by_name == {}
