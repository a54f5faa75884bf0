"""The article's breakdown against the true bill at 1,000 users a month."""

from __future__ import annotations

from decimal import Decimal

from scenario_fixtures import fixture_scenario

from costmodel.forecast.article import compare_with_article


def test_side_by_side_at_the_seed_scenario() -> None:
    rows = {row["line"]: row for row in compare_with_article(1000, fixture_scenario())}
    assert list(rows) == [
        "API Gateway",
        "Lambda",
        "DynamoDB",
        "SES",
        "CloudWatch",
        "Miscellaneous",
        "TOTAL",
    ]
    api = rows["API Gateway"]
    assert api["article_usd"] == Decimal("0.004")
    assert api["true_exact_usd"] == Decimal("0.0011")  # 1,100 requests at $1.00 per million
    assert "$1.00 per million" in api["reason"] and "1,000x" in api["reason"]
    assert rows["SES"]["true_usd"] == Decimal("0.10")  # not <1 cent: $0.10 per 1,000
    assert "$0.10 per 1,000 recipients" in rows["SES"]["reason"]
    # 8 custom metric series, no free tier, pro rata by the hours with data: 1,000 onboardings
    # fill 1 - exp(-1000 / 730) = 74.6 % of the hours, 5.97 metric-months x $0.30 = $1.79.
    assert rows["CloudWatch"]["true_usd"] == Decimal("1.79")
    assert rows["Miscellaneous"]["true_usd"] == Decimal("0.81")  # 8 alarm metrics + S3 PUTs
    assert "8 alarm metrics" in rows["Miscellaneous"]["reason"]
    assert "0.0625 cents per 1,000" in rows["DynamoDB"]["reason"]
    total = rows["TOTAL"]
    assert total["true_usd"] == fixture_scenario("none").bill(1000).total == Decimal("2.73")
    assert total["true_usd_always_free"] == Decimal("0.12")  # + DynamoDB writes, one line
    assert total["true_usd"] > total["article_usd"]
