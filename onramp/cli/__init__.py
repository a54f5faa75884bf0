"""The `onramp` console script: one sub-command per concern, each registered by its module.

Each module of COMMAND_GROUPS (one per command group, in this package) exposes
``register(subparsers)``, which adds its sub-command(s) and sets ``func`` (taking the parsed
``argparse.Namespace`` and returning an exit code).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kernel.errors import UsageError
from onramp.cli import (
    bench,
    cleanup,
    cost,
    demo,
    load,
    local,
    measure,
    preflight,
    replay,
    report,
    smoke,
)

COMMAND_GROUPS = (
    cost,
    load,
    measure,
    preflight,
    cleanup,
    local,
    report,
    demo,
    bench,
    replay,
    smoke,
)
"""In the order ``onramp --help`` lists them."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr and exit code 2 (argparse's own code)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the full parser with every registered sub-command."""
    parser = _Parser(prog="onramp", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch, and turn UsageError into one line and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"onramp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("onramp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
