"""measurement.json: the typed model, per-onboarding derivation, schema validation, errors."""

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from costmodel.measurement import (
    Measurement,
    load_measurement,
    validation_errors,
    write_measurement,
)
from kernel.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
WRITTEN_BEFORE_THE_TYPED_MODEL = [
    ROOT / "samples" / "sample-run" / "measurement.json",  # the embedded stack's recorder
    Path(__file__).with_name("data") / "cloudwatch_measurement.json",  # the staging collector
]


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


def test_per_onboarding_divides_by_accepted_onboardings() -> None:
    measurement = Measurement.from_dict(totals())
    per = measurement.per_onboarding()
    assert per.api_requests == Decimal("1.2")
    assert per.write_request_units == {"users": 3}
    assert per.billed_ms == {"register": 5}
    assert per.emails == Decimal("0.9")
    assert per.items_written == {"users": 1}  # not counted: one row per onboarding
    block = measurement.to_dict()["per_onboarding"]
    assert block == per.to_dict()
    assert (block["api_requests"], block["write_request_units"]) == (1.2, 3.0)
    assert (block["billed_ms"], block["emails"]) == ({"register": 5.0}, 0.9)


@pytest.mark.parametrize("path", WRITTEN_BEFORE_THE_TYPED_MODEL, ids=lambda p: p.name)
def test_files_written_before_the_typed_model_round_trip_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    measurement = Measurement.from_json(text, str(path))
    assert measurement.to_json() == text
    # the file's per_onboarding block is the typed division, as JSON numbers
    assert measurement.per_onboarding().to_dict() == json.loads(text)["per_onboarding"]


def test_building_an_invalid_measurement_fails() -> None:
    measurement = Measurement.from_dict(totals())
    with pytest.raises(ValueError, match="invocations"):
        replace(
            measurement,
            functions={"register": replace(measurement.functions["register"], invocations=-1)},
        )
    with pytest.raises(ValueError, match="no accepted onboarding"):
        replace(measurement, onboardings=replace(measurement.onboardings, accepted=0))


def test_round_trip_and_schema_errors(tmp_path: Path) -> None:
    path = write_measurement(Measurement.from_dict(totals()), tmp_path / "run" / "measurement.json")
    assert load_measurement(path.parent).run_id == "r1"
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
    bad.write_text("[]")
    with pytest.raises(UsageError, match=r"bad\.json is not a JSON object"):
        load_measurement(bad)
    nobody = json.loads(WRITTEN_BEFORE_THE_TYPED_MODEL[0].read_text())
    nobody["onboardings"]["accepted"] = 0  # valid for the schema, but nothing to divide by
    bad.write_text(json.dumps(nobody))
    with pytest.raises(UsageError, match=r"bad\.json: no accepted onboarding"):
        load_measurement(bad)
