"""`cost diff` on real edits of stack/template.yaml, each figure checked by hand.

Prices: costmodel/pricing/prices/us-east-1.yaml (retrieved 2026-11-29): Lambda arm64 duration
$0.0000133334 per GB-s (first 7.5B GB-s, effective 2021-09-29), CloudWatch alarm metric $0.10
a month (2019-01-01), X-Ray traces recorded $0.000005 each (2019-01-01). Free tier
(prices/free_tier.yaml, always-free): 10 alarm metrics, 100,000 traces a month.
Shape: the documented defaults (costmodel/forecast/scenario.py): per onboarding 1.1 register
invocations of 15 ms, 1 enrich of 40 ms, 1 provision of 180 ms, and 1 % cold starts of 400 ms
billed INIT on every function.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costmodel.forecast.cost_diff import SHARED, CostDiff, Side, diff_costs
from costmodel.forecast.scenario import load_scenario
from kernel.sam_template import DEFAULT_TEMPLATE
from tests.costmodel.template_edits import (
    ADD_ALARM,
    DOUBLE_REGISTER_MEMORY,
    ESSENTIALS_POOL,
    TRACING_OFF,
    edited_stack,
)


def diff(tmp_path: Path, users: int, free_tier: str, *edits: tuple[str, str]) -> CostDiff:
    """The real template against a copy with ``edits``, on the documented defaults."""
    head = edited_stack(tmp_path, *edits)
    return diff_costs(
        Side("base", load_scenario(template=DEFAULT_TEMPLATE, free_tier=free_tier)),
        Side("head", load_scenario(template=head, free_tier=free_tier)),
        users,
    )


def line(d: CostDiff, service: str, item: str) -> tuple[Decimal, Decimal, tuple[str, ...]]:
    (row,) = [r for r in d.lines if (r.service, r.name) == (service, item)]
    return row.before, row.after, row.causes


def resource(d: CostDiff, service: str, name: str) -> tuple[Decimal, Decimal, tuple[str, ...]]:
    (row,) = [r for r in d.resources if (r.service, r.name) == (service, name)]
    return row.before, row.after, row.causes


def test_doubling_a_functions_memory_doubles_its_gb_seconds(tmp_path: Path) -> None:
    # Free tier none, 1M onboardings. Billed ms per onboarding, INIT included:
    #   register 1.1 x 15 + 1.1 x 0.01 x 400 = 16.5 + 4.4 = 20.9 ms
    #   enrich   1 x 40 + 0.01 x 400 = 44 ms;  provision 180 + 4 = 184 ms
    # GB-s at 1M (256 MB = 0.25 GB): register 20,900 s x 0.25 = 5,225; enrich 11,000;
    # provision 46,000; the sweeper, fixed: 8,760 runs (every 5 minutes of 730 hours) x
    # (100 + 400 INIT) ms x 0.25 GB = 1,095; all 63,320 GB-s x $0.0000133334 = $0.8442708...
    # -> $0.84 on the invoice. Register at 512 MB: 10,450 GB-s; all 68,545 x $0.0000133334 =
    # $0.9139479... -> $0.91.
    d = diff(tmp_path, 1_000_000, "none", DOUBLE_REGISTER_MEMORY)
    assert [c.what for c in d.changes] == ["register: memory 256 MB -> 512 MB"]
    before, after, causes = line(d, "lambda", "duration_arm64")
    assert (before, after) == (Decimal("0.84"), Decimal("0.91"))
    assert causes == ("register: memory 256 MB -> 512 MB",)
    before, after, causes = resource(d, "lambda", "register")
    gb_s_price = Decimal("0.0000133334")
    assert after - before == 5225 * gb_s_price  # exact, unrounded: $0.0696670150
    assert causes == ("register: memory 256 MB -> 512 MB",)
    # enrich untouched: 11,000 GB-s and 1M requests x $0.0000002 (Lambda requests, 2020-12-01)
    assert resource(d, "lambda", "enrich")[:2] == (11_000 * gb_s_price + Decimal("0.20"),) * 2
    assert d.total_change == Decimal("0.07")  # the one invoice line that moved
    assert [r.name for r in d.changed_lines] == ["duration_arm64"]


def test_free_tier_sharing_is_named_when_a_neighbour_moves(tmp_path: Path) -> None:
    # always-free: the 400,000 free GB-s go to resources in order (register first), so at
    # 10M onboardings register's doubled GB-s take free seconds the others used to get.
    # Register: 10M x 20.9 ms = 209,000 s x 0.5 GB = 104,500 GB-s; before 52,250 GB-s.
    # Requests: register 11M (1M free, also taken first), enrich and provision 10M each, at
    # $0.0000002: $2.00 each resource, before and after.
    d = diff(tmp_path, 10_000_000, "always-free", DOUBLE_REGISTER_MEMORY)
    requests = Decimal("2.0000000")
    assert resource(d, "lambda", "register")[:2] == (requests, requests)  # its GB-s all free
    # enrich: 110,000 GB-s; free left after register 347,750 -> 295,500: free both times
    assert resource(d, "lambda", "enrich")[:2] == (requests, requests)
    before, after, causes = resource(d, "lambda", "provision")
    # provision: 460,000 GB-s; free left 237,750 -> 185,500; billed 222,250 -> 274,500 GB-s
    price = Decimal("0.0000133334")
    assert (before, after) == (requests + 222_250 * price, requests + 274_500 * price)
    assert causes == (SHARED,)


def test_an_added_alarm_costs_one_alarm_metric(tmp_path: Path) -> None:
    # The template's alarms watch 20 alarm metrics (README); one plain alarm more is 21,
    # 10 free: 11 x $0.10 = $1.10 a month, at any volume, fixed.
    d = diff(tmp_path, 100_000, "always-free", ADD_ALARM)
    assert [c.what for c in d.changes] == [
        "alarm added: RegisterThrottleAlarm (plain, 1 alarm metric)"
    ]
    before, after, causes = line(d, "cloudwatch", "alarm_metrics")
    assert (before, after) == (Decimal("1.00"), Decimal("1.10"))
    assert causes == ("alarm added: RegisterThrottleAlarm (plain, 1 alarm metric)",)
    assert (d.before.fixed, d.after.fixed) == (Decimal("1.00"), Decimal("1.10"))
    assert d.total_change == Decimal("0.10")
    # $0.10 more a month, every month: the budget holds fewer onboardings.
    assert d.breakeven_after.within_budget < d.breakeven_before.within_budget  # type: ignore[operator]


def test_tracing_off_removes_the_xray_line(tmp_path: Path) -> None:
    # 100,000 onboardings x (1.1 + 1 + 1) traced invocations = 310,000 traces, plus the
    # sweeper's 8,760 scheduled runs = 318,760; 100,000 free; 218,760 x $0.000005 = $1.0938
    # -> $1.09. Tracing off (Globals): none.
    d = diff(tmp_path, 100_000, "always-free", TRACING_OFF)
    assert [c.what for c in d.changes] == [
        f"{fn}: X-Ray tracing on -> off" for fn in ("register", "enrich", "provision", "sweeper")
    ]
    before, after, causes = line(d, "xray", "traces_recorded")
    assert (before, after) == (Decimal("1.09"), Decimal("0.00"))
    assert len(causes) == 4
    assert resource(d, "xray", "lambda")[:2] == (Decimal("1.0938"), Decimal(0))
    assert d.total_change == Decimal("-1.09")
    # At the break-even (under 30,000 onboardings: under 100,000 traces) the free 100,000
    # cover them all.
    assert d.breakeven_after == d.breakeven_before


def test_no_change_is_an_empty_diff() -> None:
    scenario = load_scenario(free_tier="always-free")
    d = diff_costs(Side("a", scenario), Side("b", scenario), 1_000)
    assert d.changes == [] and d.changed_resources == [] and d.changed_lines == []
    assert d.total_change == 0


def test_a_dearer_user_pool_plan_moves_cognito_and_the_break_even(tmp_path: Path) -> None:
    # 100,000 MAU: Lite 90,000 x $0.0055 = $495.00; Essentials 90,000 x $0.015 = $1350.00.
    d = diff(tmp_path, 100_000, "always-free", ESSENTIALS_POOL)
    assert [c.what for c in d.changes] == ["user pool plan lite -> essentials"]
    assert line(d, "cognito", "mau_lite")[:2] == (Decimal("495.00"), Decimal("0.00"))
    assert line(d, "cognito", "mau_essentials")[:2] == (Decimal("0.00"), Decimal("1350.00"))
    assert d.breakeven_after.within_budget < d.breakeven_before.within_budget  # type: ignore[operator]


@pytest.mark.parametrize("users", [0, 1_000])
def test_json_holds_every_row_with_its_sums(tmp_path: Path, users: int) -> None:
    d = diff(tmp_path, users, "always-free", ADD_ALARM)
    doc = d.to_dict()
    assert doc["users"] == users and doc["fixed"]["change"] == "0.10"
    assert sum(Decimal(r["after"]) for r in doc["invoice_lines"]) == d.after.total
    assert "free tier always-free" in doc["head"]["priced"]
