"""The cost engine: account-level free tier and tiers, invoice-line rounding, metering rules."""

from decimal import Decimal
from typing import Any

import pytest

from costmodel.pricing.components.api_gateway import metered_http_requests
from costmodel.pricing.engine import Bill, CostLine, price_usage


def bill_of(*resources: dict[str, Any], free_tier: str = "none", **top: Any) -> Bill:
    return price_usage(
        {"region": "us-east-1", "free_tier": free_tier, "resources": list(resources), **top}
    )


def usd(bill: Bill, item: str) -> Decimal:
    return sum((ln.usd for ln in bill.lines if ln.item == item), Decimal(0))


def test_free_compute_is_shared_across_functions_and_architectures() -> None:
    # 300,000 GB-s on x86 then 200,000 GB-s on arm64: 400,000 free in order, 100,000 billed on arm.
    bill = bill_of(
        {
            "service": "lambda",
            "name": "a",
            "requests": 1_000_000,
            "duration_ms": 300,
            "memory_mb": 1024,
        },
        {
            "service": "lambda",
            "name": "b",
            "requests": 1_000_000,
            "duration_ms": 200,
            "memory_mb": 1024,
            "architecture": "arm64",
        },
        free_tier="always-free",
    )
    free = [
        ln for ln in bill.resource_lines if ln.item.startswith("duration") and "free" in ln.item
    ]
    assert [(ln.resource, ln.quantity) for ln in free] == [("a", 300_000), ("b", 100_000)]
    assert usd(bill, "duration_x86_64") == 0
    assert usd(bill, "duration_arm64") == Decimal("1.33")  # 100,000 x 0.0000133334 = 1.33334
    assert usd(bill, "requests") == Decimal("0.20")  # 2M - 1M free, shared too


def test_tiers_apply_to_the_account_total_of_an_item() -> None:
    bill = bill_of(
        {"service": "http_api", "name": "one", "requests": 250_000_000},
        {"service": "http_api", "name": "two", "requests": 150_000_000},
    )
    assert [(ln.item, ln.quantity, ln.usd, ln.resources) for ln in bill.lines] == [
        ("requests", 300_000_000, Decimal("300.00"), 2),
        ("requests (tier 2)", 100_000_000, Decimal("90.00"), 1),
    ]
    assert [(ln.resource, ln.item, ln.usd) for ln in bill.resource_lines] == [
        ("one", "requests", Decimal("250.0000000")),
        ("two", "requests", Decimal("50.0000000")),
        ("two", "requests (tier 2)", Decimal("90.0000000")),
    ]
    assert bill.total == Decimal("390.00")


def test_the_invoice_rounds_each_usage_type_line_not_each_resource() -> None:
    """Three functions of 30,000 requests ($0.006 each): AWS's invoice has one Lambda
    requests line for the account (90,000 x $0.0000002 = $0.018 -> $0.02), not three
    rounded lines ($0.03). An AWS bill shows such lines, one per usage type in the region:
    https://github.com/hylang/hy/files/7528529/billing.pdf ("AWS Lambda USE2-Request")."""
    bill = bill_of(*({"service": "lambda", "name": f"f{i}", "requests": 30_000} for i in range(3)))
    assert [(ln.item, ln.quantity, ln.usd, ln.resources) for ln in bill.lines] == [
        ("requests", 90_000, Decimal("0.02"), 3)
    ]
    assert bill.total == Decimal("0.02")
    assert [ln.usd for ln in bill.resource_lines] == [Decimal("0.006")] * 3  # where it goes
    assert "invoice lines" in bill.to_dict()["sums_to_total"]


def test_half_up_rounding() -> None:
    bill = bill_of({"service": "s3", "name": "b", "put_requests": 1000})  # exactly $0.005
    assert bill.total == Decimal("0.01")


def test_http_api_is_metered_in_512_kb_steps() -> None:
    small = bill_of(
        {"service": "http_api", "name": "a", "requests": 1_000_000, "request_size_kb": 512}
    )
    large = bill_of(
        {"service": "http_api", "name": "a", "requests": 1_000_000, "request_size_kb": 513}
    )
    assert (small.total, large.total) == (Decimal("1.00"), Decimal("2.00"))


def test_billed_ms_total_overrides_mean_duration_and_init_is_added() -> None:
    bill = bill_of(
        {
            "service": "lambda",
            "name": "f",
            "requests": 10,
            "duration_ms": 999,
            "billed_ms_total": 6_000_000_000,
            "init_ms_total": 6_000_000_000,
            "memory_mb": 1024,
        },
    )
    line = next(ln for ln in bill.lines if ln.item == "duration_x86_64")
    assert line.quantity == 12_000_000  # GB-s


def test_mean_duration_is_rounded_up_to_the_millisecond() -> None:
    bill = bill_of(
        {"service": "lambda", "name": "f", "requests": 1000, "duration_ms": 1.2, "memory_mb": 1024}
    )
    assert next(ln for ln in bill.lines if ln.item == "duration_x86_64").quantity == 2


def test_ephemeral_storage_only_above_512_mb_and_never_free() -> None:
    bill = bill_of(
        {
            "service": "lambda",
            "name": "f",
            "requests": 1000,
            "duration_ms": 1000,
            "memory_mb": 128,
            "ephemeral_storage_mb": 1536,
        },
        free_tier="always-free",
    )
    line = next(ln for ln in bill.lines if ln.item == "ephemeral_storage")
    assert line.quantity == 1000  # 1000 s x 1 GB above the free 512 MB


def test_anomaly_alarm_counts_three_metrics_and_shares_the_free_ten() -> None:
    bill = bill_of(
        {"service": "cloudwatch", "name": "ops", "alarm_metrics": 8, "anomaly_alarms": 1},
        free_tier="always-free",
    )
    assert bill.total == Decimal("0.10")
    assert sum(ln.quantity for ln in bill.lines) == 11


def test_high_resolution_alarms_get_no_free_tier() -> None:
    bill = bill_of(
        {"service": "cloudwatch", "name": "ops", "high_resolution_alarm_metrics": 2},
        free_tier="always-free",
    )
    assert bill.total == Decimal("0.60")


def test_sqs_bills_64_kb_chunks() -> None:
    bill = bill_of({"service": "sqs", "name": "q", "requests": 1_000_000, "message_size_kb": 65})
    assert bill.total == Decimal("0.80")


def test_dynamodb_storage_free_25_gb_and_stream_reads_included_for_everyone() -> None:
    bill = bill_of(
        {"service": "dynamodb", "name": "t", "storage_gb": 30, "stream_read_requests": 3_000_000},
        free_tier="always-free",
    )
    assert usd(bill, "storage") == Decimal("1.25")  # 5 GB x $0.25
    assert usd(bill, "stream_read_requests (tier 2)") == Decimal("0.10")  # 500k x $0.02/100k
    none = bill_of({"service": "dynamodb", "name": "t", "stream_read_requests": 2_500_000})
    assert none.total == 0 and none.lines[0].item == "stream_read_requests (included free)"


def test_legacy_12_month_adds_api_gateway_and_ses() -> None:
    resources = (
        {"service": "http_api", "name": "api", "requests": 1_500_000},
        {"service": "ses", "name": "mail", "recipients": 4000},
    )
    assert bill_of(*resources, free_tier="always-free").total == Decimal("1.90")
    assert bill_of(*resources, free_tier="legacy-12-month").total == Decimal("0.60")


def test_ses_plan_switches_the_meter() -> None:
    mail = {"service": "ses", "name": "m", "recipients": 100_000}
    assert bill_of(mail).total == Decimal("10.00")
    assert bill_of(mail, ses_plan="essentials").total == Decimal("16.00")
    assert price_usage({"resources": [mail]}, ses_plan="essentials").total == Decimal("16.00")


def test_budgets_62_action_enabled_budget_days_are_free_a_month() -> None:
    """AWS Price List, AWSBudgets ActionEnabledBudgetsUsage: $0.00 for budget-days 0-62, then
    $0.10 (the catalog cites the offer file). 3 budgets x 30 days = 90: 28 billed, $2.80
    (not 2 budgets x 30 days = 60 free, $3.00)."""
    bill = bill_of({"service": "budgets", "name": "b", "action_enabled_budgets": 3, "days": 30})
    assert bill.total == Decimal("2.80")
    long = bill_of({"service": "budgets", "name": "b", "action_enabled_budgets": 3, "days": 31})
    assert long.total == Decimal("3.10")
    two = bill_of({"service": "budgets", "name": "b", "action_enabled_budgets": 2, "days": 31})
    assert two.total == Decimal("0.00")


def test_logs_allowances_are_separate_not_pooled() -> None:
    """4 GB ingested, 4 GB-month stored, 6 GB scanned: each against its own 5 GB allowance,
    so only 1 GB scanned is billed: $0.01 (a pooled 5 GB bills 9 of the 14 GB: $0.12)."""
    logs = {"log_ingest_gb": 4, "log_storage_gb": 4, "log_insights_gb": 6}
    bill = bill_of({"service": "cloudwatch", "name": "ops", **logs}, free_tier="always-free")
    assert bill.total == Decimal("0.01")  # 1 GB scanned x $0.005 = $0.005 -> $0.01
    assert usd(bill, "log_ingest") == usd(bill, "log_storage") == 0


def test_kms_and_xray() -> None:
    bill = bill_of(
        {"service": "kms", "name": "k", "keys": 1, "requests": 30_000},
        {"service": "xray", "name": "x", "traces_recorded": 200_000},
        free_tier="always-free",
    )
    assert bill.by_service() == {"kms": Decimal("1.03"), "xray": Decimal("0.50")}


def test_to_dict_has_decimal_strings() -> None:
    bill = bill_of({"service": "lambda", "name": "api", "requests": 3_000_000})
    doc = bill.to_dict()
    assert {k: v for k, v in doc.items() if k != "sums_to_total"} == {
        "currency": "USD",
        "region": "us-east-1",
        "free_tier": "none",
        "total": "0.60",
        "lines": [
            {
                "service": "lambda",
                "region": "us-east-1",
                "item": "requests",
                "quantity": "3000000",
                "unit": "request",
                "unit_price": "0.0000002",
                "usd": "0.60",
                "resources": 1,
                "price": "confirmed",
            }
        ],
        "by_resource": [
            {
                "service": "lambda",
                "resource": "api",
                "item": "requests",
                "quantity": "3000000",
                "unit": "request",
                "unit_price": "0.0000002",
                "usd": "0.6",
            }
        ],
    }
    assert isinstance(bill.lines[0], CostLine)


def test_unconfirmed_prices_are_marked_on_each_line() -> None:
    usage = {
        "region": "eu-west-1",
        "resources": [{"service": "http_api", "name": "api", "requests": 1_000_000}],
    }
    bill = price_usage(usage)
    assert [ln.price_status for ln in bill.lines] == ["unconfirmed"]
    assert bill.to_dict()["lines"][0]["price"] == "unconfirmed"
    essentials = bill_of({"service": "ses", "name": "m", "recipients": 10}, ses_plan="essentials")
    assert essentials.unconfirmed_lines == essentials.lines  # no AWS source for the plan price


def test_other_region_uses_its_catalog() -> None:
    usage = {
        "region": "eu-central-1",
        "resources": [{"service": "http_api", "name": "api", "requests": 1_000_000}],
    }
    assert price_usage(usage).total == Decimal("1.20")


@pytest.mark.parametrize("profile", ["none", "always-free", "legacy-12-month"])
def test_free_lines_are_zero_priced_and_visible(profile: str) -> None:
    bill = bill_of({"service": "lambda", "name": "api", "requests": 2_000_000}, free_tier=profile)
    free = [ln for ln in bill.lines if "free" in ln.item]
    assert all(ln.usd == 0 and ln.unit_price == 0 for ln in free)
    assert bool(free) == (profile != "none")


def test_the_512_kb_step_is_one_function() -> None:
    """One definition, applied once per request: the recorder counts each request with it, a
    usage file's mean size goes through the same steps (AWS: a 513 KB request counts as 2)."""
    kb = 1024
    assert [metered_http_requests(size) for size in (0, 512 * kb, 512 * kb + 1, 1025 * kb)] == [
        1,
        1,
        2,
        3,
    ]
