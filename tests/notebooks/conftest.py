"""One rendering of every notebook on a copy of the shipped sample run, shared by the tests."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from onramp.cli import main
from onramp.reports.notebooks import FIGURES_FILE, SAMPLE_RUN


@dataclass(frozen=True)
class Report:
    """What ``onramp report`` wrote for the sample run."""

    run_dir: Path
    out_dir: Path
    figures: dict[str, dict[str, Any]]

    def notebook(self, stem: str) -> Any:
        """The executed notebook."""
        return nbformat.read(self.out_dir / f"{stem}.ipynb", as_version=4)


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """``onramp report <copy of samples/sample-run> --out <tmp>``, run once."""
    root = tmp_path_factory.mktemp("report")
    run_dir = root / "sample-run"
    shutil.copytree(SAMPLE_RUN, run_dir)
    out_dir = root / "out"
    assert main(["report", str(run_dir), "--out", str(out_dir)]) == 0
    figures = json.loads((out_dir / FIGURES_FILE).read_text(encoding="utf-8"))
    return Report(run_dir, out_dir, figures)
