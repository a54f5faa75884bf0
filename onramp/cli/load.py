"""``onramp load``: run Locust against an onboarding API, print a summary, check thresholds.

Exit codes: 0 all thresholds met, 1 a threshold breached (or Locust failed), 2 bad flags,
or (with ``--measure-stack``) a test the account cannot take: the preflight runs first and
refuses it, unless ``--force``. With ``--measure-stack`` the cost thresholds of
``onramp cost check`` judge the measured window's shape (per-volume ones at
``--users-per-month``; ``--users`` is Locust's).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from costmodel.forecast.cost_check import CostCheck
from costmodel.forecast.scenario import load_scenario
from kernel.errors import UsageError
from loadtest.payloads import DEFAULT_MIX_TEXT
from loadtest.profiles import SHAPE_NAMES
from loadtest.progress import ConsoleProgress
from loadtest.results import LoadResult, RequestStats
from loadtest.runner import LoadRunError, Master, run_locust, run_locust_worker
from loadtest.thresholds import Thresholds, parse_error_rate, parse_latency_ms, parse_rps
from loadtest.units import parse_duration_s
from onramp.cli.cost_check import add_threshold_arguments, check_from_args, report_check
from onramp.cli.preflight import add_plan_arguments, check_account, planned_load
from onramp.staging.collector import measure_after_load
from onramp.staging.preflight import PreflightReport, report_text

_COLUMNS = ("name", "requests", "failures", "fail %", "p50 ms", "p95 ms", "p99 ms", "max ms", "rps")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``load`` sub-command."""
    parser = subparsers.add_parser(
        "load",
        help="run Locust against POST /register and check thresholds",
        description="Run Locust against POST /register, print a summary, check thresholds.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The load flags (values are validated when the command runs, as UsageError)."""
    parser.add_argument("--host", help="API base URL, e.g. http://127.0.0.1:3000 (not on workers)")
    parser.add_argument("--shape", choices=SHAPE_NAMES, default="steady", help="load shape")
    parser.add_argument("--users", type=int, help="peak users (default: 4 per registration/s)")
    parser.add_argument("--rate", type=float, default=10.0, help="peak registrations/s")
    parser.add_argument("--duration", default="60s", help="test length, e.g. 90s, 5m, 1h")
    parser.add_argument("--processes", type=int, default=1, help="Locust processes (-1: per core)")
    parser.add_argument("--out", type=Path, default=Path("runs"), help="runs directory")
    parser.add_argument("--mix", default=DEFAULT_MIX_TEXT, help="bad-payload shares: kind=share,…")
    add_plan_arguments(parser, with_shape=False)
    distributed = parser.add_argument_group(
        "distributed: one master (shape, reports, thresholds) and workers on any machines"
    )
    role = distributed.add_mutually_exclusive_group()
    role.add_argument("--master", action="store_true", help="run as Locust's master")
    role.add_argument("--worker", action="store_true", help="run as a worker of --master-host")
    distributed.add_argument("--expect-workers", type=int, default=1, help="master: workers")
    distributed.add_argument("--master-bind-host", default="*", help="master: address to listen")
    distributed.add_argument(
        "--master-bind-port", type=int, default=5557, help="master: port the workers connect to"
    )
    distributed.add_argument("--master-host", help="worker: the master's host name or address")
    distributed.add_argument("--master-port", type=int, default=5557, help="worker: its port")
    staging = parser.add_argument_group("staging: measure the test's window from CloudWatch")
    staging.add_argument("--measure-stack", help="CloudFormation stack name to measure and price")
    staging.add_argument(
        "--force", action="store_true", help="run even when the preflight says it cannot fit"
    )
    staging.add_argument("--region", help="the stack's region (default: the profile's)")
    staging.add_argument("--profile", help="AWS named profile")
    thresholds = parser.add_argument_group("thresholds (a breach exits 1)")
    thresholds.add_argument("--max-error-rate", help="largest share of failed requests, e.g. 1%%")
    thresholds.add_argument("--p95", help="largest p95 latency, e.g. 800ms or 1.5s")
    thresholds.add_argument("--min-rps", help="smallest overall requests/s, e.g. 10")
    add_threshold_arguments(parser, "--users-per-month")


def thresholds_from_args(args: argparse.Namespace) -> Thresholds:
    """The thresholds given on the command line (UsageError naming a malformed flag)."""
    return Thresholds(
        max_error_rate=_optional(parse_error_rate, args.max_error_rate),
        p95_ms=_optional(parse_latency_ms, args.p95),
        min_rps=_optional(parse_rps, args.min_rps),
    )


def _optional(parse: Callable[[str], float], text: str | None) -> float | None:
    return None if text is None else parse(text)


def run(args: argparse.Namespace) -> int:
    """Run the load test, print the summary and any threshold breach; the exit code."""
    thresholds = thresholds_from_args(args)
    cost_check = check_from_args(args, args.check_users)
    duration_s = parse_duration_s(args.duration, "--duration")
    if args.worker:
        return run_worker(args, thresholds, duration_s, cost_check)
    if not args.host:
        raise UsageError("--host: the API base URL is required (except with --worker)")
    if cost_check and not args.measure_stack:
        raise UsageError(
            "--max-per-1000/--max-monthly/--min-breakeven/--max-fixed: need --measure-stack "
            "(a load test prices only what it measured)"
        )
    if args.measure_stack:
        plan = planned_load(args.rate, duration_s, args.shape, args.mix, args.recipients)
        report = check_account(args.measure_stack, plan, args.region, args.profile)
        print(report_text(plan, report))
        refuse_unfit(args.measure_stack, report, args.force)
    progress = ConsoleProgress()
    try:
        result = run_locust(
            args.host,
            **_plan(args, duration_s),
            processes=args.processes,
            progress=progress,
            master=(
                Master(args.expect_workers, args.master_bind_host, args.master_bind_port)
                if args.master
                else None
            ),
        )
    except LoadRunError as exc:
        print(f"onramp load: {exc}", file=sys.stderr)
        return 1
    finally:
        progress.finish()
    print(summary_table(result))
    cost_code = 0
    if args.measure_stack:
        measurement, _ = measure_after_load(
            args.measure_stack,
            result.manifest["started_at"],
            result.manifest["ended_at"],
            args.region,
            args.profile,
            result.run_dir,
        )
        if cost_check:
            cost_code = report_check(cost_check, load_scenario(measurement))
    breaches = thresholds.breaches(result)
    for message in breaches:
        print(f"onramp load: threshold breached: {message}", file=sys.stderr)
    return 1 if breaches or cost_code else 0


def run_worker(
    args: argparse.Namespace,
    thresholds: Thresholds,
    duration_s: float,
    cost_check: CostCheck | None = None,
) -> int:
    """One worker of a distributed run: requests and accepted ids here; reports, thresholds
    and measurement on the master."""
    master_only = {
        "--host": args.host,
        "--measure-stack": args.measure_stack,
        "--max-error-rate/--p95/--min-rps": thresholds != Thresholds(),
        "--max-per-1000/--max-monthly/--min-breakeven/--max-fixed": cost_check is not None,
    }
    for flag, given in master_only.items():
        if given:
            raise UsageError(f"{flag}: give it to the master, not to a --worker")
    if not args.master_host:
        raise UsageError("--master-host: a --worker needs the master's host name or address")
    print(f"onramp load: worker of {args.master_host}:{args.master_port}", file=sys.stderr)
    try:
        run_dir = run_locust_worker(args.master_host, args.master_port, **_plan(args, duration_s))
    except LoadRunError as exc:
        print(f"onramp load: {exc}", file=sys.stderr)
        return 1
    print(f"worker done: {run_dir} (locust.log, accepted.*.txt, manifest.json)")
    return 0


def _plan(args: argparse.Namespace, duration_s: float) -> dict[str, Any]:
    """The plan's keyword arguments, the same for a local run, a master and its workers."""
    return {
        "shape": args.shape,
        "users": args.users,
        "rate": args.rate,
        "duration_s": duration_s,
        "out_dir": args.out,
        "mix": args.mix,
        "env_extra": {"ONRAMP_RECIPIENTS": args.recipients},
    }


def refuse_unfit(stack: str, report: PreflightReport, force: bool) -> None:
    """UsageError (one line, exit 2) naming what breaks first, unless the test fits or
    ``force``."""
    first = report.first_to_break
    if report.fits or force or first is None:
        return
    raise UsageError(
        f"preflight: the test does not fit stack {stack}: {first.name} ({first.limit}; "
        f"needs {first.needed}) breaks first; lower --rate/--duration or pass --force"
    )


def summary_table(result: LoadResult) -> str:
    """A plain-text table of per-kind and aggregated stats, with where the files are."""
    rows = sorted(result.by_name.values(), key=lambda row: -row.requests)
    cells = [_COLUMNS, *(_cells(row) for row in [*rows, result.aggregated])]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    lines = ["  ".join(_align(line, widths)) for line in cells]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    lines.append(f"run {result.run_id}: {result.run_dir} (locust.html, CSVs, manifest.json)")
    lines.append("Locust rounds latencies to 10 ms above 100 ms and to 100 ms above 1 s.")
    return "\n".join(lines)


def _cells(row: RequestStats) -> tuple[str, ...]:
    rate = row.error_rate
    return (
        row.name,
        str(row.requests),
        str(row.failures),
        "-" if rate is None else f"{rate:.2%}".removesuffix("%"),
        *(_ms(ms) for ms in (row.p50_ms, row.p95_ms, row.p99_ms, row.max_ms)),
        f"{row.rps:.2f}",
    )


def _align(cells: tuple[str, ...], widths: list[int]) -> list[str]:
    """The name left-aligned, the figures right-aligned."""
    figures = zip(cells[1:], widths[1:], strict=True)
    return [cells[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in figures)]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
