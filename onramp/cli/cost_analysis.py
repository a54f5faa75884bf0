"""``onramp cost estimate|breakeven|project|sensitivity|article``: the onboarding scenario.

Every command prices the pipeline of stack/template.yaml with a shape: ``--measurement FILE``,
else the latest run's measurement (``runs/<id>/``, as ``onramp demo`` writes them) when one
exists, else the documented defaults (costmodel/forecast/scenario.py); ``--shape defaults``
picks the documented defaults even when a run exists. Every output names the shape priced
(``measured: run <id>`` or ``documented defaults``) and the free-tier profile. ``--format``
picks table, json, csv or xlsx and ``--out FILE`` also writes the result (format from
``--format`` or the file's suffix).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from costmodel.forecast.article import SEED_USERS, compare_with_article
from costmodel.forecast.breakeven import breakeven
from costmodel.forecast.cost_check import parse_count
from costmodel.forecast.projection import DEFAULT_GROWTH_SPREAD, DEFAULT_SIMULATIONS, project
from costmodel.forecast.scenario import (
    DEFAULT_COLD_START_SHARE,
    DEFAULT_FREE_TIER,
    DEFAULT_INIT_MS,
    MAX_INIT_MS,
    Scenario,
    estimate,
    load_scenario,
)
from costmodel.forecast.sensitivity import sensitivity, widest
from costmodel.pricing.bill_lines import bill_lines
from costmodel.pricing.catalog import load_catalog
from costmodel.pricing.engine import Bill
from costmodel.pricing.focus import (
    REGION_NAMES,
    FocusContext,
    focus_rows,
    to_focus_csv,
    write_focus,
)
from costmodel.pricing.free_tier import PROFILES
from kernel.errors import UsageError
from kernel.sam_template import DEFAULT_TEMPLATE
from onramp.reports.exports import (
    FORMATS,
    bill_rows,
    render_bill,
    render_text,
    to_csv,
    write_bill,
    write_table,
)
from onramp.reports.notebooks import RUNS_DIR, newest_run
from onramp.reports.workbook import assumptions, write_workbook

OUTPUT_FORMATS = ("table", "json", *FORMATS, "focus")
SHAPES = ("latest", "defaults")
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
    for name in ("estimate", "project"):
        parsers[name].add_argument(
            "--period", help="FOCUS export: first billing month, YYYY-MM (default: next month)"
        )
    parsers["breakeven"].add_argument("--budget", help="USD a month (default: the template's)")
    project_parser = parsers["project"]
    project_parser.add_argument("--months", default="24", help="months to project (default 24)")
    project_parser.add_argument("--users", required=True, help="onboardings in the first month")
    project_parser.add_argument("--growth", default="0%", help="monthly growth, e.g. 10%% or 0.1")
    project_parser.add_argument(
        "--growth-spread",
        default=f"{DEFAULT_GROWTH_SPREAD:.1%}",
        help="standard deviation of the monthly growth rate (default %(default)s; 0 fixes it)",
    )
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
        "--shape",
        choices=SHAPES,
        default="latest",
        help="without --measurement: the latest run's measurement if any (default), or the "
        "documented defaults",
    )
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
    parser.add_argument(
        "--out", metavar="FILE", help="also write the result (.csv/.json/.xlsx, or FOCUS)"
    )


def shape_source(measurement: str | None, shape: str, runs_dir: Path | None = None) -> Path | None:
    """The measurement to price: ``--measurement``, else the latest run, else None (defaults).

    ``runs_dir`` defaults to the project's runs/ (where ``onramp demo`` writes).
    """
    if measurement:
        if shape == "defaults":
            raise UsageError("--shape defaults: conflicts with --measurement (pick one)")
        return Path(measurement)
    return None if shape == "defaults" else newest_run(runs_dir or RUNS_DIR)


def _scenario(args: argparse.Namespace) -> Scenario:
    return load_scenario(
        shape_source(args.measurement, args.shape),
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
    """Onboardings a month from a flag: a whole number up to MAX_ONBOARDINGS (bound stated),
    in human units too (``1M``, ``500k``, ``29,028``)."""
    return parse_count(text, flag, minimum)


def growth_rate(text: str, flag: str = "--growth") -> float:
    """``10%`` or ``0.1`` -> 0.1; UsageError naming the flag if not a rate above -100 %.

    A bare number above 1 (``10``) is refused: it would mean 1000 %, and is almost always a
    percentage written without its unit.
    """
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise UsageError(f"{flag}: expected a rate such as 10% or 0.1, got {text!r}") from None
    if not raw.endswith("%") and abs(value) > 1:
        raise UsageError(
            f"{flag}: {text!r} has no unit; write {raw}% for {raw} percent "
            f"(a bare number is a fraction: 0.1 = 10%)"
        )
    if not -1 < value <= 10:
        raise UsageError(f"{flag}: expected a rate between -100% and 1000%, got {text!r}")
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


@dataclass
class Output:
    """What a command prints and exports: rows, the title, JSON, the workbook's parts."""

    rows: list[dict[str, Any]]
    title: str
    doc: Any
    facts: dict[str, Any]
    sheet: str
    bill: Bill | None = None
    fixed: Bill | None = None
    focus: list[dict[str, Any]] | None = None


def _emit(args: argparse.Namespace, output: Output) -> int:
    """Print the chosen format (JSON prints ``doc``) and write ``--out`` if asked.

    XLSX is one workbook (onramp.reports.workbook): Assumptions, the bill with its fixed part, or
    the command's table; FOCUS is the bill as FOCUS 1.2 rows (estimate and project).
    """
    if args.format == "xlsx" and not args.out:
        raise UsageError("--format xlsx: needs --out FILE.xlsx")
    if args.format == "focus" and output.focus is None:
        raise UsageError("--format focus: only `cost estimate` and `cost project` export a bill")
    if args.format == "json":
        sys.stdout.write(json.dumps(output.doc, indent=2, default=str) + "\n")
    elif args.format == "csv":
        sys.stdout.write(to_csv(output.rows))
    elif args.format == "focus" and not args.out:
        sys.stdout.write(to_focus_csv(output.focus or []))
    elif args.format == "table":
        body = render_bill(output.bill) if output.bill else render_text(output.rows)
        sys.stdout.write(f"{output.title}\n\n{body}")
    if args.out:
        fmt = args.format if args.format in (*FORMATS, "focus") else None
        fmt = fmt or Path(args.out).suffix.lstrip(".").lower()
        if fmt == "xlsx":
            tables = {} if output.bill is not None else {output.sheet: output.rows}
            path = write_workbook(
                args.out, output.facts, bill=output.bill, fixed=output.fixed, tables=tables
            )
        elif fmt == "focus":
            path = write_focus(output.focus or [], args.out)
        elif output.bill is not None:
            path = write_bill(output.bill, args.out, fmt)
        else:
            path = write_table(output.rows, args.out, fmt)
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _period(args: argparse.Namespace) -> date:
    """``--period YYYY-MM`` (default: next calendar month, UTC) as its first day."""
    text = getattr(args, "period", None)
    if not text:
        today = datetime.now(UTC).date()
        return date(today.year + today.month // 12, today.month % 12 + 1, 1)
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise UsageError(f"--period: expected a month as YYYY-MM, got {text!r}") from None


def _focus(
    scenario: Scenario, bills: list[tuple[date, Bill, str]], quantile: str
) -> list[dict[str, Any]]:
    """FOCUS rows of (month, bill, scenario label) priced on ``scenario``."""
    catalog = load_catalog(scenario.region)
    rows: list[dict[str, Any]] = []
    for month, bill, label in bills:
        context = FocusContext(
            period_start=month,
            region=scenario.region,
            region_name=REGION_NAMES.get(scenario.region, scenario.region),
            scenario=label,
            shape=scenario.shape,
            free_tier=scenario.free_tier,
            price_catalog_date=catalog.retrieved,
            run_id=scenario.evidence.run_id if scenario.evidence else "",
            quantile=quantile,
        )
        rows.extend(focus_rows(bill_lines(bill), context))
    return rows


def _context(scenario: Scenario) -> str:
    return scenario.describe()


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
        "shape": scenario.shape,
        **summary,
        "by_service": {k: str(v) for k, v in result.bill.by_service().items()},
        "bill": result.bill.to_dict(),
    }
    facts = assumptions(scenario, onboardings_a_month=users)
    label = f"estimate {users} onboardings a month"
    focus = (
        _focus(scenario, [(_period(args), result.bill, label)], "exact")
        if _focus_wanted(args)
        else []
    )
    return _emit(
        args, Output(rows, title, doc, facts, "Bill", result.bill, result.fixed_bill, focus)
    )


def run_breakeven(args: argparse.Namespace) -> int:
    """Print the monthly onboardings at which the budget breaks."""
    scenario = _scenario(args)
    budget = money("--budget", args.budget, scenario.stack.budget_usd)
    result = breakeven(scenario, budget)
    doc = result.to_dict() | {"shape": scenario.shape, "free_tier": scenario.free_tier}
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
    facts = assumptions(scenario, budget_usd=budget)
    return _emit(args, Output([doc], title, doc, facts, "Break-even"))


def run_project(args: argparse.Namespace) -> int:
    """Print the monthly projection with its Monte Carlo band and the budget line."""
    months = whole_number("--months", args.months, minimum=1)
    users = onboardings("--users", args.users)
    growth = growth_rate(args.growth)
    simulations = whole_number("--simulations", args.simulations, minimum=1)
    if simulations > MAX_SIMULATIONS:
        raise UsageError(f"--simulations: at most {MAX_SIMULATIONS:,}, got {args.simulations!r}")
    seed = whole_number("--seed", args.seed)
    spread = growth_rate(args.growth_spread, "--growth-spread")
    if spread < 0:
        raise UsageError(
            f"--growth-spread: expected a spread of 0 or more, got {args.growth_spread!r}"
        )
    scenario = _scenario(args)
    budget = money("--budget", args.budget, scenario.stack.budget_usd)
    result = project(
        months,
        users,
        growth,
        scenario=scenario,
        budget=budget,
        simulations=simulations,
        seed=seed,
        growth_spread=spread,
    )
    over = result.first_month_over_budget()
    title = (
        f"Projection: {users:,} onboardings in month 1, {simulations:,} simulations a month "
        f"({_context(scenario)}), USD; median over the {budget} USD budget: "
        f"{'month ' + str(over) if over else 'never'}\nUncertainty: {result.uncertainty}"
    )
    doc = {
        "shape": scenario.shape,
        "free_tier": scenario.free_tier,
        "region": scenario.region,
        "uncertainty": result.uncertainty,
        "rows": result.rows,
    }
    facts = assumptions(
        scenario,
        first_month_onboardings=users,
        growth=f"{growth:.1%} a month",
        uncertainty=result.uncertainty,
        simulations=simulations,
        seed=seed,
        budget_usd=budget,
    )
    focus = _projection_focus(args, scenario, result.rows) if _focus_wanted(args) else []
    return _emit(args, Output(result.rows, title, doc, facts, "Projection", focus=focus))


def _focus_wanted(args: argparse.Namespace) -> bool:
    """FOCUS rows are priced only for ``--format focus`` (a projection prices every month)."""
    return args.format == "focus"


def _projection_focus(
    args: argparse.Namespace, scenario: Scenario, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """FOCUS rows of each projected month: the exact bill at its central (P50) volume."""
    first = _period(args)
    bills = [
        (
            _add_months(first, row["month"] - 1),
            scenario.bill(row["users"], stored_onboardings=row["cumulative_users"]),
            f"projection month {row['month']} ({row['users']} onboardings)",
        )
        for row in rows
    ]
    return _focus(scenario, bills, "P50 volume")


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def run_sensitivity(args: argparse.Namespace) -> int:
    """Print tornado data: the bill with each uncertain input at its low and high end."""
    users = onboardings("--users", args.users)
    scenario = _scenario(args)
    rows = sensitivity(users, scenario)
    moved = widest(rows)
    title = (
        f"Sensitivity of the monthly bill at {users:,} onboardings ({_context(scenario)}), USD; "
        + (f"widest swing: {moved}" if moved else "no input moves the bill at this volume")
    )
    facts = assumptions(scenario, onboardings_a_month=users)
    return _emit(args, Output(rows, title, rows, facts, "Sensitivity"))


def run_article(args: argparse.Namespace) -> int:
    """Print the source article's figures next to the true ones, with the reasons."""
    users = onboardings("--users", args.users)
    scenario = _scenario(args)
    rows = compare_with_article(users, scenario)
    title = (
        f"The source article's 'Cost Breakdown' vs the true bill at {users:,} users a month "
        f"(true_usd: list prices, no free tier; {scenario.shape}), USD"
    )
    facts = assumptions(scenario, onboardings_a_month=users)
    return _emit(args, Output(rows, title, rows, facts, "Article vs true"))
