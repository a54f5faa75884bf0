"""checkov scans stack/template.yaml: no failed check, and every skipped check carries a
specific written justification in the resource's Metadata (checkov.skip[].comment).

checkov evaluates the template's conditions with the parameters' defaults, so resources behind
a condition that is off by default (the data lake) are not scanned at all: the template is
scanned twice, as it is and with ``EnableDataLake`` defaulting to true.

checkov pins dependencies that conflict with the project's (boto3, packaging, networkx), so
it lives in its own virtual environment, .venv-checkov (see docs/security.md to create it).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
TEMPLATE = REPO / "stack" / "template.yaml"
MIN_JUSTIFICATION_WORDS = 15
CHECKOV_FLAGS = ("--compact", "--skip-download", "--output", "json")  # offline


def checkov_report(template: Path) -> dict[str, Any]:
    """checkov's JSON report of one CloudFormation/SAM file (offline: --skip-download)."""
    if not CHECKOV.exists():
        pytest.fail(
            f"{CHECKOV} is missing: python3 -m venv .venv-checkov && "
            ".venv-checkov/bin/pip install checkov (docs/security.md)"
        )
    proc = subprocess.run(
        [str(CHECKOV), "--file", str(template), "--framework", "cloudformation", *CHECKOV_FLAGS],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_OUTPUT_COLOR": "1"},
    )
    assert proc.returncode in (0, 1), proc.stderr  # 1 = findings; anything else = crash
    report = json.loads(proc.stdout)
    return report[0] if isinstance(report, list) else report


DATA_LAKE_DEFAULT = '  EnableDataLake:\n    Type: String\n    Default: "false"\n'


def with_data_lake(directory: Path) -> Path:
    """A copy of the template whose EnableDataLake defaults to true."""
    text = TEMPLATE.read_text(encoding="utf-8")
    assert DATA_LAKE_DEFAULT in text, "EnableDataLake's declaration changed: update this test"
    copy = directory / "template-data-lake.yaml"
    copy.write_text(text.replace(DATA_LAKE_DEFAULT, DATA_LAKE_DEFAULT.replace("false", "true")))
    return copy


@pytest.fixture(scope="module", params=["data-lake-off", "data-lake-on"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    if request.param == "data-lake-off":
        return checkov_report(TEMPLATE)
    return checkov_report(with_data_lake(tmp_path_factory.mktemp("checkov")))


def scanned(report: dict[str, Any]) -> set[str]:
    results = report["results"]
    return {c["resource"] for kind in ("passed_checks", "failed_checks") for c in results[kind]}


def test_checkov_parses_every_resource_and_finds_no_failure(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0 and summary["resource_count"] > 20
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []


def test_the_data_lake_resources_are_scanned_only_when_enabled(
    request: pytest.FixtureRequest, report: dict[str, Any]
) -> None:
    """Control: the second scan does see the data-lake resources, the first does not."""
    lake = {r for r in scanned(report) if "DataLake" in r}
    if request.node.callspec.params["report"] == "data-lake-on":
        assert {"AWS::S3::Bucket.DataLakeBucket", "AWS::IAM::Role.DataLakeFunctionRole"} <= lake
    else:
        assert lake == set()


def test_every_skip_has_a_specific_justification(report: dict[str, Any]) -> None:
    skipped = report["results"]["skipped_checks"]
    comments = {check["check_id"]: check["check_result"]["suppress_comment"] for check in skipped}
    assert comments, "the template's justified skips must be seen by checkov"
    for check_id, comment in comments.items():
        assert len(comment.split()) >= MIN_JUSTIFICATION_WORDS, (check_id, comment)
    assert len(set(comments.values())) == len(comments), "one reason per check, not boilerplate"


def test_the_scan_can_fail(tmp_path: Path) -> None:
    """Control: a public, unencrypted bucket without justification is reported as failed."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "Resources:\n  Open:\n    Type: AWS::S3::Bucket\n    Properties:\n"
        "      AccessControl: PublicRead\n",
        encoding="utf-8",
    )
    failed = checkov_report(bad)["results"]["failed_checks"]
    assert {check["check_id"] for check in failed} >= {"CKV_AWS_18", "CKV_AWS_20"}
