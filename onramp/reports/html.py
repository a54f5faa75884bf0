"""report.html of a demo run: one self-contained page (plots embedded as PNG), for people.

Sections: the run's metadata (date, duration, rate, machine, git commit, price catalog
dates, free-tier profile, shape priced) and links, verdict (red at the top when anything
was lost or sent twice, or an alarm of the template would fire), the alarms judged on the
run, cost (by service, per 1,000, break-even), the Lambda duration alarm, per-onboarding
work, load by payload kind and over time, and the bill at the chosen volume. Cells read
as people read them (onramp.reports.formatting): money as $, small unit prices per million,
numbers right-aligned.
"""

from __future__ import annotations

import base64
import html
import io
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from costmodel.forecast.breakeven import cost_curve
from costmodel.pricing.catalog import load_catalog
from loadtest.results import HTML_REPORT
from onramp.alarms import INDICATIVE_BELOW
from onramp.demo import DemoOutcome, count_text, sign_in_text
from onramp.reports import cost_plots as plots
from onramp.reports.exports import bill_rows, resource_rows
from onramp.reports.formatting import is_numeric, readable
from onramp.reports.load_analysis import (
    duration_ecdfs,
    locust_history,
    per_onboarding_table,
)
from onramp.reports.load_plots import duration_ecdf, latency_over_time, load_over_time
from onramp.reports.notebooks import NOTEBOOKS, REPORT_SUBDIR

REPORT_HTML = "report.html"
CURVE_POINTS = 25
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 50rem;
       padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.8rem;
        display: block; max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.15rem 0.35rem; text-align: left; }
th { background: #f3f3f3; } td.num, th.num { text-align: right; white-space: nowrap; }
table.meta th { text-align: left; width: 11rem; }
.ok { color: #17692f; } .bad { color: #b00020; } figure { margin: 1rem 0; }
.banner { padding: 0.6rem 1rem; border: 2px solid currentColor; font-size: 1.1rem; }
img { max-width: 100%; } .note { color: #555; font-size: 0.9rem; }
"""


def write_report(outcome: DemoOutcome, path: Path | None = None) -> Path:
    """Render the report of ``outcome`` to ``run_dir/report.html`` (or ``path``)."""
    path = path or outcome.run_dir / REPORT_HTML
    path.write_text(render(outcome), encoding="utf-8")
    return path


def render(outcome: DemoOutcome) -> str:
    """The whole page as one HTML string."""
    m = outcome.measurement
    headline = outcome.headline
    be = outcome.breakeven
    history = locust_history(outcome.run_dir)
    ecdfs = duration_ecdfs(outcome.invocations)
    verdict = (
        "ok: nothing lost, nothing sent twice, no alarm of the template would fire"
        if outcome.ok
        else "NOT OK"
    )
    css = "ok" if outcome.ok else "bad"
    parts = [
        f"<h1>onramp run {_e(outcome.run_dir.name)}</h1>",
        f"<p id='verdict' class='{css} banner'><strong>Verdict: {_e(verdict)}</strong></p>",
        _list(outcome.problems),
        _indicative(outcome),
        _metadata(outcome),
        _links(outcome),
        _table([_verification_row(outcome)]),
        "<h2>Alarms of the template, judged on this run</h2>",
        "<p>Each alarm evaluated as CloudWatch does (clock-aligned periods, its statistic "
        f"against its threshold). A p99 on fewer than {INDICATIVE_BELOW} samples is "
        "<em>indicative</em>: shown with its sample size, it does not fail the verdict alone. "
        "An alarm allowed with <code>--allow-alarm</code> is listed, not failed.</p>",
        _table(
            {**c.row(), "allowed": c.alarm in outcome.allowed_alarms} for c in outcome.alarm_checks
        ),
        "<h2>Cost</h2>",
        "<p>Monthly bill at each volume, priced from this run's per-onboarding figures "
        f"(region {_e(outcome.scenario.region)}, free tier {_e(outcome.scenario.free_tier)}). "
        f"At {headline.users:,} onboardings a month: <strong>${headline.total}</strong> "
        f"(fixed ${headline.fixed}, variable ${headline.variable}); "
        f"${headline.per_1000} per 1,000 onboardings.</p>",
        _table([{"onboardings a month": n, **_summary(e)} for n, e in outcome.estimates.items()]),
        _figure("cost-by-service", _cost_figure(outcome)),
        f"<p>The ${be.budget} budget holds up to <strong>{count_text(be.within_budget)}</strong> "
        f"onboardings a month; it breaks at {count_text(be.first_over)}.</p>",
        f"<p>{_e(sign_in_text(outcome))}.</p>",
        _figure("breakeven", _breakeven_figure(outcome)),
        "<h2>Lambda duration alarm</h2>",
        f"<p>The template alarms when a function's p99 duration exceeds "
        f"{outcome.alarm_ms:g} ms. Judged on server-side durations (not Locust's client "
        "latency, which it rounds to 100 ms above 1 s). Durations are this machine's under "
        "moto, not Lambda's: read them as a relative profile.</p>",
        _table(outcome.alarm_rows),
        _figure("duration-ecdf", duration_ecdf(ecdfs, outcome.alarm_ms)),
        "<h2>Work per onboarding</h2>",
        _table(per_onboarding_table(m)),
        "<h2>Load</h2>",
        f"<p>{outcome.load.aggregated.requests:,} requests, "
        f"{outcome.load.aggregated.failures:,} unexpected answers, "
        f"{outcome.load.aggregated.rps:.1f} requests/s. Deliberately bad payloads answered "
        "with their expected 4xx count as successes. By payload kind (client-side latency, "
        "Locust's rounding):</p>",
        _table(payload_kinds(outcome)),
        _figure("load-over-time", load_over_time(history)),
        _figure("latency", latency_over_time(history)),
        f"<h2>The bill at {headline.users:,} onboardings a month</h2>",
        "<h3>Invoice lines (these sum to the bill)</h3>",
        _table(bill_rows(headline.bill)),
        "<p class='note'>One line per usage type and tier in the region, summed over every "
        "resource of the account and rounded to the cent, then the lines are summed, as AWS's "
        "invoice does. A line marked <em>unconfirmed</em> uses a price no AWS text confirms. "
        "Every price is in costmodel/pricing/prices/ with its source and date.</p>",
        "<h3>Where it goes, per resource (exact; does not sum to the bill)</h3>",
        _table(resource_rows(headline.bill)),
    ]
    body = "\n".join(parts)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>onramp run {_e(outcome.run_dir.name)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def run_metadata(outcome: DemoOutcome) -> dict[str, str]:
    """What the run was: when, how long, how hard, where, which code, which prices."""
    manifest = outcome.load.manifest
    parameters = manifest.get("parameters", {})
    window = outcome.measurement.window
    catalog = load_catalog(outcome.scenario.region)
    dates = sorted({price.effective_date for price in catalog.prices.values()})
    commit = str(manifest.get("git_commit") or "unknown")
    return {
        "date": f"{window.start[:19].replace('T', ' ')} UTC",
        "duration": f"{parameters.get('duration_s', 0):g} s of load; "
        f"{window.seconds:.0f} s measured (load and drain)",
        "rate": f"{parameters.get('rate', 0):g} registrations a second "
        f"({parameters.get('shape', 'steady')}, {parameters.get('users', '?')} Locust users)",
        "machine": socket.gethostname(),
        "git commit": commit[:12],
        "price catalog": f"costmodel/pricing/prices/{catalog.region}.yaml, retrieved "
        f"{catalog.retrieved}; prices effective {dates[0]} .. {dates[-1]}",
        "free-tier profile": outcome.scenario.free_tier,
        "shape priced": outcome.scenario.shape,
    }


def _metadata(outcome: DemoOutcome) -> str:
    rows = "".join(
        f"<tr><th>{_e(key)}</th><td>{_e(value)}</td></tr>"
        for key, value in run_metadata(outcome).items()
    )
    return f"<table class='meta'><tbody>{rows}</tbody></table>"


def _links(outcome: DemoOutcome) -> str:
    """Links to Locust's own report and the rendered notebooks (or how to render them)."""
    run = outcome.run_dir
    links = []
    if (run / HTML_REPORT).is_file():
        links.append(f"<a href='{HTML_REPORT}'>Locust's report</a>")
    pages = [f"{REPORT_SUBDIR}/{Path(name).stem}.html" for name in NOTEBOOKS]
    links.extend(f"<a href='{page}'>{_e(Path(page).stem)}</a>" for page in pages)
    rendered = all((run / page).is_file() for page in pages)
    hint = "" if rendered else f" (render them with <code>onramp report {_e(run)}</code>)"
    return f"<p>See also: {' &middot; '.join(links)}{hint}.</p>"


def payload_kinds(outcome: DemoOutcome) -> list[dict[str, Any]]:
    """One row per payload kind of the load mix: requests, unexpected answers, latency."""
    return [
        {
            "payload kind": name.partition("[")[2].rstrip("]") or name,
            "requests": stats.requests,
            "unexpected answers": stats.failures,
            "requests/s": round(stats.rps, 2),
            "p50 ms": stats.p50_ms,
            "p95 ms": stats.p95_ms,
            "p99 ms": stats.p99_ms,
        }
        for name, stats in outcome.load.by_name.items()
    ]


def _summary(estimate: Any) -> dict[str, Any]:
    return {
        "total": estimate.total,
        "fixed": estimate.fixed,
        "variable": estimate.variable,
        "per_1000_onboardings": estimate.per_1000,
    }


def _cost_figure(outcome: DemoOutcome) -> Figure:
    bills = {f"{n:,}": e.bill for n, e in outcome.estimates.items()}
    fixed = outcome.headline.fixed
    return plots.cost_by_service(bills, fixed=fixed, note=outcome.scenario.describe())


def _breakeven_figure(outcome: DemoOutcome) -> Figure:
    top = max(outcome.breakeven.first_over or 0, max(outcome.estimates)) * 2
    users = [round(top * i / (CURVE_POINTS - 1)) for i in range(CURVE_POINTS)]
    totals = cost_curve(outcome.scenario, users)
    return plots.breakeven_curve(
        users,
        totals,
        outcome.breakeven.budget,
        outcome.breakeven.within_budget,
        outcome.headline.fixed,
        outcome.scenario.describe(),
    )


def _figure(figure_id: str, figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<figure id='{figure_id}'><img alt='{figure_id}' "
        f"src='data:image/png;base64,{encoded}'></figure>"
    )


def _table(rows: Iterable[Mapping[str, Any]]) -> str:
    rows = list(rows)
    if not rows:
        return "<p class='note'>(none)</p>"
    columns = list(dict.fromkeys(key for row in rows for key in row))
    numeric = {c for c in columns if any(is_numeric(row.get(c)) for row in rows)}

    def cell(tag: str, column: str, text: str) -> str:
        css = " class='num'" if column in numeric else ""
        return f"<{tag}{css}>{_e(text)}</{tag}>"

    head = "".join(cell("th", c, c.replace("_", " ")) for c in columns)
    body = "".join(
        "<tr>" + "".join(cell("td", c, readable(row.get(c), c)) for c in columns) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _list(lines: list[str]) -> str:
    return (
        "<ul>" + "".join(f"<li class='bad'>{_e(x)}</li>" for x in lines) + "</ul>" if lines else ""
    )


def _verification_row(outcome: DemoOutcome) -> dict[str, Any]:
    """The lossless checks' counts; their own ``ok`` renamed so it is not read as the verdict."""
    row = outcome.verification.to_dict()
    return {"nothing_lost_or_twice": row.pop("ok"), **row, "problems": len(outcome.problems)}


def _indicative(outcome: DemoOutcome) -> str:
    lines = [
        f"{c.alarm}: {c.value:g} against {c.threshold:g} on {c.samples} samples: indicative, "
        "not failed"
        for c in outcome.indicative
    ]
    return (
        "<ul>" + "".join(f"<li class='note'>{_e(x)}</li>" for x in lines) + "</ul>" if lines else ""
    )


def _e(value: Any) -> str:
    return html.escape(str(value))
