"""The README's "Cost in code review" check is the one .ci/run runs, it passes on the shipped
sample run, and it fails when onboarding gets notably dearer (real template edits)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from onramp.cli import build_parser, main
from tests.costmodel.template_edits import ESSENTIALS_POOL, edited_stack

ROOT = Path(__file__).resolve().parents[3]
FOUR_MORE_ALARMS = (
    "\n  # ---------------------------------------------------------------- budget\n",
    "".join(
        f"""
  ExtraAlarm{n}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Throttles
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
"""
        for n in range(4)
    )
    + "\n  # ---------------------------------------------------------------- budget\n",
)
"""Four plain alarms more: 24 alarm metrics, 14 billed, $1.40 fixed."""


def readme_check() -> list[str]:
    """The argv of the README's `onramp cost check` line (after `onramp`)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Cost in code review") :]
    (line,) = [ln for ln in section.splitlines() if ln.startswith("onramp cost check ")]
    return shlex.split(line)[1:]


def test_ci_runs_the_readme_check_after_the_tests() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    command = ".venv/bin/onramp " + shlex.join(readme_check())
    assert command in script and script.index(command) > script.index("make test")


def test_the_readme_check_passes_on_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # .ci/run runs it from the repository's root
    assert main(readme_check()) == 0


@pytest.mark.parametrize(
    ("edit", "failing"),
    [(ESSENTIALS_POOL, "break-even"), (FOUR_MORE_ALARMS, "fixed monthly")],
    ids=["essentials-pool", "four-alarms-more"],
)
def test_the_readme_check_fails_when_onboarding_gets_dearer(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    edit: tuple[str, str],
    failing: str,
) -> None:
    template = edited_stack(tmp_path, edit)
    monkeypatch.chdir(ROOT)
    assert main([*readme_check(), "--template", str(template)]) == 1
    failed = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  FAIL")]
    assert any(failing in ln for ln in failed)


def test_the_workflow_runs_a_diff_the_cli_accepts() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "cost-diff.yml").read_text())
    steps = workflow["jobs"]["cost-diff"]["steps"]
    (diff,) = [s["run"] for s in steps if "cost diff" in s.get("run", "")]
    argv = shlex.split(diff.replace("${{ github.base_ref }}", "main"))
    args = build_parser().parse_args(argv[argv.index("cost") : argv.index(">")])
    assert (args.base, args.head) == ("git:origin/main:stack/template.yaml", "stack/template.yaml")
    assert args.format == "markdown" and workflow["permissions"]["pull-requests"] == "write"
