"""The notebooks as committed: thin, parameterised, outputs stripped, no copied code."""

from __future__ import annotations

import ast
from itertools import combinations

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from onramp.reports.notebooks import NOTEBOOK_DIR, NOTEBOOKS, notebook_parameters

PATHS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_every_notebook_is_run_by_the_report() -> None:
    assert sorted(path.name for path in PATHS) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_outputs_are_stripped(path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {cell.id} has outputs"
            assert cell.execution_count is None, f"{path.name}: cell {cell.id} was executed"
        assert "papermill" not in cell.metadata and "execution" not in cell.metadata


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_first_cell_holds_plain_literal_parameters(path) -> None:
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "code"
    assert first.metadata.get("tags") == ["parameters"]
    for statement in ast.parse(first.source).body:
        assert isinstance(statement, ast.Assign), ast.dump(statement)
        assert isinstance(statement.value, ast.Constant), f"{path.name}: {ast.unparse(statement)}"
    defaults = notebook_parameters(path)
    assert defaults["run_dir"] == ""
    assert defaults["export_dir"] == ""


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebooks_hold_calls_and_prose_only(path) -> None:
    """No function, class or loop statement in a notebook: the logic lives in the packages."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells[1:]:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(TransformerManager().transform_cell(cell.source))):
            assert not isinstance(
                node, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.Lambda)
            ), f"{path.name} cell {cell.id}: {type(node).__name__}"


def _code_runs(path, length: int = 3) -> set[tuple[str, ...]]:
    """Every run of ``length`` consecutive non-import code lines of a notebook's cells."""
    notebook = nbformat.read(path, as_version=4)
    runs = set()
    for cell in notebook.cells[1:]:
        if cell.cell_type != "code":
            continue
        lines = [
            line.strip()
            for line in cell.source.splitlines()
            if line.strip() and not line.startswith(("from ", "import ", "%", " ", ")"))
        ]
        runs.update(tuple(lines[i : i + length]) for i in range(len(lines) - length + 1))
    return runs


@pytest.mark.parametrize("first,second", list(combinations(PATHS, 2)), ids=str)
def test_no_code_copied_between_notebooks(first, second) -> None:
    shared = _code_runs(first) & _code_runs(second)
    assert not shared, f"{first.name} and {second.name} share: {sorted(shared)}"
