"""Run the notebooks (notebooks/*.ipynb) on a run directory and render them to HTML.

A notebook's first cell is tagged ``parameters`` (papermill); ``run_dir = ""`` means the
newest ``runs/<id>/`` holding a measurement.json, else the shipped sample run. Notebooks
publish their key figures with ``record(name, value)``; ``recorded(notebook)`` reads them
back from the executed notebook (the tests assert on them, reports save them as JSON).

Example::

    nb = execute_notebook("notebooks/cost_projection.ipynb", {"users_per_month": 5000})
    recorded(nb)["total_usd"]
    render_report("runs/20261129T101500Z-ab12")   # -> [.../notebooks/cost_projection.html, ...]
"""

from __future__ import annotations

import ast
import html
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from kernel.errors import UsageError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
NOTEBOOKS = ("cost_projection.ipynb", "load_analysis.ipynb", "budget_review.ipynb")
RUNS_DIR = PROJECT_ROOT / "runs"
SAMPLES_DIR = PROJECT_ROOT / "samples"
SAMPLE_RUN = SAMPLES_DIR / "sample-run"
SAMPLE_LABEL = "SAMPLE DATA: not your account"
RECORD_TAG = "onramp-record"
"""Output tag of ``record``'s figures: kept in the executed notebook, removed from the HTML."""
BANNER_TAG = "onramp-banner"
"""Output tag of ``banner``: the HTML page shows the label at its very top instead."""
PARAMETER_TAGS = ("parameters", "injected-parameters")
MEASUREMENT = "measurement.json"
REPORT_SUBDIR = "notebooks"
FIGURES_FILE = "figures.json"
FIGURES_MIME = "application/vnd.onramp.figures+json"
KERNEL_NAME = "python3"
"""ipykernel's own kernel: jupyter_client starts it with this interpreter (the venv's)."""
KERNEL_MPLBACKEND = "Agg"
"""Non-interactive; the notebooks' ``%matplotlib inline`` turns figures into PNG outputs."""
DEFAULT_TIMEOUT_S = 300


def project_path(path: Path | str) -> Path:
    """``path`` made absolute: as given if it exists, else relative to the project root."""
    path = Path(path).expanduser()
    return (path if path.is_absolute() or path.exists() else PROJECT_ROOT / path).resolve()


def newest_run(runs_dir: Path = RUNS_DIR) -> Path | None:
    """The newest ``runs/<id>/`` with a measurement.json (run ids sort by UTC start time)."""
    if not runs_dir.is_dir():
        return None
    runs = sorted(p.parent for p in runs_dir.glob(f"*/{MEASUREMENT}"))
    return runs[-1] if runs else None


def resolve_run(run_dir: Path | str = "", runs_dir: Path = RUNS_DIR) -> Path:
    """The run directory to analyse: ``run_dir``, else the newest run, else the sample."""
    if not str(run_dir):
        return newest_run(runs_dir) or SAMPLE_RUN
    path = project_path(run_dir)
    if not (path / MEASUREMENT).is_file():
        raise UsageError(f"{run_dir}: not a run directory (no {MEASUREMENT} in it)")
    return path


def report_dir(run_dir: Path) -> Path:
    """Where a run's report goes: ``<run>/notebooks/``; the sample's under runs/ (kept clean)."""
    if run_dir.resolve() == SAMPLE_RUN.resolve():
        return RUNS_DIR / SAMPLE_RUN.name / REPORT_SUBDIR
    return run_dir / REPORT_SUBDIR


def exports_dir(run_dir: Path, export_dir: Path | str = "") -> Path:
    """Where a notebook writes its CSV/XLSX exports: ``export_dir``, else the report's."""
    return project_path(export_dir) if str(export_dir) else report_dir(run_dir) / "exports"


def export_tables(
    run_dir: Path,
    export_dir: Path | str,
    tables: Mapping[str, Any],
    workbook: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write each table (a Bill, rows or a DataFrame) as the file it is keyed by; link them.

    The format comes from the suffix (csv, json, xlsx); files go to ``exports_dir``.
    ``workbook`` is the notebook's one XLSX workbook: ``name`` and the keyword arguments of
    onramp.reports.workbook.write_workbook (``facts``, ``bill``, ``fixed``, ``tables``).
    """
    from IPython.display import Markdown, display

    from costmodel.pricing.engine import Bill
    from onramp.reports.exports import write_bill, write_table
    from onramp.reports.workbook import write_workbook

    out = exports_dir(run_dir, export_dir)
    written = [
        write_bill(table, out / name) if isinstance(table, Bill) else write_table(table, out / name)
        for name, table in tables.items()
    ]
    if workbook is not None:
        parts = dict(workbook)
        written.insert(0, write_workbook(out / parts.pop("name"), **parts))
    links = [f"- [{path.name}]({out.name}/{path.name})" for path in written]
    display(Markdown("Exports beside this page:\n\n" + "\n".join(links)))
    return written


def sample_label(*paths: Path | str) -> str:
    """``SAMPLE DATA: not your account (samples/...)`` when a path is a shipped sample, else ""."""
    used = []
    for path in paths:
        if str(path) and project_path(path).is_relative_to(SAMPLES_DIR.resolve()):
            used.append(str(project_path(path).relative_to(PROJECT_ROOT)))
    return f"{SAMPLE_LABEL} ({', '.join(used)})" if used else ""


def banner(label: str) -> None:
    """Show a sample-data label at the top of a notebook page (nothing when empty)."""
    from IPython.display import HTML, display

    if label:
        display(HTML(_banner_html(label)), metadata={"tags": [BANNER_TAG]})


def _banner_html(label: str) -> str:
    return (
        "<p style='background:#b00020;color:#fff;padding:0.5rem 0.8rem;"
        f"font-weight:bold'>{html.escape(label)}</p>"
    )


def figure_note(*parts: str) -> str:
    """The line printed under a figure: shape, free tier, region, sample label."""
    return " | ".join(part for part in parts if part)


def _plain(value: Any) -> Any:
    """JSON-ready: Decimals as decimal strings, containers recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def record(name: str, value: Any) -> None:
    """Publish a key figure from a notebook (shown as ``name = value``, read by ``recorded``)."""
    from IPython.display import display

    plain = _plain(value)
    display(
        {FIGURES_MIME: {name: plain}, "text/plain": f"{name} = {plain}"},
        raw=True,
        metadata={"tags": [RECORD_TAG]},
    )


def recorded(notebook: Any) -> dict[str, Any]:
    """Every figure an executed notebook published with ``record``, by name."""
    figures: dict[str, Any] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            figures.update(output.get("data", {}).get(FIGURES_MIME, {}))
    return figures


@contextmanager
def _kernel_environment() -> Iterator[None]:
    """Kernels inherit our environment: a non-interactive matplotlib backend, never a window."""
    saved = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = KERNEL_MPLBACKEND
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved


def notebook_parameters(path: Path | str) -> dict[str, Any]:
    """The defaults of a notebook's ``parameters`` cell (plain literals only; else UsageError)."""
    import nbformat

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    cell = next(
        (c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None
    )
    if cell is None:
        raise UsageError(f"{path}: no cell tagged 'parameters'")
    values: dict[str, Any] = {}
    for statement in ast.parse(cell.source).body:
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            raise UsageError(f"{path}: parameters line {statement.lineno} is not NAME = literal")
        name = targets[0].id
        try:
            values[name] = ast.literal_eval(statement.value)
        except ValueError:
            raise UsageError(f"{path}: parameter {name!r} is not a plain literal") from None
    return values


def execute_notebook(
    path: Path | str,
    parameters: Mapping[str, Any] | None = None,
    out_html: Path | str | None = None,
    out_ipynb: Path | str | None = None,
    timeout_s: int = DEFAULT_TIMEOUT_S,
) -> Any:
    """Execute a notebook with papermill parameters; return the executed notebook.

    Runs in the project root with the ``python3`` kernel of this interpreter. Writes the
    executed notebook to ``out_ipynb`` and an HTML rendering (code hidden) to ``out_html``
    when given. A failing cell raises papermill's PapermillExecutionError.
    """
    import nbformat
    import papermill

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such notebook")
    output = str(out_ipynb) if out_ipynb else None
    with _kernel_environment():
        notebook = papermill.execute_notebook(
            str(path),
            output,
            parameters=dict(parameters or {}),
            kernel_name=KERNEL_NAME,
            cwd=str(PROJECT_ROOT),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout_s,
        )
    notebook = nbformat.from_dict(notebook)
    if out_html:
        write_html(notebook, Path(out_html))
    return notebook


def parameter_comments(source: str) -> dict[str, str]:
    """``name -> meaning`` from a parameters cell's trailing comments (``x = 1  # meaning``)."""
    comments: dict[str, str] = {}
    for line in source.splitlines():
        code, sep, comment = line.partition("#")
        name = code.split("=", 1)[0].strip()
        if sep and "=" in code and name.isidentifier():
            comments[name] = comment.strip()
    return comments


def parameters_table(notebook: Any) -> str:
    """The notebook's parameters as an HTML table: name, value as run, meaning."""
    defaults = next(
        (c.source for c in notebook.cells if "parameters" in c.metadata.get("tags", [])), ""
    )
    values = _assignments(defaults)
    injected = next(
        (c.source for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])),
        "",
    )
    values.update(_assignments(injected))
    meanings = parameter_comments(defaults)
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td><code>{html.escape(_shown(value))}</code></td>"
        f"<td>{html.escape(meanings.get(name, ''))}</td></tr>"
        for name, value in values.items()
    )
    return (
        "<table class='parameters'><caption>Parameters of this page</caption><thead><tr>"
        f"<th>parameter</th><th>value</th><th>meaning</th></tr></thead><tbody>{rows}</tbody>"
        "</table>"
    )


def _shown(value: Any) -> str:
    """A parameter value as people read it: project paths relative, empty said so."""
    if value == "":
        return "(empty)"
    if isinstance(value, str) and Path(value).is_absolute():
        path = Path(value)
        return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else value
    return str(value)


def _assignments(source: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for statement in ast.parse(source).body if source.strip() else []:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            try:
                values[statement.targets[0].id] = ast.literal_eval(statement.value)
            except ValueError:
                continue
    return values


def report_notebook(notebook: Any) -> Any:
    """The notebook as its report shows it (a copy): the sample-data label (``banner``) at
    the very top, the parameter cells as one table after the title cell."""
    import copy

    import nbformat

    shown = copy.deepcopy(notebook)
    table = nbformat.v4.new_markdown_cell(parameters_table(shown))
    cells = [c for c in shown.cells if not set(PARAMETER_TAGS) & set(c.metadata.get("tags", []))]
    title = 1 if cells and cells[0].cell_type == "markdown" else 0
    label = recorded(notebook).get("sample_data")
    top = [nbformat.v4.new_markdown_cell(_banner_html(label))] if label else []
    shown.cells = [*top, *cells[:title], table, *cells[title:]]
    return shown


def write_html(notebook: Any, path: Path) -> Path:
    """Render an executed notebook as a report page with nbconvert (no code, no prompts).

    The parameter cells become a table (``report_notebook``); ``record``'s outputs are
    removed by nbconvert's TagRemovePreprocessor; tables and figures are the cells' own.
    """
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True)
    exporter.exclude_output_prompt = True
    remover = TagRemovePreprocessor(
        remove_single_output_tags={RECORD_TAG, BANNER_TAG}, enabled=True
    )
    exporter.register_preprocessor(remover, enabled=True)
    body, _ = exporter.from_notebook_node(report_notebook(notebook))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def render_report(
    run_dir: Path | str = "",
    out_dir: Path | str | None = None,
    parameters: Mapping[str, Any] | None = None,
    notebooks: tuple[str, ...] = NOTEBOOKS,
) -> list[Path]:
    """Execute every notebook on a run; write ``<name>.ipynb``, ``<name>.html`` and figures.json.

    ``out_dir`` defaults to ``report_dir(run)``; ``parameters`` are passed to every notebook
    (with ``run_dir`` and ``export_dir`` set), each only to the notebooks declaring it; a name
    no notebook declares is a UsageError. Returns the HTML files.
    """
    run = resolve_run(run_dir)
    declared = {name: notebook_parameters(NOTEBOOK_DIR / name) for name in notebooks}
    known = {key for defaults in declared.values() for key in defaults}
    unknown = sorted(set(parameters or {}) - known)
    if unknown:
        raise UsageError(
            f"--param: unknown parameter {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )
    out = Path(out_dir) if out_dir else report_dir(run)
    out.mkdir(parents=True, exist_ok=True)
    common = {**(parameters or {}), "run_dir": str(run), "export_dir": str(out / "exports")}
    pages: list[Path] = []
    figures: dict[str, Any] = {}
    for name in notebooks:
        stem = Path(name).stem
        mine = {key: value for key, value in common.items() if key in declared[name]}
        notebook = execute_notebook(
            NOTEBOOK_DIR / name, mine, out / f"{stem}.html", out / f"{stem}.ipynb"
        )
        figures[stem] = recorded(notebook)
        pages.append(out / f"{stem}.html")
    (out / FIGURES_FILE).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return pages
