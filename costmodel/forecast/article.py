"""The source article's 'Cost Breakdown' (1,000 users a month) against the true bill.

Each of the article's lines is matched with the same services of the exact bill (list
prices, no free tier, as the article quotes; and with the always-free tier), and the reason
for each difference is stated with the catalog's own figures.

Example::

    rows = compare_with_article()          # the seed scenario: 1,000 onboardings a month
    rows[0]["line"], rows[0]["article_usd"], rows[0]["true_usd"], rows[0]["reason"]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from costmodel.forecast.scenario import Scenario, load_scenario
from costmodel.pricing.catalog import Catalog, load_catalog
from costmodel.pricing.engine import Bill, CostLine, to_cents

SEED_USERS = 1000
"""The article's scenario: 1,000 new users a month."""

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class ArticleLine:
    """One line of the article's breakdown, and which cost lines of a bill it covers."""

    line: str
    claim: str
    article_usd: Decimal
    """The article's stated upper bound for the month."""
    article_unit_price: str
    covers: Callable[[CostLine], bool]


def _alarm(line: CostLine) -> bool:
    return line.item.startswith(("alarm_metrics", "high_resolution_alarm_metrics"))


ARTICLE_LINES: tuple[ArticleLine, ...] = (
    ArticleLine(
        "API Gateway",
        "$0.0035 per million requests -> <$0.004",
        Decimal("0.004"),
        "$0.0035 per 1M requests",
        lambda line: line.service in ("http_api", "rest_api"),
    ),
    ArticleLine(
        "Lambda",
        "5 ms per invocation, 1 GB-sec -> <1 cent for 1,000 invocations",
        Decimal("0.01"),
        "5 ms per invocation",
        lambda line: line.service == "lambda",
    ),
    ArticleLine(
        "DynamoDB",
        "On-demand writes (~0.25 cent per 1,000 writes) -> <1 cent",
        Decimal("0.01"),
        "$2.50 per 1M writes",
        lambda line: line.service == "dynamodb",
    ),
    ArticleLine(
        "SES",
        "62 cents per 10,000 emails -> <1 cent for 1,000 emails",
        Decimal("0.01"),
        "$0.62 per 10,000 emails",
        lambda line: line.service == "ses",
    ),
    ArticleLine(
        "CloudWatch",
        "Log ingestion and metric storage <1 cent",
        Decimal("0.01"),
        "(none given)",
        lambda line: line.service == "cloudwatch" and not _alarm(line),
    ),
    ArticleLine(
        "Miscellaneous",
        "Budgets, alarms, etc. -> <1 cent",
        Decimal("0.01"),
        "(none given)",
        lambda line: _alarm(line) or line.service in ("budgets", "s3", "sqs"),
    ),
)


def compare_with_article(
    users: int = SEED_USERS, scenario: Scenario | None = None
) -> list[dict[str, Any]]:
    """The article's lines side by side with the true ones, plus a TOTAL row."""
    scenario = scenario or load_scenario()
    catalog = load_catalog(scenario.region)
    listed = replace(scenario, free_tier="none").bill(users)
    free = replace(scenario, free_tier="always-free").bill(users)
    reasons = _reasons(scenario, users, catalog)
    rows = []
    for entry in ARTICLE_LINES:
        rows.append(
            {
                "line": entry.line,
                "article_claim": entry.claim,
                "article_usd": entry.article_usd,
                "article_unit_price": entry.article_unit_price,
                "true_unit_price": reasons[entry.line][0],
                "true_exact_usd": _exact(listed, entry.covers),
                "true_usd": _billed(listed, entry.covers),
                "true_usd_always_free": _billed(free, entry.covers),
                "reason": reasons[entry.line][1],
            }
        )
    rows.append(
        {
            "line": "TOTAL",
            "article_claim": "comfortably below $100/month",
            "article_usd": sum((entry.article_usd for entry in ARTICLE_LINES), Decimal(0)),
            "true_exact_usd": sum((row["true_exact_usd"] for row in rows), Decimal(0)),
            "true_usd": listed.total,
            "true_usd_always_free": free.total,
            "reason": "true totals are sums of lines rounded to cents, as AWS bills",
        }
    )
    return rows


def _billed(bill: Bill, covers: Callable[[CostLine], bool]) -> Decimal:
    return sum((line.usd for line in bill.lines if covers(line)), to_cents(Decimal(0)))


def _exact(bill: Bill, covers: Callable[[CostLine], bool]) -> Decimal:
    """Unrounded amount (quantity x unit price), to show sub-cent lines honestly."""
    exact = sum(
        (line.quantity * line.unit_price for line in bill.lines if covers(line)), Decimal(0)
    )
    return exact.quantize(Decimal("0.000001"))


def _usd(amount: Decimal) -> str:
    """``$1.00``, ``$3.50``, ``$0.0000133334``: at least cents, never trailing noise."""
    exact = amount.normalize()
    return f"${exact:f}" if exact.as_tuple().exponent < -2 else f"${amount:.2f}"


def _reasons(scenario: Scenario, users: int, catalog: Catalog) -> dict[str, tuple[str, str]]:
    """(true unit price, reason for the difference) per article line, from the catalog."""
    per, stack = scenario.per, scenario.stack
    price = catalog.price
    http = price("http_api", "requests").unit_price * MILLION
    rest = price("rest_api", "requests").unit_price * MILLION
    wru = price("dynamodb", "write_request_units")
    ses = price("ses", "recipients").unit_price
    logs = price("cloudwatch", "log_ingest").unit_price
    custom = price("cloudwatch", "custom_metrics").unit_price
    alarm = price("cloudwatch", "alarm_metrics").unit_price
    put = price("s3", "put_requests").unit_price * 1000
    calls = sum(per.invocations.values())
    billed_ms = sum(per.billed_ms.values())
    invoked = [key for key in per.billed_ms if per.invocations.get(key)]  # not a fixed schedule
    slowest = max(invoked, key=lambda key: per.billed_ms[key] / per.invocations[key])
    slowest_ms = per.billed_ms[slowest] / per.invocations[slowest]
    alarm_metrics = stack.alarm_metrics + 3 * stack.anomaly_alarms
    alarm_metrics += stack.high_resolution_alarm_metrics
    return {
        "API Gateway": (
            f"{_usd(http)} per 1M requests (HTTP API)",
            f"off by 1,000x: HTTP API is {_usd(http)} per million requests and REST API "
            f"{_usd(rest)}; $0.0035 is REST API's price per thousand. "
            f"{per.api_requests:.2f} requests per onboarding (rejected ones are billed too)",
        ),
        "Lambda": (
            f"{_usd(price('lambda', 'requests').unit_price * MILLION)} per 1M requests + "
            f"{_usd(price('lambda', 'duration_arm64').unit_price)} per GB-s (arm64)",
            f"{calls:.2f} invocations per onboarding over {len(per.invocations)} functions, "
            f"{billed_ms:.0f} billed ms per onboarding, not 5 ms: {slowest} alone takes "
            f"{slowest_ms:.0f} ms per call (S3, IAM and SES requests)",
        ),
        "DynamoDB": (
            f"{_usd(wru.unit_price * MILLION)} per 1M write units (since {wru.effective_date})",
            f"writes are {(wru.unit_price * 100_000).normalize():f} cents per 1,000 on demand "
            f"(halved on {wru.effective_date}), but an onboarding takes "
            f"{sum(per.write_units.values()):.1f} write units (pending row, status updates, "
            "audit events), plus PITR storage",
        ),
        "SES": (
            f"{_usd(ses * 10_000)} per 10,000 recipients (a la carte)",
            f"SES is {_usd(ses * 1000)} per 1,000 recipients, billed per recipient; the 62 "
            "cents likely echoes the retired 62,000 free emails a month from EC2. "
            f"{per.emails:.2f} emails per onboarding",
        ),
        "CloudWatch": (
            f"{_usd(custom)} per custom metric a month; {_usd(logs)} per GB of logs ingested",
            f"'metric storage' is {stack.custom_metric_series} custom metric series (EMF) at "
            f"{_usd(custom)} each a month, pro rata by the hours with data (none without "
            "traffic; the free tier covers 10); logs are "
            f"{per.log_bytes:.0f} bytes per onboarding (START/END/REPORT lines included), "
            "a fraction of a cent per 1,000 users",
        ),
        "Miscellaneous": (
            f"{_usd(alarm)} per alarm metric a month; S3 PUT {_usd(put)} per 1,000",
            f"{len(stack.alarms)} alarms watch {alarm_metrics} alarm metrics (metric-math "
            "alarms count each metric, anomaly detection counts 3) at "
            f"{_usd(alarm)} each a month whatever the traffic (the free tier covers 10); "
            "alert-only budgets are free",
        ),
    }
