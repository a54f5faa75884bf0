"""AWS's own published pricing examples, reproduced to the cent (us-east-1 list prices).

Source of the Lambda examples: https://aws.amazon.com/lambda/pricing/ ("All examples below
are based on price in US East (N. Virginia)"), text as stored by the search tool in a public
copy of the page, read 2026-11-29. Each test quotes the published figures it checks.
"""

from decimal import Decimal
from typing import Any

from costmodel.pricing.engine import Bill, price_usage

LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
API_GATEWAY_PRICING = "https://aws.amazon.com/api-gateway/pricing/"


def price(free_tier: str, *resources: dict[str, Any]) -> Bill:
    return price_usage(
        {"region": "us-east-1", "free_tier": free_tier, "resources": list(resources)}
    )


def charged(bill: Bill, item: str) -> Decimal:
    return sum((line.usd for line in bill.lines if line.item == item), Decimal(0))


def test_lambda_example_1_mobile_application_backend() -> None:
    """LAMBDA_PRICING, "Example 1: Mobile application backend": 3M requests, 120 ms, 1536 MB,
    x86, free tier. "Monthly compute charges = 140,000 * $0.0000166667 = $2.33", "Monthly
    request charges = 2M * $0.2/M = $0.40", "Total charges = ... = $2.73 per month"."""
    bill = price(
        "always-free",
        {
            "service": "lambda",
            "name": "backend",
            "requests": 3_000_000,
            "duration_ms": 120,
            "memory_mb": 1536,
            "architecture": "x86_64",
        },
    )
    assert charged(bill, "duration_x86_64") == Decimal("2.33")
    assert charged(bill, "requests") == Decimal("0.40")
    assert bill.total == Decimal("2.73")


def test_lambda_example_2_enriching_streaming_telemetry() -> None:
    """LAMBDA_PRICING, "Example 2: Enriching streaming telemetry with additional metadata":
    10,000 vehicles x 24 x 31 = 7,440,000 invocations, 2 s, 1 GB, x86, no free tier applied.
    "7.44M * $0.20/million = $1.488 ~= $1.49", "14.88M GB-s * $0.0000166667 = $248.00",
    "Monthly total charges = ... $1.49 + $248.00 = $249.49"."""
    bill = price(
        "none",
        {
            "service": "lambda",
            "name": "telemetry",
            "requests": 10_000 * 24 * 31,
            "duration_ms": 2000,
            "memory_mb": 1024,
        },
    )
    assert charged(bill, "requests") == Decimal("1.49")
    assert charged(bill, "duration_x86_64") == Decimal("248.00")
    assert bill.total == Decimal("249.49")


def test_lambda_example_3_ml_with_ephemeral_storage() -> None:
    """LAMBDA_PRICING, "Example 3: Performing ML on customer support tickets": 6M requests,
    280 ms, 4096 MB, x86, 2048 MB ephemeral storage, free tier. "6,320,000 * $0.0000166667 =
    $105.33", "5 million * $0.2/million = $1", "2,520,000 * $0.0000000309 = $0.08",
    "$105.33 + $1 + $0.08 = $106.41 per month"."""
    bill = price(
        "always-free",
        {
            "service": "lambda",
            "name": "bert",
            "requests": 6_000_000,
            "duration_ms": 280,
            "memory_mb": 4096,
            "ephemeral_storage_mb": 2048,
        },
    )
    assert charged(bill, "duration_x86_64") == Decimal("105.33")
    assert charged(bill, "requests") == Decimal("1.00")
    assert charged(bill, "ephemeral_storage") == Decimal("0.08")
    assert bill.total == Decimal("106.41")


def test_lambda_durable_functions_example_compute_and_requests_on_arm() -> None:
    """LAMBDA_PRICING, durable functions "Pricing Example" (insurance claims), the Lambda part
    only (durable operations are not modelled): 1,000,000 executions x 32 s at 1 GB on Arm,
    2 invocations each. "31,600,000 × $0.0000133334 = $421.34", "1M × $0.20/M = $0.20"."""
    bill = price(
        "always-free",
        {
            "service": "lambda",
            "name": "claims",
            "requests": 2_000_000,
            "billed_ms_total": 1_000_000 * 32_000,
            "memory_mb": 1024,
            "architecture": "arm64",
        },
    )
    assert charged(bill, "duration_arm64") == Decimal("421.34")
    assert charged(bill, "requests") == Decimal("0.20")


def test_api_gateway_http_api_example_crosses_the_300_million_tier() -> None:
    """API_GATEWAY_PRICING, HTTP API example: the first 300 million requests at "$1.00/million"
    and "132 million * $0.90/million" beyond. Only these fragments of the example could be read
    (via a transcription of the page's worked examples, api-evangelist/amazon-web-services
    plans/amazon-web-services-plans-pricing.yml); the total below is their arithmetic,
    300 x $1.00 + 132 x $0.90 = $300.00 + $118.80."""
    bill = price("none", {"service": "http_api", "name": "api", "requests": 432_000_000})
    assert [line.usd for line in bill.lines] == [Decimal("300.00"), Decimal("118.80")]
    assert bill.total == Decimal("418.80")
