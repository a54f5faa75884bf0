"""``onramp cost estimate|breakeven|project|sensitivity|article``: the onboarding scenario.

Every command prices the pipeline of stack/template.yaml with a measurement.json (``--measurement``)
or the documented defaults (costmodel/scenario.py); ``--format`` picks table, json, csv or xlsx
and ``--out FILE`` also writes the result (format from ``--format`` or the file's suffix).
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

from costmodel.article import SEED_USERS, compare_with_article
from costmodel.breakeven import breakeven
from costmodel.engine import Bill
from costmodel.exports import (
    FORMATS,
    bill_rows,
    render_bill,
    render_text,
    to_csv,
    write_bill,
    write_table,
)
from costmodel.free_tier import PROFILES
from costmodel.projection import DEFAULT_SIMULATIONS, project
from costmodel.scenario import (
    DEFAULT_COLD_START_SHARE,
    DEFAULT_FREE_TIER,
    DEFAULT_INIT_MS,
    MAX_INIT_MS,
    MAX_ONBOARDINGS,
    MAX_ONBOARDINGS_WHY,
    Scenario,
    estimate,
    load_scenario,
)
from costmodel.sensitivity import sensitivity
from onramp.errors import UsageError
from onramp.sam_template import DEFAULT_TEMPLATE

OUTPUT_FORMATS = ("table", "json", *FORMATS)
DEFAULT_SENSITIVITY_USERS = 100_000
MAX_SIMULATIONS = 10_000_000


def register(group: Any) -> None:
    """Add the scenario sub-commands to the ``onramp cost`` group."""
    commands = (
        ("estimate", "price N onboardings a month: by service, fixed vs variable", run_estimate),
        ("breakeven", "onboardings a month at which the budget breaks", run_breakeven),
        ("project", "monthly projection with a P10/P50/P90 band vs the budget", run_project),
        ("sensitivity", "tornado data: each uncertain input over its range", run_sensitivity),
        ("article", "the source article's cost figures vs the true ones", run_article),
    )
    parsers = {}
    for name, help_text, func in commands:
        parser = group.add_parser(name, help=help_text, description=help_text)
        _scenario_options(parser)
        parser.set_defaults(func=func)
        parsers[name] = parser
    parsers["estimate"].add_argument("--users", required=True, help="onboardings a month")
    parsers["breakeven"].add_argument("--budget", help="USD a month (default: the template's)")
    project_parser = parsers["project"]
    project_parser.add_argument("--months", default="24", help="months to project (default 24)")
    project_parser.add_argument("--users", required=True, help="onboardings in the first month")
    project_parser.add_argument("--growth", default="0%", help="monthly growth, e.g. 10%% or 0.1")
    project_parser.add_argument(
        "--simulations", default=str(DEFAULT_SIMULATIONS), help="Monte Carlo scenarios a month"
    )
    project_parser.add_argument("--seed", default="0", help="random seed (default 0)")
    project_parser.add_argument("--budget", help="USD a month (default: the template's)")
    parsers["sensitivity"].add_argument(
        "--users", default=str(DEFAULT_SENSITIVITY_USERS), help="onboardings a month"
    )
    parsers["article"].add_argument(
        "--users", default=str(SEED_USERS), help="onboardings a month (the article's: 1000)"
    )


def _scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--measurement", metavar="FILE", help="measurement.json (or run dir)")
    parser.add_argument(
        "--free-tier", choices=PROFILES, default=DEFAULT_FREE_TIER, help="free-tier profile"
    )
    parser.add_argument("--region", help="price catalog region (default: the measurement's)")
    parser.add_argument("--template", default=str(DEFAULT_TEMPLATE), help="SAM template")
    parser.add_argument(
        "--cold-start-share",
        default=str(DEFAULT_COLD_START_SHARE),
        help="share of invocations with a billed INIT, default shape only (default 0.01)",
    )
    parser.add_argument(
        "--init-ms",
        default=str(DEFAULT_INIT_MS),
        help="billed INIT ms per cold start, default shape only (default 400)",
    )
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default="table")
    parser.add_argument("--out", metavar="FILE", help="also write the result (.csv/.json/.xlsx)")


def _scenario(args: argparse.Namespace) -> Scenario:
    return load_scenario(
        args.measurement,
        template=args.template,
        region=args.region,
        free_tier=args.free_tier,
        cold_start_share=bounded("--cold-start-share", args.cold_start_share, Decimal(1)),
        init_ms=bounded("--init-ms", args.init_ms, MAX_INIT_MS),
    )


def bounded(flag: str, text: str, most: Decimal) -> Decimal:
    """A number in [0, ``most``] from a flag's text; UsageError naming the flag."""
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise UsageError(f"{flag}: expected a number, got {text!r}") from None
    if not value.is_finite() or not 0 <= value <= most:
        raise UsageError(f"{flag}: expected a number from 0 to {most}, got {text!r}")
    return value


def whole_number(flag: str, text: str, minimum: int = 0) -> int:
    """A whole number of at least ``minimum`` from a flag's text; UsageError naming the flag."""
    try:
        value = int(str(text).replace("_", "").replace(",", ""))
    except ValueError:
        raise UsageError(f"{flag}: expected a whole number, got {text!r}") from None
    if value < minimum:
        raise UsageError(f"{flag}: expected a whole number >= {minimum}, got {text!r}")
    return value


def onboardings(flag: str, text: str, minimum: int = 0) -> int:
    """Onboardings a month from a flag: a whole number up to MAX_ONBOARDINGS (bound stated)."""
    value = whole_number(flag, text, minimum)
    if value > MAX_ONBOARDINGS:
        raise UsageError(
            f"{flag}: {value:.3g} is above the bound ({MAX_ONBOARDINGS:.0e} a month: "
            f"{MAX_ONBOARDINGS_WHY})"
        )
    return value


def growth_rate(text: str) -> float:
    """``10%`` or ``0.1`` -> 0.1; UsageError naming --growth if not a rate above -100 %."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise UsageError(f"--growth: expected a rate such as 10% or 0.1, got {text!r}") from None
    if not -1 < value <= 10:
        raise UsageError(f"--growth: expected a rate between -100% and 1000%, got {text!r}")
    return value


def money(flag: str, text: str | None, default: Decimal) -> Decimal:
    """A non-negative USD amount from a flag (``default`` when absent)."""
    if text is None:
        return default
    try:
        value = Decimal(str(text).lstrip("$"))
    except InvalidOperation:
        raise UsageError(f"{flag}: expected an amount in USD, got {text!r}") from None
    if not value.is_finite() or value < 0:
        raise UsageError(f"{flag}: expected a non-negative amount in USD, got {text!r}")
    return value


def _emit(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    title: str,
    doc: Any,
    bill: Bill | None = None,
) -> int:
    """Print rows as the chosen format (JSON prints ``doc``) and write ``--out`` if asked.

    With a ``bill``, the table shows its invoice lines and per-resource table (each saying
    which sums to the bill) and ``--out`` writes the bill (costmodel.exports.write_bill).
    """
    if args.format == "xlsx" and not args.out:
        raise UsageError("--format xlsx: needs --out FILE.xlsx")
    if args.format == "json":
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    elif args.format == "csv":
        sys.stdout.write(to_csv(rows))
    elif args.format == "table":
        sys.stdout.write(f"{title}\n\n{render_bill(bill) if bill else render_text(rows)}")
    if args.out:
        fmt = args.format if args.format in FORMATS else None
        path = write_bill(bill, args.out, fmt) if bill else write_table(rows, args.out, fmt)
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _context(scenario: Scenario) -> str:
    return f"{scenario.region}, free tier {scenario.free_tier}, shape from {scenario.per.source}"


def run_estimate(args: argparse.Namespace) -> int:
    """Print the bill of N onboardings a month: lines, by service, fixed vs variable."""
    users = onboardings("--users", args.users)
    scenario = _scenario(args)
    result = estimate(users, scenario)
    rows = bill_rows(result.bill)
    summary = result.summary()
    title = (
        f"Monthly bill for {users:,} onboardings ({_context(scenario)}), USD\n"
        + "\n".join(f"  {key}: {value}" for key, value in summary.items() if key != "users")
        + "\n  by service: "
        + ", ".join(f"{service} {usd}" for service, usd in result.bill.by_service().items())
    )
    doc = {
        "region": scenario.region,
        "free_tier": scenario.free_tier,
        "source": scenario.per.source,
        **summary,
        "by_service": {k: str(v) for k, v in result.bill.by_service().items()},
        "bill": result.bill.to_dict(),
    }
    return _emit(args, rows, title, doc, result.bill)


def run_breakeven(args: argparse.Namespace) -> int:
    """Print the monthly onboardings at which the budget breaks."""
    scenario = _scenario(args)
    budget = money("--budget", args.budget, scenario.stack.budget_usd)
    result = breakeven(scenario, budget)
    doc = result.to_dict()
    if result.within_budget is None:
        verdict = f"the fixed costs alone ({result.bill_over} USD) exceed the budget"
    elif result.first_over is None:
        verdict = "the budget holds at every volume searched"
    else:
        verdict = (
            f"{result.within_budget:,} onboardings a month cost {result.bill_within} USD; "
            f"{result.first_over:,} cost {result.bill_over} USD"
        )
    title = f"Break-even at a {budget} USD monthly budget ({_context(scenario)}): {verdict}"
    return _emit(args, [doc], title, doc)


def run_project(args: argparse.Namespace) -> int:
    """Print the monthly projection with its Monte Carlo band and the budget line."""
    months = whole_number("--months", args.months, minimum=1)
    users = onboardings("--users", args.users)
    growth = growth_rate(args.growth)
    simulations = whole_number("--simulations", args.simulations, minimum=1)
    if simulations > MAX_SIMULATIONS:
        raise UsageError(f"--simulations: at most {MAX_SIMULATIONS:,}, got {args.simulations!r}")
    seed = whole_number("--seed", args.seed)
    scenario = _scenario(args)
    budget = money("--budget", args.budget, scenario.stack.budget_usd)
    result = project(
        months, users, growth, scenario=scenario, budget=budget, simulations=simulations, seed=seed
    )
    over = result.first_month_over_budget()
    title = (
        f"Projection: {users:,} onboardings in month 1, growing {growth:.1%} a month, "
        f"{simulations:,} simulations a month ({_context(scenario)}), USD; median over the "
        f"{budget} USD budget: {'month ' + str(over) if over else 'never'}"
    )
    return _emit(args, result.rows, title, result.rows)


def run_sensitivity(args: argparse.Namespace) -> int:
    """Print tornado data: the bill with each uncertain input at its low and high end."""
    users = onboardings("--users", args.users)
    scenario = _scenario(args)
    rows = sensitivity(users, scenario)
    title = f"Sensitivity of the monthly bill at {users:,} onboardings ({_context(scenario)}), USD"
    return _emit(args, rows, title, rows)


def run_article(args: argparse.Namespace) -> int:
    """Print the source article's figures next to the true ones, with the reasons."""
    users = onboardings("--users", args.users)
    scenario = _scenario(args)
    rows = compare_with_article(users, scenario)
    title = (
        f"The source article's 'Cost Breakdown' vs the true bill at {users:,} users a month "
        f"(true_usd: list prices, no free tier; shape from {scenario.per.source}), USD"
    )
    return _emit(args, rows, title, rows)
