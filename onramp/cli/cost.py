"""The ``onramp cost`` command group: every cost sub-command registers itself here."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

COST_COMMAND_MODULES: tuple[str, ...] = (
    "onramp.cli.cost_price",
    "onramp.cli.cost_analysis",
    "onramp.cli.cost_actuals",
)


def register(subparsers: Any) -> None:
    """Add ``onramp cost`` and its sub-commands (one module per concern)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cost", help="price usage, estimate, project and export the monthly AWS bill"
    )
    group = parser.add_subparsers(dest="cost_command", metavar="COST_COMMAND")
    group.required = True
    for name in COST_COMMAND_MODULES:
        importlib.import_module(name).register(group)
