"""The ``onramp cost`` command group: every cost sub-command registers itself here."""

from __future__ import annotations

import argparse
from typing import Any

from onramp.cli import cost_actuals, cost_analysis, cost_check, cost_diff, cost_price

COST_COMMANDS = (cost_price, cost_analysis, cost_check, cost_diff, cost_actuals)
"""In the order ``onramp cost --help`` lists them."""


def register(subparsers: Any) -> None:
    """Add ``onramp cost`` and its sub-commands (one module per concern)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cost", help="price usage, estimate, project and export the monthly AWS bill"
    )
    group = parser.add_subparsers(dest="cost_command", metavar="COST_COMMAND")
    group.required = True
    for module in COST_COMMANDS:
        module.register(group)
