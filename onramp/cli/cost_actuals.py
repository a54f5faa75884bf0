"""`onramp cost actuals`: actual spend against the model, per service.

The actual side is Cost Explorer (GetCostAndUsage), or a FOCUS export with ``--focus FILE``
(AWS Data Exports' FOCUS 1.2 CSV, or any FOCUS file: BilledCost by ServiceName for the charge
periods in the window's days; no AWS call). The model side is a measurement of the same
window: ``--measurement FILE``, or collected now from CloudWatch with ``--stack NAME`` (which
also sets the default tag filter).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from costmodel.pricing.focus import read_focus
from costmodel.pricing.free_tier import PROFILES
from kernel.errors import UsageError
from onramp.cli.measure import DEFAULT_OUT, add_aws_flags
from onramp.staging.collector import measure_to_run_dir
from onramp.staging.costexplorer import GRANULARITIES, PRICE_PER_REQUEST, day_range, fetch_actuals
from onramp.staging.reconcile import focus_by_ce_service, reconcile, render
from onramp.staging.session import AwsSession, aws_errors
from onramp.staging.timewindow import parse_window
from onramp.staging.window_cost import window_cost

STACK_TAG_KEY = "onramp:stack"
CE_REGION = "us-east-1"
"""Cost Explorer has one endpoint, in us-east-1."""


def register(group: argparse._SubParsersAction) -> None:
    """Add ``actuals`` to the ``onramp cost`` sub-command group."""
    parser = group.add_parser(
        "actuals",
        help="actual spend (Cost Explorer) vs the model, per service",
        description=__doc__,
    )
    add_aws_flags(parser)
    parser.add_argument("--tag-key", default=STACK_TAG_KEY, help="cost-allocation tag key")
    parser.add_argument("--tag-value", help="tag value (default: --stack)")
    parser.add_argument("--stack", help="measure this stack for the window (and filter on it)")
    parser.add_argument("--measurement", type=Path, help="measurement.json of the same window")
    parser.add_argument("--granularity", choices=GRANULARITIES, default="DAILY")
    parser.add_argument(
        "--free-tier", choices=PROFILES, default="none", help="free tier the model applies"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="runs directory")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument(
        "--focus", type=Path, metavar="FILE", help="actuals from a FOCUS export (CSV), not CE"
    )
    parser.set_defaults(func=run_actuals)


def run_actuals(args: argparse.Namespace) -> int:
    """Read the actuals, price the measurement, print the variance table."""
    window = parse_window(args.start, args.end)
    if args.measurement and args.stack:
        raise UsageError("--measurement and --stack: give one (the model's usage comes from it)")
    tag_value = args.tag_value or args.stack
    tag = (args.tag_key, tag_value) if tag_value else None
    # Local inputs first: a bad --measurement file fails before any AWS call.
    modelled = window_cost(args.measurement, args.free_tier) if args.measurement else None
    if args.stack:
        _, measurement = measure_to_run_dir(
            args.stack, args.start, args.end, args.region, args.profile, args.out
        )
        modelled = window_cost(measurement, args.free_tier)
    if args.focus:
        days = day_range(window)
        actual = focus_by_ce_service(read_focus(args.focus, *days))
        source = [f"FOCUS export {args.focus}: charge periods starting {days[0]}..{days[1]}"]
    else:
        with aws_errors(CE_REGION):
            session = AwsSession.open(args.region or CE_REGION, args.profile)
            ce = session.client("ce", region=CE_REGION)
            actuals = fetch_actuals(ce, day_range(window), args.granularity, tag)
        actual = actuals.by_service
        source = [
            *([] if tag else ["no --tag-value: the whole account's spend"]),
            f"Cost Explorer: {actuals.start}..{actuals.end} (whole UTC days, end exclusive),"
            f" {actuals.requests} request(s) = ${PRICE_PER_REQUEST * actuals.requests}"
            + (", figures still estimated" if actuals.estimated else ""),
        ]
    rows = reconcile(actual, modelled.by_service if modelled else {})
    notes = [
        *source,
        *(modelled.notes if modelled else ["no --measurement or --stack: modelled is 0"]),
    ]
    if args.json:
        print(json.dumps({"rows": [r.to_dict() for r in rows], "notes": notes}, indent=2))
    else:
        print(render(rows))
        print("\n".join(notes))
    return 0
