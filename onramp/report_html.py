"""report.html of a demo run: one self-contained page (plots embedded as PNG), for people.

Sections: verdict (red at the top when anything was lost or sent twice, or an alarm of the
template would fire), the alarms judged on the run, cost (by service, per 1,000, break-even),
the Lambda duration alarm, per-onboarding work, load and latency over time, and the bill at
the chosen volume.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from costmodel import plots
from costmodel.breakeven import cost_curve
from costmodel.exports import bill_rows, resource_rows
from costmodel.load_analysis import (
    duration_ecdfs,
    locust_history,
    per_onboarding_table,
)
from costmodel.load_plots import duration_ecdf, latency_over_time, load_over_time
from onramp.alarms import INDICATIVE_BELOW
from onramp.demo import DemoOutcome, count_text, sign_in_text

REPORT_HTML = "report.html"
CURVE_POINTS = 25
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
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
        _table(
            [
                {"onboardings a month": f"{n:,}", **_money(e.summary())}
                for n, e in outcome.estimates.items()
            ]
        ),
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
        "with their expected 4xx count as successes.</p>",
        _figure("load-over-time", load_over_time(history)),
        _figure("latency", latency_over_time(history)),
        f"<h2>The bill at {headline.users:,} onboardings a month</h2>",
        "<h3>Invoice lines (these sum to the bill)</h3>",
        _table(bill_rows(headline.bill)),
        "<p class='note'>One line per usage type and tier in the region, summed over every "
        "resource of the account and rounded to the cent, then the lines are summed, as AWS's "
        "invoice does. A line marked <em>unconfirmed</em> uses a price no AWS text confirms. "
        "Every price is in costmodel/prices/ with its source and date.</p>",
        "<h3>Where it goes, per resource (exact; does not sum to the bill)</h3>",
        _table(resource_rows(headline.bill)),
    ]
    body = "\n".join(parts)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>onramp run {_e(outcome.run_dir.name)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _cost_figure(outcome: DemoOutcome) -> Figure:
    return plots.cost_by_service({f"{n:,}": e.bill for n, e in outcome.estimates.items()})


def _breakeven_figure(outcome: DemoOutcome) -> Figure:
    top = max(outcome.breakeven.first_over or 0, max(outcome.estimates)) * 2
    users = sorted({max(1, round(top ** (i / (CURVE_POINTS - 1)))) for i in range(CURVE_POINTS)})
    totals = cost_curve(outcome.scenario, users)
    return plots.breakeven_curve(
        users, totals, outcome.breakeven.budget, outcome.breakeven.within_budget
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
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(row.get(c, ''))}</td>" for c in columns) + "</tr>"
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


def _money(summary: Mapping[str, str]) -> dict[str, str]:
    return {k: f"${v}" for k, v in summary.items() if k != "users"}


def _e(value: Any) -> str:
    return html.escape(str(value))
