"""Shared inputs of the scenario tests: the fixed test template and a measurement builder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from costmodel.forecast.scenario import Scenario, load_scenario

TEMPLATE = Path(__file__).with_name("data") / "pipeline_template.yaml"


def fixture_scenario(free_tier: str = "none") -> Scenario:
    """The documented defaults on the test template (alarms: 5 metrics + 1 anomaly)."""
    return load_scenario(template=TEMPLATE, free_tier=free_tier)


def measurement_totals(accepted: int = 1000) -> dict[str, Any]:
    """Totals of a plausible run (every block of measurement.json but per_onboarding)."""

    def function(invocations: int, billed_ms: int, log_bytes: int) -> dict[str, Any]:
        return {
            "memory_mb": 256,
            "architecture": "arm64",
            "timeout_s": 10,
            "invocations": invocations,
            "errors": 0,
            "timeouts": 0,
            "records": invocations,
            "cold_starts": 1,
            "init_ms_total": 300.0,
            "duration_ms": {"mean": 10.0, "p50": 9.0, "p95": 20.0, "p99": 30.0, "max": 60.0},
            "billed_ms_total": billed_ms,
            "log_bytes": log_bytes,
        }

    return {
        "schema_version": 1,
        "source": "embedded",
        "run_id": "20261129T101500Z-test",
        "region": "us-east-1",
        "window": {"start": "2026-11-29T10:15:00Z", "end": "2026-11-29T10:16:00Z", "seconds": 60},
        "onboardings": {
            "accepted": accepted,
            "completed": accepted - 50,
            "failed": 50,
            "rejected": 250,
            "lost": 0,
        },
        "api": {
            "type": "http",
            "requests": accepted + 250,
            "metered_requests": accepted + 250,
            "request_bytes_total": (accepted + 250) * 300,
        },
        "functions": {
            "register": function(accepted + 250, 20 * (accepted + 250), 500 * (accepted + 250)),
            "enrich": function(accepted // 2, 60 * accepted, 800 * accepted),
            "provision": function(accepted // 2, 300 * accepted, 900 * accepted),
        },
        "dynamodb": {
            "users": {
                "write_request_units": 5 * accepted,
                "read_request_units": 0,
                "items_written": 3 * accepted,
                "mean_item_bytes": 1000.0,
            },
            "audit": {
                "write_request_units": 3 * accepted,
                "read_request_units": 0,
                "items_written": 3 * accepted,
                "mean_item_bytes": 250.0,
            },
        },
        "s3": {"put_requests": 2 * accepted, "get_requests": 0, "bytes_stored": 0},
        "cognito": {"users_created": accepted - 50},
        "ses": {"messages": accepted - 50, "recipients": accepted - 50},
        "sqs": {"requests": 10},
        "logs": {"bytes_ingested": 4000 * accepted},
    }
