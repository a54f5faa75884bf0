from decimal import Decimal

from onramp.staging.reconcile import Variance, modelled_by_ce_service, reconcile, render


def test_variance_labels_and_percentages() -> None:
    over = Variance("AWS Lambda", Decimal("1.10"), Decimal("1.00"))
    assert (over.variance, over.variance_pct, over.label) == (
        Decimal("0.10"),
        Decimal("10.0"),
        "unfavourable",
    )
    under = Variance("Amazon DynamoDB", Decimal("0.25"), Decimal("0.75"))
    assert (under.variance_pct, under.label) == (Decimal("-66.7"), "favourable")
    unmodelled = Variance("Amazon Simple Notification Service", Decimal("0.02"), Decimal(0))
    assert unmodelled.variance_pct is None
    assert Variance("x", Decimal("1.00"), Decimal("1.00")).label == "on model"


def test_reconcile_maps_model_services_to_cost_explorer_names() -> None:
    modelled = {
        "lambda": Decimal("1.00"),
        "http_api": Decimal("0.40"),
        "cloudwatch": Decimal("0.30"),
        "ses": Decimal("0.10"),
    }
    assert modelled_by_ce_service(modelled)["Amazon API Gateway"] == Decimal("0.40")
    actual = {
        "AWS Lambda": Decimal("1.30"),
        "Amazon API Gateway": Decimal("0.40"),
        "AmazonCloudWatch": Decimal("0.10"),
        "Tax": Decimal("0.05"),
    }
    rows = reconcile(actual, modelled)
    by_name = {row.service: row for row in rows}
    assert [row.service for row in rows][:2] == ["AWS Lambda", "AmazonCloudWatch"]
    assert by_name["Amazon Simple Email Service"].actual == Decimal("0.00")
    assert by_name["Tax"].modelled == Decimal("0.00")
    assert rows[-1].service == "TOTAL"
    assert (rows[-1].actual, rows[-1].modelled) == (Decimal("1.85"), Decimal("1.80"))
    assert rows[-1].to_dict()["variance_usd"] == "0.05"
    table = render(rows)
    assert "AWS Lambda" in table and "+30.0%" in table and "unfavourable" in table
