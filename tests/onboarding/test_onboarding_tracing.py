"""Tracing follows Powertools' rule, and the local tracer never loads the X-Ray SDK core."""

import subprocess
import sys
from pathlib import Path

import pytest
from onboarding.adapters.tracing import tracing_enabled

SRC = Path(__file__).resolve().parents[2] / "stack" / "src"


@pytest.mark.parametrize(
    ("environment", "enabled"),
    [
        ({}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "0"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
    ],
)
def test_tracing_enabled(monkeypatch, environment, enabled):
    for name in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert tracing_enabled() is enabled


def test_handlers_import_without_the_xray_sdk_core_when_tracing_is_off():
    code = (
        "import sys, onboarding.handlers.register, onboarding.handlers.enrich, "
        "onboarding.handlers.provision, onboarding.handlers.datalake; "
        "print('aws_xray_sdk.core' in sys.modules)"
    )
    environment = {"PYTHONPATH": str(SRC), "POWERTOOLS_TRACE_DISABLED": "true"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
