"""Break-even: the monthly onboardings at which the bill first goes over the budget.

An exact search over the Decimal engine: exponential growth to bracket the crossing, then
bisection on integers, keeping ``bill(within) <= budget < bill(within + 1)``. Tiers, free-tier
allowances and per-line cent rounding are all in the bills it compares.

Example::

    result = breakeven()                        # template, defaults, its budget
    result.within_budget, result.first_over     # e.g. (873_912, 873_913)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from costmodel.forecast.scenario import Scenario, load_scenario

SEARCH_LIMIT = 10**12
"""Onboardings a month beyond which we stop looking (far past any tier boundary)."""


@dataclass(frozen=True)
class BreakEven:
    """Where the budget breaks: the last volume within it and the first one over it.

    ``within_budget`` is None when the fixed costs alone exceed the budget; ``first_over`` is
    None when the budget holds up to SEARCH_LIMIT onboardings.
    """

    budget: Decimal
    within_budget: int | None
    first_over: int | None
    bill_within: Decimal | None
    bill_over: Decimal | None

    def to_dict(self) -> dict[str, str | None]:
        """The result with amounts as decimal strings."""
        return {
            "budget": str(self.budget),
            "onboardings_within_budget": _text(self.within_budget),
            "first_onboardings_over_budget": _text(self.first_over),
            "bill_within": _text(self.bill_within),
            "bill_over": _text(self.bill_over),
        }


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def breakeven(
    scenario: Scenario | None = None, budget: Decimal | None = None, limit: int = SEARCH_LIMIT
) -> BreakEven:
    """The largest monthly onboardings whose bill stays within ``budget`` (and the next one).

    Defaults: the template with the documented per-onboarding defaults, the template's budget.
    """
    scenario = scenario or load_scenario()
    budget = scenario.stack.budget_usd if budget is None else budget

    def bill(users: int) -> Decimal:
        return scenario.bill(users).total

    at_zero = scenario.fixed_bill.total
    if at_zero > budget:
        return BreakEven(budget, None, 0, None, at_zero)
    low, low_bill, high = 0, at_zero, 1
    while (high_bill := bill(high)) <= budget:
        if high >= limit:
            return BreakEven(budget, high, None, high_bill, None)
        low, low_bill, high = high, high_bill, min(high * 2, limit)
    while high - low > 1:
        middle = (low + high) // 2
        middle_bill = bill(middle)
        if middle_bill <= budget:
            low, low_bill = middle, middle_bill
        else:
            high, high_bill = middle, middle_bill
    return BreakEven(budget, low, high, low_bill, high_bill)


def cost_curve(scenario: Scenario, users: list[int]) -> list[Decimal]:
    """The exact monthly bill at each volume (for break-even plots)."""
    return [scenario.bill(n).total for n in users]
