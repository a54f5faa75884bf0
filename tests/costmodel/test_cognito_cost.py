"""Cognito user pools priced per MAU by feature plan, with the Lite/Essentials free allowance.

Figures from https://aws.amazon.com/cognito/pricing/ (feature plans of 2024-11-22): Lite
$0.0055 per MAU from 10,001 to 100,000 and $0.0046 to 1,000,000; Essentials $0.015; Plus
$0.02; 10,000 MAU a month free on Lite and Essentials together, none on Plus.
"""

from decimal import Decimal

from costmodel.forecast.scenario import DEFAULT_SIGN_IN_SHARE, load_scenario
from costmodel.pricing.engine import price_usage


def bill(free_tier: str, *pools: dict) -> Decimal:
    usage = {
        "region": "us-east-1",
        "free_tier": free_tier,
        "resources": [{"service": "cognito", "name": f"pool{i}", **p} for i, p in enumerate(pools)],
    }
    return price_usage(usage).total


def test_lite_tiers_start_after_the_free_allowance() -> None:
    assert bill("always-free", {"mau_lite": 10_000}) == Decimal("0.00")
    assert bill("always-free", {"mau_lite": 100_000}) == Decimal("495.00")  # 90,000 x 0.0055
    assert bill("always-free", {"mau_lite": 1_000_000}) == Decimal("4635.00")  # + 900,000 x 0.0046
    assert bill("none", {"mau_lite": 100_000}) == Decimal("550.00")


def test_lite_and_essentials_share_one_allowance_and_plus_has_none() -> None:
    assert bill("always-free", {"mau_lite": 6_000}, {"mau_essentials": 6_000}) == Decimal("30.00")
    assert bill("always-free", {"mau_plus": 1_000}) == Decimal("20.00")


def test_every_onboarding_is_an_mau_and_earlier_users_by_the_sign_in_share() -> None:
    scenario = load_scenario()
    assert scenario.stack.user_pool_plan == "lite"  # stack/template.yaml's UserPoolTier
    assert scenario.per.sign_in_share == DEFAULT_SIGN_IN_SHARE

    def mau(users: int, stored: int | None = None) -> Decimal:
        usage = scenario.usage(users, stored_onboardings=stored)
        [pool] = [r for r in usage["resources"] if r["service"] == "cognito"]
        return pool["mau_lite"]

    assert mau(1_000) == 1_000
    assert mau(1_000, stored=0) == 1_000  # storage left out: no earlier users, none negative
    assert mau(1_000, stored=5_000) == 1_000 + 4_000 * Decimal(str(DEFAULT_SIGN_IN_SHARE))
    everyone = load_scenario(sign_in_share=1.0)
    usage = everyone.usage(1_000, stored_onboardings=5_000)
    assert [r["mau_lite"] for r in usage["resources"] if r["service"] == "cognito"] == [5_000]


def test_the_cognito_line_moves_the_break_even() -> None:
    """At 100,000 onboardings a month the pool alone is $495: over the $100 budget."""
    estimate = load_scenario().bill(100_000)
    assert estimate.by_service()["cognito"] == Decimal("495.00")
