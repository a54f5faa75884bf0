"""``onramp cost check``: money thresholds on a priced shape, k6-style; exit 0 pass, 1 fail.

The shape is a run (``--run RUN``: a run directory or a run id under runs/), a
``--measurement FILE``, else the documented defaults: a check never picks up whichever run is
newest, so the same command judges the same figures in CI and on a laptop. Every threshold is
printed with PASS/FAIL and its margin, under the shape and free-tier profile priced.
``onramp demo`` and ``onramp load --measure-stack`` take the same threshold flags
(``add_threshold_arguments``) and fail on a breach.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from costmodel.forecast.cost_check import DEFAULT_VOLUME, CostCheck, parse_amount
from costmodel.forecast.scenario import DEFAULT_FREE_TIER, Scenario, load_scenario
from costmodel.pricing.free_tier import PROFILES
from kernel.errors import UsageError
from kernel.sam_template import DEFAULT_TEMPLATE
from onramp.reports.notebooks import MEASUREMENT, RUNS_DIR

THRESHOLD_FLAGS = ("--max-per-1000", "--max-monthly", "--min-breakeven", "--max-fixed")


def register(group: Any) -> None:
    """Add ``onramp cost check`` to the ``onramp cost`` group."""
    parser = group.add_parser(
        "check",
        help="money thresholds on a run or the defaults: exit 0 pass, 1 a breach",
        description=__doc__.splitlines()[0],
    )
    add_shape_arguments(parser, "SAM template", "")
    parser.add_argument("--budget", help="USD a month for --min-breakeven (default: template's)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_threshold_arguments(parser, "--users")
    parser.set_defaults(func=run)


def add_shape_arguments(parser: argparse.ArgumentParser, template_help: str, whose: str) -> None:
    """What a check or a diff prices: ``--run``/``--measurement`` (else the documented
    defaults), free tier, region, template; ``whose`` says which sides the shape is for."""
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--run", metavar="RUN", help=f"{whose}a run directory, or a run id in runs/")
    shape.add_argument("--measurement", metavar="FILE", help=f"{whose}measurement.json or run dir")
    parser.add_argument(
        "--free-tier", choices=PROFILES, default=DEFAULT_FREE_TIER, help="free-tier profile"
    )
    parser.add_argument("--region", help="price catalog region (default: the measurement's)")
    parser.add_argument("--template", default=str(DEFAULT_TEMPLATE), help=template_help)


def add_threshold_arguments(parser: argparse.ArgumentParser, volume_flag: str | None) -> None:
    """The threshold flags; ``volume_flag`` (e.g. ``--users``) is added as the default volume
    of the per-volume thresholds, None when the command already has one."""
    group = parser.add_argument_group(
        "cost thresholds (each printed PASS/FAIL; a breach exits 1)",
        "Amounts and volumes take human units (1M, 500k, $0.15); USD@N judges one threshold "
        "at N onboardings a month.",
    )
    group.add_argument(
        "--max-per-1000",
        action="append",
        default=[],
        metavar="USD[@N]",
        help="most USD per 1,000 onboardings, fixed part included (repeatable)",
    )
    group.add_argument(
        "--max-monthly",
        action="append",
        default=[],
        metavar="USD[@N]",
        help="most USD a month at the volume (repeatable)",
    )
    group.add_argument(
        "--min-breakeven", metavar="N", help="fewest onboardings a month the budget must hold"
    )
    group.add_argument("--max-fixed", metavar="USD", help="most USD a month with no onboarding")
    if volume_flag:
        group.add_argument(
            volume_flag,
            dest="check_users",
            default=str(DEFAULT_VOLUME),
            metavar="N",
            help=f"onboardings a month per-volume thresholds are judged at (default "
            f"{DEFAULT_VOLUME:,})",
        )


def check_from_args(
    args: argparse.Namespace, users: str | int, budget: Decimal | None = None
) -> CostCheck | None:
    """The thresholds given (None when none is), validated: UsageError naming a bad flag."""
    check = CostCheck.parse(
        max_per_1000=args.max_per_1000,
        max_monthly=args.max_monthly,
        min_breakeven=args.min_breakeven,
        max_fixed=args.max_fixed,
        users=users,
        budget=budget,
    )
    return check if check.thresholds else None


def report_check(check: CostCheck, scenario: Scenario, fmt: str = "text") -> int:
    """Judge, print every threshold (text or JSON), and return the exit code (0 or 1)."""
    result = check.evaluate(scenario)
    if fmt == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        print(result.text())
    for failure in result.failures:
        print(f"onramp: cost threshold breached: {failure.line()}", file=sys.stderr)
    return 0 if result.passed else 1


def run_source(run: str, runs_dir: Path = RUNS_DIR) -> Path:
    """``--run``: a directory holding measurement.json, or the id of one under runs/."""
    for candidate in (Path(run), runs_dir / run):
        if (candidate / MEASUREMENT).is_file():
            return candidate
    raise UsageError(f"--run: {run!r} is neither a run directory nor a run id under {runs_dir}")


def run(args: argparse.Namespace) -> int:
    """``onramp cost check``: 0 when every threshold passes, 1 on a breach."""
    budget = parse_amount(args.budget, "--budget") if args.budget else None
    check = check_from_args(args, args.check_users, budget)
    if check is None:
        raise UsageError(f"no threshold given: pass at least one of {', '.join(THRESHOLD_FLAGS)}")
    source = run_source(args.run) if args.run else args.measurement
    scenario = load_scenario(
        source, template=args.template, region=args.region, free_tier=args.free_tier
    )
    return report_check(check, scenario, args.format)
