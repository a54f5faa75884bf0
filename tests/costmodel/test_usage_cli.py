"""`onramp cost price`: usage files, output formats, exports, and one-line errors (exit 2)."""

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from costmodel.pricing.usage import load_usage, validate_usage
from kernel.errors import UsageError
from onramp.cli import main
from onramp.reports.exports import write_table

ISSUE_EXAMPLE = {
    "region": "us-east-1",
    "free_tier": "none",
    "resources": [
        {
            "service": "lambda",
            "name": "api",
            "requests": 3000000,
            "duration_ms": 120,
            "memory_mb": 1536,
            "architecture": "x86_64",
            "ephemeral_storage_mb": 512,
        },
        {"service": "http_api", "name": "api", "requests": 1000000, "request_size_kb": 2},
        {"service": "rest_api", "name": "legacy", "requests": 1000000},
        {
            "service": "dynamodb",
            "name": "users",
            "write_request_units": 3000000,
            "read_request_units": 0,
            "storage_gb": 1,
            "pitr_gb": 1,
            "stream_read_requests": 0,
        },
        {"service": "ses", "name": "welcome", "recipients": 1000, "attachments_gb": 0},
        {
            "service": "s3",
            "name": "users",
            "put_requests": 1000,
            "get_requests": 0,
            "storage_gb": 0.1,
        },
        {
            "service": "cloudwatch",
            "name": "ops",
            "alarm_metrics": 8,
            "anomaly_alarms": 1,
            "custom_metrics": 0,
            "log_ingest_gb": 0.5,
            "log_storage_gb": 0.5,
        },
        {"service": "sqs", "name": "dlq", "requests": 0},
    ],
}


def usage_file(tmp_path: Path, data: object) -> str:
    path = tmp_path / "usage.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["cost", "price", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_of_the_issue_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, usage_file(tmp_path, ISSUE_EXAMPLE), "--format", "json")
    bill = json.loads(out)
    assert code == 0 and bill["currency"] == "USD"
    # lambda 0.60 + 9.00, http 1.00, rest 3.50, ddb 1.88 + 0.25 + 0.20, ses 0.10, s3 0.01,
    # cloudwatch 1.10 + 0.25 + 0.02 (nothing free under free_tier: none)
    assert bill["total"] == "17.91"
    assert sum(float(line["usd"]) for line in bill["lines"]) == pytest.approx(17.91)
    assert set(bill["lines"][0]) == {
        "service",
        "region",
        "item",
        "quantity",
        "unit",
        "unit_price",
        "usd",
        "resources",
        "price",
    }
    assert {"resource", "usd"} <= set(bill["by_resource"][0])
    assert "sum to the total" in bill["sums_to_total"]


def test_free_tier_flag_overrides_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = usage_file(tmp_path, ISSUE_EXAMPLE)
    _, out, _ = run(capsys, path, "--format", "json", "--free-tier", "always-free")
    # lambda 0.40 + 2.33, http 1.00, rest 3.50, ddb 1.88 + 0.20, ses 0.10, s3 0.01,
    # cloudwatch 0.10 (11 alarm metrics - 10 free; logs within the free 5 GB)
    assert json.loads(out)["total"] == "9.52"


def test_table_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = usage_file(tmp_path, ISSUE_EXAMPLE)
    _, table, _ = run(capsys, path)
    assert "TOTAL" in table and "17.91" in table and "write_request_units" in table
    assert "THESE SUM TO THE BILL" in table and "does not sum to the bill" in table
    _, text, _ = run(capsys, path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1]["service"] == "TOTAL" and rows[-1]["usd"] == "17.91"


def test_output_xlsx_keeps_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "bill.xlsx"
    run(capsys, usage_file(tmp_path, ISSUE_EXAMPLE), "--output", str(target))
    sheet = load_workbook(target).active
    header = [cell.value for cell in sheet[1]]
    usd = header.index("usd") + 1
    assert sheet.cell(row=sheet.max_row, column=1).value == "TOTAL"
    assert float(sheet.cell(row=sheet.max_row, column=usd).value) == pytest.approx(17.91)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["resources"].append({"service": "ec2", "name": "x"}), r"resources\[8\].*ec2"),
        (lambda d: d["resources"][3].update(wcu=5), r"resources\[3\] \(dynamodb 'users'\).*'wcu'"),
        (lambda d: d["resources"][0].update(requests=-5), r"\(lambda 'api'\)\.requests.*-5"),
        (
            lambda d: d["resources"][1].update(requests="lots"),
            r"\(http_api 'api'\)\.requests.*lots",
        ),
        (lambda d: d["resources"][0].update(architecture="sparc"), r"architecture.*sparc"),
        (lambda d: d.update(region="ap-mars-1"), r"region.*ap-mars-1"),
        (lambda d: d.update(free_tier="forever"), r"free_tier.*forever"),
        (lambda d: d.update(resources="none"), r"resources"),
    ],
)
def test_bad_usage_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate, message: str
) -> None:
    data = json.loads(json.dumps(ISSUE_EXAMPLE))
    mutate(data)
    code, _, err = run(capsys, usage_file(tmp_path, data))
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.search(message, err), err


def test_missing_and_malformed_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("resources: [\n")
    code, _, err = run(capsys, str(bad))
    assert code == 2 and "bad.yaml" in err and err.count("\n") == 1


def test_validate_is_idempotent_and_fills_defaults(tmp_path: Path) -> None:
    clean = load_usage(usage_file(tmp_path, ISSUE_EXAMPLE))
    assert validate_usage(clean) == clean
    assert clean["ses_plan"] == "a-la-carte"
    assert clean["resources"][0]["init_ms_total"] == 0
    with pytest.raises(UsageError, match="usage: expected a mapping"):
        validate_usage([1, 2])


def test_exports_of_generic_tables(tmp_path: Path) -> None:
    frame = pd.DataFrame([{"month": 1, "usd": 12.5}, {"month": 2, "usd": 13.75}])
    assert write_table(frame, tmp_path / "p.csv").read_text() == "month,usd\n1,12.5\n2,13.75\n"
    assert json.loads(write_table(frame, tmp_path / "p.json").read_text())[1]["usd"] == 13.75
    sheet = load_workbook(write_table(frame, tmp_path / "p.xlsx")).active
    assert [c.value for c in sheet[3]] == [2, 13.75]
    with pytest.raises(UsageError, match=r"p\.pdf"):
        write_table(frame, tmp_path / "p.pdf")
