"""onramp.reports.notebooks and `onramp report`: which run, where the report goes, bad input."""

from __future__ import annotations

import pytest

from kernel.errors import UsageError
from onramp.cli import main
from onramp.cli.report import parse_param
from onramp.reports.notebooks import (
    RUNS_DIR,
    SAMPLE_RUN,
    newest_run,
    notebook_parameters,
    render_report,
    report_dir,
    resolve_run,
)


def _run(root, name):
    run = root / name
    run.mkdir(parents=True)
    (run / "measurement.json").write_text("{}", encoding="utf-8")
    return run


def test_newest_run_is_the_latest_run_id(tmp_path) -> None:
    assert newest_run(tmp_path / "none") is None
    assert newest_run(tmp_path) is None
    _run(tmp_path, "20261129T101500Z-ab12")
    latest = _run(tmp_path, "20261130T080000Z-0001")
    (tmp_path / "20261201T000000Z-ffff").mkdir()  # no measurement: not a run
    assert newest_run(tmp_path) == latest
    assert resolve_run("", tmp_path) == latest


def test_resolve_run_falls_back_to_the_sample(tmp_path) -> None:
    assert resolve_run("", tmp_path / "empty") == SAMPLE_RUN
    assert resolve_run("samples/sample-run") == SAMPLE_RUN
    with pytest.raises(UsageError, match="not a run directory"):
        resolve_run(tmp_path)


def test_report_dir_keeps_the_sample_clean(tmp_path) -> None:
    assert report_dir(SAMPLE_RUN) == RUNS_DIR / "sample-run" / "notebooks"
    assert report_dir(tmp_path) == tmp_path / "notebooks"


def test_parse_param() -> None:
    assert parse_param("users_per_month=5000") == ("users_per_month", 5000)
    assert parse_param("growth_per_month=0.2") == ("growth_per_month", 0.2)
    assert parse_param("free_tier=none") == ("free_tier", "none")
    assert parse_param("region='eu-west-1'") == ("region", "eu-west-1")
    with pytest.raises(UsageError, match="NAME=VALUE"):
        parse_param("5000")


def test_unknown_parameter_is_refused_before_running(tmp_path) -> None:
    with pytest.raises(UsageError, match="unknown parameter 'user_per_month'"):
        render_report(SAMPLE_RUN, tmp_path, {"user_per_month": 5})
    assert not any(tmp_path.iterdir())


def test_parameters_cell_must_be_literals(tmp_path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    path = tmp_path / "bad.ipynb"
    cell = new_code_cell("budget = 50 * 2", metadata={"tags": ["parameters"]})
    nbformat.write(new_notebook(cells=[cell]), path)
    with pytest.raises(UsageError, match="'budget' is not a plain literal"):
        notebook_parameters(path)
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), path)
    with pytest.raises(UsageError, match="no cell tagged 'parameters'"):
        notebook_parameters(path)


def test_report_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert main(["report", "--param", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert "not a run directory" in err[0]
    assert "--param" in err[1]
