"""``onramp report [RUN]``: execute the notebooks on a run and render them to HTML.

Writes ``<run>/notebooks/`` (the shipped sample's report goes to ``runs/sample-run/``):
each executed notebook (.ipynb), its HTML page, the key figures (figures.json) and the
notebooks' CSV/XLSX exports.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path
from typing import Any

from costmodel.measurement import load_measurement
from kernel.errors import UsageError
from onramp.reports.notebooks import FIGURES_FILE, NOTEBOOKS, render_report, resolve_run


def register(subparsers: Any) -> None:
    """Add ``onramp report``."""
    parser = subparsers.add_parser(
        "report",
        help="execute the notebooks on a run and render them to HTML",
        description="Execute the notebooks on a run and render them to HTML (and figures.json).",
    )
    parser.add_argument(
        "run", nargs="?", default="", help="run directory (default: newest runs/<id>/ or sample)"
    )
    parser.add_argument("--out", metavar="DIR", help="output directory (default: <run>/notebooks)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="notebook parameter, e.g. users_per_month=5000 (repeatable)",
    )
    parser.add_argument(
        "--notebook",
        action="append",
        choices=NOTEBOOKS,
        help="only this notebook (repeatable; default: all)",
    )
    parser.set_defaults(func=run_report)


def parse_param(text: str) -> tuple[str, Any]:
    """``NAME=VALUE``: VALUE as a Python literal (number, quoted string, ...) or plain text."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise UsageError(f"--param: expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name.strip(), value


def run_report(args: argparse.Namespace) -> int:
    """Execute and render; print the HTML pages written. A failing notebook exits 1."""
    from papermill.exceptions import PapermillExecutionError

    parameters = dict(parse_param(text) for text in args.param)
    load_measurement(resolve_run(args.run))  # a bad measurement.json: one line, not a notebook
    try:
        pages = render_report(args.run, args.out, parameters, tuple(args.notebook or NOTEBOOKS))
    except PapermillExecutionError as exc:
        print(f"onramp: a notebook failed: {exc.ename}: {exc.evalue}", file=sys.stderr)
        return 1
    for page in pages:
        print(page)
    for line in sample_notices(pages):
        print(line, file=sys.stderr)
    return 0


def sample_notices(pages: list[Path]) -> list[str]:
    """One line per page fed by shipped sample data (its notebook recorded ``sample_data``)."""
    if not pages:
        return []
    figures = json.loads((pages[0].parent / FIGURES_FILE).read_text(encoding="utf-8"))
    return [
        f"{page.name}: {figures.get(page.stem, {}).get('sample_data')}"
        for page in pages
        if figures.get(page.stem, {}).get("sample_data")
    ]
