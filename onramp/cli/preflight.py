"""`onramp preflight`: before any traffic, does a planned load test fit the account?

Reads the account's real limits (SES sandbox or production, send rate, 24-hour quota; Lambda
concurrency; the Cognito UserCreation rate and the user pool's size; the stack's route
throttling) and its configuration (cost-allocation tags active, alarm and budget e-mails
set). Exit 0: everything fits and is set; 1: something fails (each failure printed with
what the pipeline does then); 2: bad flags or AWS unreachable.
"""

from __future__ import annotations

import argparse
import sys

from kernel.errors import UsageError
from loadtest.payloads import DEFAULT_MIX_TEXT, RECIPIENTS, parse_mix
from loadtest.profiles import PROFILES, SHAPE_NAMES
from loadtest.units import parse_duration_s
from onramp.staging.account_limits import read_account_limits
from onramp.staging.preflight import PlannedLoad, PreflightReport, preflight
from onramp.staging.preflight import report_text as preflight_text
from onramp.staging.session import AwsSession, aws_errors

_SHAPE_SAMPLES = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``onramp preflight``."""
    parser = subparsers.add_parser(
        "preflight",
        help="check a planned load test against the account's real limits",
        description=__doc__,
    )
    parser.add_argument("--stack", required=True, help="CloudFormation stack name")
    parser.add_argument("--rate", type=float, default=10.0, help="peak registrations/s")
    parser.add_argument("--duration", default="60s", help="test length, e.g. 90s, 5m, 1h")
    add_plan_arguments(parser)
    parser.add_argument("--region", help="the stack's region (default: the profile's)")
    parser.add_argument("--profile", help="AWS named profile")
    parser.set_defaults(func=run_preflight)


def add_plan_arguments(parser: argparse.ArgumentParser, with_shape: bool = True) -> None:
    """--shape, --mix and --recipients (shared with ``onramp load``)."""
    if with_shape:
        parser.add_argument("--shape", choices=SHAPE_NAMES, default="steady", help="load shape")
        parser.add_argument("--mix", default=DEFAULT_MIX_TEXT, help="bad-payload shares")
    add_recipients_argument(parser)


def add_recipients_argument(parser: argparse.ArgumentParser) -> None:
    """--recipients domains|simulator (``onramp load``, ``preflight``, ``demo``)."""
    parser.add_argument(
        "--recipients",
        choices=RECIPIENTS,
        default="domains",
        help="welcome emails to ONRAMP_EMAIL_DOMAINS, or to SES's mailbox simulator",
    )


def planned_load(
    rate: float, duration_s: float, shape: str, mix: str, recipients: str
) -> PlannedLoad:
    """The plan as the preflight sees it: the shape's mean rate, the share of emails."""
    if not rate > 0:
        raise UsageError(f"--rate: {rate:g} must be a positive number")
    profile = PROFILES[shape]
    mean = sum(profile((i + 0.5) / _SHAPE_SAMPLES) for i in range(_SHAPE_SAMPLES))
    return PlannedLoad(
        rate=rate,
        duration_s=duration_s,
        email_share=1.0 - sum(parse_mix(mix, "--mix").values()),
        recipients=recipients,
        mean_rate=rate * mean / _SHAPE_SAMPLES,
    )


def check_account(
    stack: str, plan: PlannedLoad, region: str | None, profile: str | None
) -> PreflightReport:
    """Read the account's limits for ``stack`` and judge the plan against them."""
    with aws_errors(region):
        aws = AwsSession.open(region, profile)
        limits = read_account_limits(aws.client, stack)
    return preflight(plan, limits)


def run_preflight(args: argparse.Namespace) -> int:
    """Print every check; loudly name what is missing; exit 1 when anything fails."""
    duration_s = parse_duration_s(args.duration, "--duration")
    plan = planned_load(args.rate, duration_s, args.shape, args.mix, args.recipients)
    report = check_account(args.stack, plan, args.region, args.profile)
    print(preflight_text(plan, report))
    for check in report.failed:
        if not check.capacity:
            print(f"onramp preflight: WARNING {check.name}: {check.when_hit}", file=sys.stderr)
    return 1 if report.failed else 0
