"""A cost diff (costmodel.forecast.cost_diff) as text for a terminal or Markdown for a PR comment.

Both show what changed, the totals, fixed part, cost per 1,000 and break-even before -> after,
then only the rows that moved: per resource (exact, shown to $0.0001) and per invoice line
(rounded to cents, as billed), each with the changes that touch it.
"""

from __future__ import annotations

from decimal import Decimal

from costmodel.forecast.breakeven import BreakEven
from costmodel.forecast.cost_diff import CostDiff, Delta
from onramp.reports.exports import render_text

EXACT_SHOWN = Decimal("0.0001")


def _usd(value: Decimal, signed: bool = False) -> str:
    sign = ("+" if value > 0 else "-" if value < 0 else "±") if signed else ""
    return f"{sign}${value.copy_abs()}"


def _change(before: Decimal, after: Decimal) -> str:
    """``+$0.30, +0.06%`` (no share from a zero base)."""
    gap = after - before
    share = f", {gap / before:+.2%}" if before else ""
    return f"{_usd(gap, signed=True)}{share}"


def _breakeven(result: BreakEven) -> str:
    if result.within_budget is None:
        return "none (fixed costs alone exceed the budget)"
    if result.first_over is None:
        return f"over {result.within_budget:,} (never breaks in the search)"
    return f"{result.within_budget:,}"


def _breakeven_change(diff: CostDiff) -> str:
    a, b = diff.breakeven_before.within_budget, diff.breakeven_after.within_budget
    if a is None or b is None:
        return ""
    return " (unchanged)" if a == b else f" ({b - a:+,})"


def headline(diff: CostDiff) -> list[tuple[str, str]]:
    """(figure, ``before -> after (change)``) for total, fixed, per 1,000 and break-even."""
    b, a = diff.before, diff.after
    budgets = {diff.breakeven_before.budget, diff.breakeven_after.budget}
    budget = " / ".join(f"${x}" for x in sorted(budgets))
    return [
        ("monthly total", f"{_usd(b.total)} -> {_usd(a.total)} ({_change(b.total, a.total)})"),
        ("fixed part", f"{_usd(b.fixed)} -> {_usd(a.fixed)} ({_change(b.fixed, a.fixed)})"),
        (
            "per 1,000 onboardings",
            f"{_usd(b.per_1000)} -> {_usd(a.per_1000)} ({_change(b.per_1000, a.per_1000)})",
        ),
        (
            f"break-even (onboardings a month within {budget})",
            f"{_breakeven(diff.breakeven_before)} -> {_breakeven(diff.breakeven_after)}"
            + _breakeven_change(diff),
        ),
    ]


def _rows(deltas: list[Delta], exact: bool, name: str) -> list[dict[str, str]]:
    def shown(value: Decimal) -> Decimal:
        return value.quantize(EXACT_SHOWN) if exact else value

    return [
        {
            "service": d.service,
            name: d.name,
            "before": _usd(shown(d.before)),
            "after": _usd(shown(d.after)),
            "change": _usd(shown(d.change), signed=True),
            "why": "; ".join(d.causes) or "-",
        }
        for d in deltas
    ]


def sections(diff: CostDiff) -> list[tuple[str, list[dict[str, str]]]]:
    """(title, rows) of the rows that moved: per resource (exact), then per invoice line."""
    found = []
    if diff.changed_resources:
        rows = _rows(diff.changed_resources, exact=True, name="resource")
        found.append(("By resource (exact, unrounded; shown to $0.0001)", rows))
    if diff.changed_lines:
        rows = _rows(diff.changed_lines, exact=False, name="line")
        found.append(("Invoice lines (each rounded to the cent; they sum to the totals)", rows))
    return found


def _sides(diff: CostDiff) -> list[str]:
    return [
        f"base: {diff.base.label} ({diff.base.scenario.describe()})",
        f"head: {diff.head.label} ({diff.head.scenario.describe()})",
    ]


def _unchanged(diff: CostDiff) -> str:
    resources = len(diff.resources) - len(diff.changed_resources)
    lines = len(diff.lines) - len(diff.changed_lines)
    return f"{resources} resources and {lines} invoice lines unchanged (all of them: --format json)"


def diff_text(diff: CostDiff) -> str:
    """The diff for a terminal."""
    out = [f"cost diff at {diff.users:,} onboardings a month, USD", *_sides(diff), ""]
    out.append("what changed:")
    out += [f"  - {c.what}" for c in diff.changes] or ["  nothing that the cost model reads"]
    out.append("")
    width = max(len(figure) for figure, _ in headline(diff))
    out += [f"{figure.ljust(width)}  {value}" for figure, value in headline(diff)]
    for title, rows in sections(diff):
        out += ["", f"{title}:", render_text(rows).rstrip("\n")]
    out += ["", _unchanged(diff)]
    return "\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(rows: list[dict[str, str]]) -> list[str]:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    lines += ["| " + " | ".join(_md_cell(row[c]) for c in columns) + " |" for row in rows]
    return lines


def diff_markdown(diff: CostDiff) -> str:
    """The diff as Markdown, ready for a pull-request comment."""
    b, a = diff.before.total, diff.after.total
    out = [
        f"### Cost diff: {_usd(b)} -> {_usd(a)} a month ({_change(b, a)}) "
        f"at {diff.users:,} onboardings",
        "",
        *(f"- {side}" for side in _sides(diff)),
        "",
        "**What changed**",
        "",
    ]
    out += [f"- {c.what}" for c in diff.changes] or ["- nothing that the cost model reads"]
    out += ["", *_md_table([{"figure": f, "before -> after": v} for f, v in headline(diff)])]
    for title, rows in sections(diff):
        out += ["", f"**{title}**", "", *_md_table(rows)]
    out += ["", f"_{_unchanged(diff)}._", ""]
    return "\n".join(out)
