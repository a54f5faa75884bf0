"""measurement.json: per-onboarding derivation, schema validation, clear errors."""

import json
from pathlib import Path

import pytest

from costmodel.measurement import finalise, load_measurement, validation_errors, write_measurement
from kernel.errors import UsageError


def totals() -> dict:
    fn = {
        "memory_mb": 256,
        "architecture": "arm64",
        "invocations": 10,
        "errors": 0,
        "duration_ms": {"mean": 5.0, "p50": 4.0, "p95": 9.0, "p99": 9.5, "max": 10.0},
        "billed_ms_total": 50,
        "init_ms_total": 300.0,
        "cold_starts": 1,
        "log_bytes": 2000,
    }
    return {
        "schema_version": 1,
        "source": "embedded",
        "run_id": "r1",
        "region": "us-east-1",
        "window": {"start": "2026-11-29T10:00:00Z", "end": "2026-11-29T10:01:00Z", "seconds": 60},
        "onboardings": {"accepted": 10, "completed": 9, "failed": 1, "rejected": 2, "lost": 0},
        "api": {
            "type": "http",
            "requests": 12,
            "metered_requests": 12,
            "request_bytes_total": 1200,
        },
        "functions": {"register": fn},
        "dynamodb": {"users": {"write_request_units": 30, "read_request_units": 0}},
        "s3": {"put_requests": 9, "get_requests": 0},
        "cognito": {"users_created": 9},
        "ses": {"messages": 9, "recipients": 9},
        "sqs": {"requests": 0},
        "logs": {"bytes_ingested": 2000},
    }


def test_finalise_divides_by_accepted_onboardings() -> None:
    per = finalise(totals())["per_onboarding"]
    assert per["api_requests"] == 1.2
    assert per["write_request_units"] == 3.0
    assert per["billed_ms"] == {"register": 5.0}
    assert per["emails"] == 0.9


def test_round_trip_and_schema_errors(tmp_path: Path) -> None:
    path = write_measurement(finalise(totals()), tmp_path / "run" / "measurement.json")
    assert load_measurement(path.parent)["run_id"] == "r1"
    broken = json.loads(path.read_text())
    broken["functions"]["register"]["invocations"] = -1
    assert any("invocations" in e for e in validation_errors(broken))
    path.write_text(json.dumps(broken))
    with pytest.raises(UsageError, match="does not match the schema"):
        load_measurement(path)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read measurement"):
        load_measurement(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError, match="not valid JSON"):
        load_measurement(bad)
