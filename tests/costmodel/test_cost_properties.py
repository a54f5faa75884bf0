"""Properties of the cost engine and the scenario: never negative, monotone in every usage
quantity, a free tier never raises a bill, and the rounded lines sum to the total exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costmodel.forecast.scenario import Scenario, load_scenario
from costmodel.pricing.components.registry import SERVICES
from costmodel.pricing.engine import Bill, price_usage, to_cents

BOUNDED = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Free-tier profiles from the most generous to none: each bill is at most the next one's.
PROFILES_BY_GENEROSITY = ("legacy-12-month", "always-free", "none")

# Up to 1e6 per key: a product of three keys (requests x ms x MB) stays under the engine's
# bound on what an account can meter (usage.MAX_MONTHLY_QUANTITY), still past every tier.
quantities = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(Decimal),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
)


@st.composite
def resources(draw: st.DrawFn) -> dict[str, Any]:
    """One usage-file resource of any priced service, every field drawn."""
    service = draw(st.sampled_from(sorted(SERVICES)))
    resource: dict[str, Any] = {"service": service, "name": draw(st.sampled_from("abc"))}
    for key, field in SERVICES[service].fields.items():
        if field.choices:
            resource[key] = draw(st.sampled_from(field.choices))
        elif field.default is not None or draw(st.booleans()):
            resource[key] = draw(quantities)
    return resource


usages = st.fixed_dictionaries(
    {
        "region": st.sampled_from(["us-east-1", "eu-west-1", "eu-central-1"]),
        "free_tier": st.sampled_from(PROFILES_BY_GENEROSITY),
        "ses_plan": st.just("a-la-carte"),
        "resources": st.lists(resources(), min_size=1, max_size=4),
    }
)


def assert_exact(bill: Bill) -> None:
    """Every line is its own amount rounded to cents; the total is the sum of those lines."""
    for line in bill.lines:
        assert line.usd >= 0
        assert line.usd == to_cents(line.quantity * line.unit_price)
        assert line.usd.as_tuple().exponent == -2
    assert bill.total == sum((line.usd for line in bill.lines), Decimal("0.00"))
    assert sum(bill.by_service().values(), Decimal("0.00")) == bill.total
    assert Decimal(bill.to_dict()["total"]) == sum(
        Decimal(x["usd"]) for x in bill.to_dict()["lines"]
    )


@BOUNDED
@given(usages)
def test_a_bill_is_never_negative_and_its_lines_sum_to_the_total(usage: dict[str, Any]) -> None:
    bill = price_usage(usage)
    assert bill.total >= 0
    assert_exact(bill)


@BOUNDED
@given(usages, st.data())
def test_more_of_any_usage_quantity_never_lowers_the_bill(usage: dict[str, Any], data) -> None:
    resources = usage["resources"]
    index = data.draw(st.integers(min_value=0, max_value=len(resources) - 1))
    resource = resources[index]
    numeric = [k for k, f in SERVICES[resource["service"]].fields.items() if not f.choices]
    # An absent billed_ms_total means "derived from duration_ms": not an explicit 0.
    key = data.draw(st.sampled_from([k for k in numeric if k in resource]))
    delta = data.draw(quantities.filter(lambda q: q > 0))
    more = [*resources[:index], {**resource, key: resource[key] + delta}, *resources[index + 1 :]]
    assert price_usage({**usage, "resources": more}).total >= price_usage(usage).total


@BOUNDED
@given(usages)
def test_a_free_tier_never_raises_the_bill(usage: dict[str, Any]) -> None:
    totals = [price_usage(usage, free_tier=profile).total for profile in PROFILES_BY_GENEROSITY]
    assert totals == sorted(totals)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """The documented default scenario on stack/template.yaml."""
    return load_scenario()


users = st.integers(min_value=0, max_value=5_000_000)


@BOUNDED
@given(users, users)
def test_the_scenarios_bill_is_exact_and_monotone_in_users(
    scenario: Scenario, first: int, second: int
) -> None:
    low, high = sorted((first, second))
    low_bill, high_bill = scenario.bill(low), scenario.bill(high)
    assert_exact(low_bill)
    assert_exact(high_bill)
    assert Decimal(0) <= low_bill.total <= high_bill.total


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(users)
def test_the_scenarios_free_tiers_never_raise_its_bill(scenario: Scenario, count: int) -> None:
    usage = scenario.usage(count)
    totals = [price_usage(usage, free_tier=profile).total for profile in PROFILES_BY_GENEROSITY]
    assert totals == sorted(totals)
