"""`onramp demo`: the README's first command (see onramp/demo.py for what it does)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from costmodel.forecast.scenario import DEFAULT_SIGN_IN_SHARE
from costmodel.pricing.catalog import available_regions
from costmodel.pricing.free_tier import PROFILES
from kernel.errors import UsageError
from kernel.sam_template import DEFAULT_TEMPLATE, load_template, resources_of_type
from loadtest.payloads import DEFAULT_MIX_TEXT, parse_mix
from loadtest.units import parse_duration_s, parse_share
from onramp.alarms import INDICATIVE_BELOW, AlarmCheck
from onramp.cli.account_flags import account_from_args, add_account_arguments
from onramp.cli.cost_analysis import money, onboardings
from onramp.cli.cost_check import add_threshold_arguments, check_from_args, report_check
from onramp.cli.preflight import add_recipients_argument
from onramp.cli.stream_timing_flags import add_stream_timing_argument, stream_timing_from_args
from onramp.demo import DemoOptions, DemoOutcome, count_text, run_demo, sign_in_text
from onramp.local.faults.plan import FaultPlan, FaultPlanError
from onramp.reports.exports import render_text
from onramp.reports.html import write_report

MAX_RATE = 500.0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` sub-command."""
    parser = subparsers.add_parser(
        "demo",
        help="run the pipeline locally under load, verify, measure, price and report it",
        description=(
            "Start the embedded stack, load it with Locust, drain, verify nothing was lost, "
            "write runs/<id>/ (measurement.json, report.html, Locust CSV/HTML) and print a "
            "summary. Exit 1 when a registration was lost, an email sent twice, an alarm "
            "of the template would have fired on the run, or a cost threshold is breached "
            "(per-volume thresholds at --users-per-month)."
        ),
    )
    parser.add_argument("--duration", default="60s", help="load duration (default 60s)")
    parser.add_argument("--rate", default="20", help="registrations a second (default 20)")
    parser.add_argument(
        "--users-per-month", default="1000", help="volume for the headline bill (default 1000)"
    )
    parser.add_argument("--budget", default=None, help="USD a month (default: the template's)")
    parser.add_argument("--free-tier", default="always-free", choices=PROFILES)
    parser.add_argument(
        "--sign-in-share",
        default=f"{DEFAULT_SIGN_IN_SHARE:.0%}",
        help="share of earlier users who sign in (Cognito MAU) in a month "
        f"(default {DEFAULT_SIGN_IN_SHARE * 100:g}%%)",
    )
    parser.add_argument("--region", default=None, help="price in this region (default: run's)")
    parser.add_argument("--out", default="runs", help="runs root; each run gets a new folder")
    parser.add_argument("--run-dir", default=None, help="exact, new run folder (e.g. a sample)")
    parser.add_argument("--mix", default=DEFAULT_MIX_TEXT, help="bad-payload shares: kind=share")
    parser.add_argument("--template", default=str(DEFAULT_TEMPLATE), help="SAM template")
    parser.add_argument("--drain-timeout", default="120s", help="how long to wait for the drain")
    parser.add_argument(
        "--allow-alarm",
        action="append",
        default=[],
        metavar="NAME",
        help="an alarm (logical id) this run is known to breach: listed, not failed (repeatable)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:KEY=VALUE,...]",
        help="inject a fault into the embedded stack (repeatable; docs/faults.md)",
    )
    add_account_arguments(parser)
    add_stream_timing_argument(parser)
    add_recipients_argument(parser)
    add_threshold_arguments(parser, volume_flag=None)
    parser.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> DemoOptions:
    """Validate every flag before anything starts; UsageError names the bad one."""
    rate = _rate(args.rate)
    if args.region is not None and args.region not in available_regions():
        raise UsageError(
            f"--region: no price catalog for {args.region!r} "
            f"(available: {', '.join(available_regions())})"
        )
    template = load_template(args.template)
    parse_mix(args.mix, "--mix")
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    for name in args.allow_alarm:
        if name not in alarms:
            raise UsageError(
                f"--allow-alarm: {name!r} is not an alarm of the template "
                f"(one of {', '.join(sorted(alarms))})"
            )
    try:
        faults = FaultPlan.parse(args.fault) if args.fault else None
    except FaultPlanError as exc:
        raise UsageError(f"--fault: {exc}") from None
    run_dir = None
    if args.run_dir:
        run_dir = Path(args.run_dir)
        if run_dir.exists() and any(run_dir.iterdir()):
            raise UsageError(f"--run-dir: {run_dir} exists and is not empty")
        run_dir.mkdir(parents=True, exist_ok=True)
    return DemoOptions(
        duration_s=parse_duration_s(args.duration, "--duration"),
        rate=rate,
        users_per_month=onboardings("--users-per-month", args.users_per_month, minimum=1),
        budget=money("--budget", args.budget, Decimal(0)) if args.budget else None,
        free_tier=args.free_tier,
        sign_in_share=parse_share(args.sign_in_share, "--sign-in-share"),
        region=args.region,
        out=Path(args.out),
        run_dir=run_dir,
        mix=args.mix,
        template=Path(args.template),
        drain_timeout_s=parse_duration_s(args.drain_timeout, "--drain-timeout"),
        allowed_alarms=tuple(args.allow_alarm),
        faults=faults,
        account=account_from_args(args),
        recipients=args.recipients,
        stream_timing=stream_timing_from_args(args),
    )


def run(args: argparse.Namespace) -> int:
    """Run the demo, write the report, print the summary; 1 when the verdict is not ok or a
    cost threshold is breached."""
    options = options_from_args(args)
    check = check_from_args(args, options.users_per_month, options.budget)
    outcome = run_demo(options)
    report = write_report(outcome)
    print(summary_text(outcome))
    print(f"\nreport: {report}\nrun:    {outcome.run_dir}")
    breached = False
    if check is not None:
        print()
        breached = report_check(check, outcome.scenario) != 0
    if not outcome.ok:
        print("\nNOT OK:\n" + "\n".join(outcome.problems), file=sys.stderr)
    return 0 if outcome.ok and not breached else 1


def summary_text(outcome: DemoOutcome) -> str:
    """The terminal summary: verdict, volumes, break-even, the duration alarm."""
    v = outcome.verification
    h = outcome.headline
    be = outcome.breakeven
    lines = [
        f"verdict: {verdict_word(outcome)} - {v.accepted} accepted, "
        f"{v.completed} completed, {v.failed} failed with a reason, {v.emails} emails, "
        f"{v.dead_letters} dead letters",
        f"account {outcome.account}; limits hit: {limits_text(outcome.limits_hit)}",
        *[f"  {line}" for line in verdict_notes(outcome)],
        "",
        f"monthly cost ({outcome.scenario.describe()}; "
        "each total is the sum of its invoice lines, one per usage type, in report.html):",
        render_text([_volume_row(n, e) for n, e in outcome.estimates.items()]),
        "",
        f"at {h.users:,} onboardings a month: ${h.total} (fixed ${h.fixed}, "
        f"variable ${h.variable}), ${h.per_1000} per 1,000 onboardings",
        f"budget ${be.budget}: holds up to {count_text(be.within_budget)} onboardings a month, "
        f"breaks at {count_text(be.first_over)}",
        sign_in_text(outcome),
        "",
        f"duration alarm (p99 > {outcome.alarm_ms:g} ms, server-side):",
        render_text(
            [
                {
                    "function": r["function"],
                    "invocations": r["invocations"],
                    "p99_ms": r["p99_ms"],
                    "max_ms": r["max_ms"],
                    "margin_ms": r["margin_ms"],
                    "alarm": ("BREACHED" if r["alarm_breached"] else "ok")
                    + (" (indicative)" if r["indicative"] else ""),
                }
                for r in outcome.alarm_rows
            ]
        ),
        "",
        f"alarms of the template on this run (a p99 on < {INDICATIVE_BELOW} samples is "
        "indicative):",
        render_text([alarm_row(c, outcome.allowed_alarms) for c in outcome.alarm_checks]),
    ]
    return "\n".join(lines)


def verdict_word(outcome: DemoOutcome) -> str:
    """``ok``, or what broke it: ``LOST OR DUPLICATED`` and/or ``ALARM`` (one would fire)."""
    if outcome.ok:
        return "ok"
    return " + ".join(
        word
        for word, broken in (
            ("LOST OR DUPLICATED", not outcome.lossless),
            ("ALARM", outcome.firing),
        )
        if broken
    )


def verdict_notes(outcome: DemoOutcome) -> list[str]:
    """One line per firing alarm, allowed alarm and indicative breach."""
    notes = [f"FIRES: {c.alarm} ({c.value:g} > {c.threshold:g})" for c in outcome.firing]
    notes += [
        f"allowed (--allow-alarm): {c.alarm} ({c.state})"
        for c in outcome.alarm_checks
        if c.alarm in outcome.allowed_alarms
    ]
    notes += [
        f"indicative only, not failed: {c.alarm} {c.value:g} on {c.samples} samples"
        for c in outcome.indicative
    ]
    return notes


def alarm_row(check: AlarmCheck, allowed: tuple[str, ...]) -> dict[str, Any]:
    """One alarm's line in the summary table."""
    return {
        "alarm": check.alarm,
        "value": "-" if check.value is None else f"{check.value:g}",
        "threshold": "-" if check.threshold is None else f"{check.threshold:g}",
        "samples": check.samples,
        "state": check.state + (" (allowed)" if check.alarm in allowed else ""),
        "note": check.note,
    }


def limits_text(limits_hit: dict[str, int]) -> str:
    """``ses max send rate (1/s): 412 sends refused`` per limit, or ``none``."""
    if not limits_hit:
        return "none"
    return "; ".join(f"{limit}: {count:,} sends refused" for limit, count in limits_hit.items())


def _volume_row(users: int, estimate: Any) -> dict[str, str]:
    return {
        "onboardings/month": f"{users:,}",
        "total": f"${estimate.total}",
        "fixed": f"${estimate.fixed}",
        "variable": f"${estimate.variable}",
        "per 1,000": f"${estimate.per_1000}",
    }


def _rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise UsageError(f"--rate: expected registrations a second, got {text!r}") from None
    if not 0 < rate <= MAX_RATE:
        raise UsageError(f"--rate: expected a rate above 0 and at most {MAX_RATE:g}, got {text!r}")
    return rate
