"""`cost check`: money thresholds judged on the exact bill, every one printed, exit 0/1/2.

Hand figures (prices/us-east-1.yaml, retrieved 2026-11-29; free tier always-free): the
template's alarms watch 20 alarm metrics, 10 free, 10 x $0.10 = $1.00 fixed a month (alarm
metric $0.10, effective 2019-01-01); with an Essentials pool (prices: $0.015 per MAU vs Lite's
$0.0055, effective 2024-11-22) each onboarding past the 10,000 free MAU costs ~2.7 x more.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from costmodel.forecast.cost_check import CostCheck, parse_amount, parse_count
from costmodel.forecast.scenario import load_scenario
from kernel.errors import UsageError
from onramp.cli import main
from onramp.cli.cost_check import run_source
from tests.costmodel.template_edits import ADD_ALARM, ESSENTIALS_POOL, edited_stack

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "sample-run"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1M", 1_000_000),
        ("500k", 500_000),
        ("1.5m", 1_500_000),
        ("29,028", 29_028),
        ("2B", 2 * 10**9),
    ],
)
def test_counts_take_human_units(text: str, value: int) -> None:
    assert parse_count(text, "--users") == value


@pytest.mark.parametrize("text", ["1.5", "lots", "1e6", "-5", "0.5k5", "", "0,15", "1,00"])
def test_bad_counts_name_the_flag(text: str) -> None:
    with pytest.raises(UsageError, match="--min-breakeven"):
        parse_count(text, "--min-breakeven")


def test_amounts_take_a_dollar_sign_and_units() -> None:
    assert parse_amount("$0.15", "--max-per-1000") == Decimal("0.15")
    assert parse_amount("1.2k", "--max-monthly") == Decimal(1200)


def test_every_threshold_is_judged_and_printed() -> None:
    check = CostCheck.parse(
        max_per_1000=["2.50", "6@100k"], max_monthly=["1@1k"], min_breakeven="20k", max_fixed="1"
    )
    result = check.evaluate(load_scenario(free_tier="always-free"))
    fixed = next(r for r in result.results if r.threshold.kind == "max-fixed")
    assert fixed.actual == Decimal("1.00") and fixed.passed  # 10 alarm metrics x $0.10
    monthly = next(r for r in result.results if r.threshold.kind == "max-monthly")
    assert monthly.threshold.users == 1_000 and not monthly.passed  # fixed $1.00 + variable
    assert not result.passed and result.failures == [monthly]
    text = result.text()
    judged = [line.split()[0] for line in text.splitlines()[1:-1]]
    assert judged == ["PASS", "PASS", "FAIL", "PASS", "PASS"]
    assert "documented defaults" in text and "free tier always-free" in text
    assert "FAIL  monthly bill at 1,000/month" in text and "over by $" in text


def test_a_dearer_plan_fails_the_break_even(tmp_path: Path) -> None:
    check = CostCheck.parse(min_breakeven="20k")
    lite = check.evaluate(load_scenario(free_tier="always-free"))
    essentials = check.evaluate(
        load_scenario(template=edited_stack(tmp_path, ESSENTIALS_POOL), free_tier="always-free")
    )
    assert lite.passed and not essentials.passed
    # Essentials: ~ $100 / $0.015 above the 10,000 free MAU: under 17,000 onboardings
    assert essentials.results[0].actual < 17_000  # type: ignore[operator]


def test_cli_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "check", "--max-fixed", "1.00"]) == 0
    out = capsys.readouterr().out
    assert "PASS  fixed monthly (no onboarding)  $1.00 <= $1.00" in out
    head = edited_stack(tmp_path, ADD_ALARM)  # 21 alarm metrics: $1.10
    assert main(["cost", "check", "--max-fixed", "1.00", "--template", str(head)]) == 1
    captured = capsys.readouterr()
    assert "FAIL  fixed monthly (no onboarding)  $1.10 <= $1.00  (over by $0.10" in captured.out
    assert captured.err.startswith("onramp: cost threshold breached: FAIL")
    code = main(["cost", "check", "--max-per-1000", "10@1M", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["passed"] and doc["results"][0]["users"] == 1_000_000
    assert doc["context"].startswith("documented defaults")


def test_cli_prices_a_run_by_directory_or_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cost", "check", "--run", str(SAMPLE), "--max-fixed", "5"]) == 0
    assert "measured: run sample-run" in capsys.readouterr().out
    (tmp_path / "sample-run").symlink_to(SAMPLE)
    assert run_source("sample-run", tmp_path) == tmp_path / "sample-run"  # an id under runs/
    with pytest.raises(UsageError, match="--run: 'no-such-run'"):
        run_source("no-such-run", tmp_path)


def test_the_other_cost_commands_take_human_volumes(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["cost", "estimate", "--users", "10k", "--shape", "defaults", "--format", "json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["users"] == "10000"
