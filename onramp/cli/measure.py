"""`onramp measure`: a deployed stack's figures for a window, from CloudWatch, as a run."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from onramp.staging.collector import measure_to_run_dir
from onramp.staging.summary import measurement_summary

DEFAULT_OUT = Path("runs")
RELATIVE_TIME = re.compile(r"^-\d+(\.\d+)?[smhdw]?$")


def add_aws_flags(parser: argparse.ArgumentParser) -> None:
    """--start, --end, --region, --profile (shared by the staging commands).

    ``--start -1h`` must read as a value, not a flag: argparse takes a dash-led argument as a
    value when it matches the parser's negative-number pattern, widened here to durations.
    """
    parser._negative_number_matcher = RELATIVE_TIME  # type: ignore[attr-defined]
    parser.add_argument("--start", required=True, help="ISO-8601 (2026-11-29T10:00:00Z) or -1h")
    parser.add_argument("--end", default="now", help="ISO-8601 or relative (default: now)")
    parser.add_argument("--region", help="AWS region (default: the profile's)")
    parser.add_argument("--profile", help="AWS named profile (default: the default chain)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``onramp measure``."""
    parser = subparsers.add_parser(
        "measure",
        help="measure a deployed stack from CloudWatch (writes runs/<id>/measurement.json)",
        description=__doc__,
    )
    parser.add_argument("--stack", required=True, help="CloudFormation stack name")
    add_aws_flags(parser)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="runs directory")
    parser.set_defaults(func=run_measure)


def run_measure(args: argparse.Namespace) -> int:
    """Collect, write the run, print a summary."""
    measurement, path = measure_to_run_dir(
        args.stack, args.start, args.end, args.region, args.profile, args.out
    )
    print(measurement_summary(measurement))
    print(f"measurement: {path}")
    return 0
