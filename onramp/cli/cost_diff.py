"""``onramp cost diff BASE HEAD``: what a change to the stack costs, for code review.

BASE and HEAD are each a SAM template (a path, or ``git:REF:PATH`` for the file at a git
revision, its folder with it), or a run directory (its measured shape, priced on
``--template``). A template side is priced with ``--run``/``--measurement``'s shape, else the
documented defaults. ``--format markdown`` is a table ready for a PR comment, ``json`` for tools.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from costmodel.forecast.cost_check import parse_amount, parse_count
from costmodel.forecast.cost_diff import Side, diff_costs
from costmodel.forecast.scenario import load_scenario
from kernel.errors import UsageError
from kernel.git_snapshot import export_file, parse_git_source
from onramp.cli.cost_check import add_shape_arguments, run_source
from onramp.reports.cost_diff import diff_markdown, diff_text
from onramp.reports.notebooks import MEASUREMENT

DEFAULT_USERS = 100_000
"""Onboardings a month the diff prices at unless told: past the 10,000 free Cognito MAU, so
the per-onboarding lines show; the free tier still absorbs Lambda's compute here (use
``--free-tier none`` for list prices)."""


def register(group: Any) -> None:
    """Add ``onramp cost diff`` to the ``onramp cost`` group."""
    parser = group.add_parser(
        "diff",
        help="monthly cost before -> after of two templates or runs, and what moved it",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("base", metavar="BASE", help="template path, git:REF:PATH, or run dir")
    parser.add_argument("head", metavar="HEAD", help="template path, git:REF:PATH, or run dir")
    parser.add_argument(
        "--users",
        default=str(DEFAULT_USERS),
        help=f"onboardings a month (default {DEFAULT_USERS:,})",
    )
    add_shape_arguments(parser, "the template a run side is priced on", "template sides' shape: ")
    parser.add_argument("--budget", help="USD a month for both break-evens (default: each's own)")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.set_defaults(func=run)


def _side(text: str, args: argparse.Namespace, shape: Path | str | None, tmp: ExitStack) -> Side:
    """One side: git:REF:PATH, a run directory, or a template path."""
    options = {"region": args.region, "free_tier": args.free_tier}
    git = parse_git_source(text)
    if git:
        into = Path(tmp.enter_context(TemporaryDirectory(prefix="onramp-diff-")))
        template = export_file(*git, into)
        return Side(text, load_scenario(shape, template=template, **options))
    path = Path(text)
    if path.is_dir():
        if not (path / MEASUREMENT).is_file():
            raise UsageError(f"{text}: a folder, but not a run directory (no {MEASUREMENT})")
        return Side(f"run {text}", load_scenario(path, template=args.template, **options))
    if not path.is_file():
        raise UsageError(f"{text}: neither a template, git:REF:PATH nor a run directory")
    return Side(text, load_scenario(shape, template=path, **options))


def run(args: argparse.Namespace) -> int:
    """Print the diff in the chosen format; 0 (a diff is information, not a verdict)."""
    users = parse_count(args.users, "--users")
    budget = parse_amount(args.budget, "--budget") if args.budget else None
    shape = run_source(args.run) if args.run else args.measurement
    with ExitStack() as tmp:
        base = _side(args.base, args, shape, tmp)
        head = _side(args.head, args, shape, tmp)
        diff = diff_costs(base, head, users, budget)
    if args.format == "json":
        sys.stdout.write(json.dumps(diff.to_dict(), indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(diff_markdown(diff))
    else:
        sys.stdout.write(diff_text(diff))
    return 0
