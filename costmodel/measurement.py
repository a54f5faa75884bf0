"""measurement.json: what one run did, in one schema whether it ran locally or on staging.

The embedded stack and the CloudWatch collector build the totals; ``finalise`` derives the
``per_onboarding`` block; the cost model reads it back with ``load_measurement``.

Example::

    m = finalise(totals)            # totals: every block but per_onboarding
    write_measurement(m, run_dir / "measurement.json")
    m = load_measurement(run_dir / "measurement.json")
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from kernel.errors import UsageError

SCHEMA_PATH = Path(__file__).with_name("measurement.schema.json")


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every measurement.json satisfies."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def validation_errors(measurement: dict[str, Any]) -> list[str]:
    """Every schema violation as ``path: message``; empty when the measurement is valid."""
    validator = jsonschema.Draft202012Validator(schema())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(measurement), key=lambda e: e.path)
    ]


def per_onboarding(measurement: dict[str, Any]) -> dict[str, Any]:
    """Totals divided by accepted onboardings (rejected requests' cost rides on them)."""
    accepted: int = measurement["onboardings"]["accepted"]
    if accepted <= 0:
        raise ValueError("a measurement with no accepted onboarding has no per-onboarding figures")

    def each(value: float) -> float:
        return value / accepted

    functions = measurement["functions"]
    tables = measurement["dynamodb"].values()
    return {
        "api_requests": each(measurement["api"]["metered_requests"]),
        "api_request_bytes": each(measurement["api"]["request_bytes_total"]),
        "invocations": {key: each(f["invocations"]) for key, f in functions.items()},
        "billed_ms": {key: each(f["billed_ms_total"]) for key, f in functions.items()},
        "write_request_units": each(sum(t["write_request_units"] for t in tables)),
        "read_request_units": each(sum(t["read_request_units"] for t in tables)),
        "log_bytes": each(measurement["logs"]["bytes_ingested"]),
        "emails": each(measurement["ses"]["recipients"]),
        "s3_put_requests": each(measurement["s3"]["put_requests"]),
        "s3_get_requests": each(measurement["s3"]["get_requests"]),
        "sqs_requests": each(measurement["sqs"]["requests"]),
    }


def finalise(totals: dict[str, Any]) -> dict[str, Any]:
    """Add ``per_onboarding`` to the totals and check the result against the schema."""
    measurement = {**totals, "per_onboarding": per_onboarding(totals)}
    errors = validation_errors(measurement)
    if errors:
        raise ValueError("measurement does not match its schema: " + "; ".join(errors))
    return measurement


def write_measurement(measurement: dict[str, Any], path: Path) -> Path:
    """Write a finalised measurement as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(measurement, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def load_measurement(path: Path | str) -> dict[str, Any]:
    """Read and validate a measurement.json (a run directory is accepted too)."""
    path = Path(path)
    if path.is_dir():
        path = path / "measurement.json"
    try:
        measurement = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read measurement {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"measurement {path} is not valid JSON: {exc}") from exc
    if not isinstance(measurement, dict):
        raise UsageError(f"measurement {path} is not a JSON object")
    errors = validation_errors(measurement)
    if errors:
        raise UsageError(f"measurement {path} does not match the schema: {errors[0]}")
    return measurement
