"""`onramp bench`: flags, the report's content, and bad input as one line with exit 2."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from onramp.bench.report import machine_facts, markdown
from onramp.bench.result import BenchResult, Figure
from onramp.cli import main


def test_report_has_figures_goals_machine_command_and_date() -> None:
    result = BenchResult(
        "warm",
        "Warm handler overhead",
        figures=[Figure("register", "400 us", "< 1000 us", True, 0.4)],
        header=["handler", "median us"],
        rows=[["register", "400"]],
        notes=["a note"],
    )
    text = markdown([result], "onramp bench", datetime(2026, 1, 2, 3, 4, tzinfo=UTC), {"CPUs": "2"})
    assert "- command: `onramp bench`" in text and "- date: 2026-01-02 03:04 UTC" in text
    assert "| warm | register | 400 us | < 1000 us | met | 0.40 |" in text
    assert "## Warm handler overhead" in text and "| register | 400 |" in text
    assert "- CPUs: 2" in text and "- a note" in text
    assert machine_facts()["CPUs"].isdigit()


def test_quick_subset_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "bench.md"
    assert main(["bench", "--quick", "--only", "montecarlo", "--out", str(out)]) == 0
    text = out.read_text()
    assert "`onramp bench --quick --only montecarlo --out" in text
    assert "Monte Carlo" in text and "vectorised speed-up" in text
    assert "report:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--only", "cost,nope"], "--only"),
        (["--rates", "5,x"], "--rates"),
        (["--soak-rate", "-1"], "--soak-rate"),
        (["--only", "soak", "--soak-duration", "soon"], "--soak-duration"),
    ],
)
def test_bad_flags_are_one_line(
    argv: list[str], flag: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["bench", *argv, "--out", str(tmp_path / "b.md")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"onramp: error: {flag}") and "\n" not in err
    assert not (tmp_path / "b.md").exists()


def test_partial_runs_never_replace_the_published_report() -> None:
    from onramp.cli import build_parser
    from onramp.cli.bench import DEFAULT_OUT, PARTIAL_OUT, report_path

    def path(*argv: str) -> Path:
        return report_path(build_parser().parse_args(["bench", *argv]))

    assert path() == DEFAULT_OUT
    assert path("--quick") == path("--only", "soak") == PARTIAL_OUT
    assert path("--only", "cost", "--out", "x.md") == Path("x.md")
