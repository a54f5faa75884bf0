"""`onramp cost diff` from the command line: git:REF:PATH in a temporary repository (no
network), run directories, and the three formats."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kernel.errors import UsageError
from kernel.git_snapshot import export_file, parse_git_source
from kernel.sam_template import DEFAULT_TEMPLATE
from onramp.cli import main
from tests.costmodel.template_edits import DOUBLE_REGISTER_MEMORY, TRACING_OFF, copy_stack, edit

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "sample-run"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository holding stack/ at its first commit, the working copy edited after."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    copy_stack(root)
    git(root, "add", "stack")
    git(root, "commit", "-q", "-m", "stack as on main")
    monkeypatch.chdir(root / "stack")  # any folder inside the repository will do
    return root


def test_git_ref_against_the_working_copy(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo / "stack" / "template.yaml", DOUBLE_REGISTER_MEMORY)
    argv = ["cost", "diff", "git:main:stack/template.yaml", "template.yaml", "--users", "1M"]
    assert main([*argv, "--free-tier", "none", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["changes"] == ["register: memory 256 MB -> 512 MB"]
    (duration,) = [r for r in doc["invoice_lines"] if r["name"] == "duration_arm64"]
    # tests/costmodel/test_cost_diff.py works these out: 63,320 -> 68,545 GB-s at $0.0000133334
    assert (duration["before"], duration["after"]) == ("0.84", "0.91")
    assert doc["base"]["source"] == "git:main:stack/template.yaml"


def test_markdown_is_a_pr_comment(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo / "stack" / "template.yaml", TRACING_OFF)
    git(repo, "commit", "-q", "-am", "tracing off")
    argv = ["cost", "diff", "git:HEAD~1:stack/template.yaml", "git:HEAD:stack/template.yaml"]
    assert main([*argv, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### Cost diff: $511.35 -> $510.26 a month (-$1.09, -0.21%) at 100,000")
    assert "| xray | traces_recorded | $1.09 | $0.00 | -$1.09 |" in out
    assert "- register: X-Ray tracing on -> off" in out


def test_text_names_both_sides_and_what_priced_them(capsys: pytest.CaptureFixture[str]) -> None:
    template = str(DEFAULT_TEMPLATE)
    assert main(["cost", "diff", str(SAMPLE), template, "--users", "10k"]) == 0
    out = capsys.readouterr().out
    assert f"base: run {SAMPLE} (measured: run sample-run; free tier always-free" in out
    assert f"head: {template} (documented defaults" in out
    assert "shape: register invocations per onboarding" in out  # a run against the defaults


def test_a_bad_ref_is_one_usage_error(repo: Path) -> None:
    with pytest.raises(UsageError, match="git archive: fatal"):
        export_file("no-such-branch", "stack/template.yaml", repo / "out")
    with pytest.raises(UsageError, match="no such file at main"):
        export_file("main", "stack/missing.yaml", repo / "out2")
    assert parse_git_source("stack/template.yaml") is None
    assert parse_git_source("git:origin/main:stack/template.yaml") == (
        "origin/main",
        "stack/template.yaml",
    )
