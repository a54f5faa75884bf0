"""Actual spend from Cost Explorer: UnblendedCost per service, optionally for one tag.

Each GetCostAndUsage request costs $0.01; pages follow NextPageToken. Cost Explorer counts
whole UTC days (End exclusive) and lags the usage by up to 24 hours; a cost-allocation
tag appears in it only once activated (up to 24 hours later).

Example::

    actuals = fetch_actuals(ce, day_range(window), "DAILY", ("onramp:stack", "onramp-staging"))
    actuals.by_service["AWS Lambda"]       # Decimal("0.42")
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

from costmodel.pricing.engine import to_cents
from onramp.staging.backoff import call_with_backoff
from onramp.staging.timewindow import Window

GRANULARITIES = ("DAILY", "MONTHLY")
PRICE_PER_REQUEST = Decimal("0.01")
"""https://aws.amazon.com/aws-cost-management/aws-cost-explorer/pricing/ (checked 2026-11-29)."""


@dataclass
class Actuals:
    """Actual USD per Cost Explorer service over whole days [start, end)."""

    start: date
    end: date
    by_service: dict[str, Decimal] = field(default_factory=dict)
    estimated: bool = False
    requests: int = 0

    @property
    def total(self) -> Decimal:
        """Sum of the per-service amounts."""
        return sum(self.by_service.values(), Decimal("0.00"))


def day_range(window: Window) -> tuple[date, date]:
    """The whole UTC days covering the window: (first day, day after the last)."""
    start = window.start.date()
    end = window.end.date()
    if window.end.time() != clock_time(0) or end == start:
        end += timedelta(days=1)
    return start, end


def cost_filter(tag: tuple[str, str] | None) -> dict[str, Any]:
    """The GetCostAndUsage Filter for one cost-allocation tag (empty for the whole account)."""
    if tag is None:
        return {}
    key, value = tag
    return {"Filter": {"Tags": {"Key": key, "Values": [value], "MatchOptions": ["EQUALS"]}}}


def fetch_actuals(
    ce: Any,
    days: tuple[date, date],
    granularity: str,
    tag: tuple[str, str] | None,
    sleep: Callable[[float], None] = time.sleep,
) -> Actuals:
    """Sum UnblendedCost per SERVICE over every period and page, rounded to cents per service."""
    actuals = Actuals(start=days[0], end=days[1])
    raw: dict[str, Decimal] = {}
    token: str | None = None
    while True:
        page = call_with_backoff(
            ce.get_cost_and_usage,
            sleep=sleep,
            TimePeriod={"Start": days[0].isoformat(), "End": days[1].isoformat()},
            Granularity=granularity,
            Metrics=["UnblendedCost"],
            GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
            **cost_filter(tag),
            **({"NextPageToken": token} if token else {}),
        )
        actuals.requests += 1
        for period in page.get("ResultsByTime", []):
            actuals.estimated = actuals.estimated or bool(period.get("Estimated"))
            for group in period.get("Groups", []):
                service = group["Keys"][0]
                amount = Decimal(group["Metrics"]["UnblendedCost"]["Amount"])
                raw[service] = raw.get(service, Decimal(0)) + amount
        token = page.get("NextPageToken")
        if not token:
            break
    actuals.by_service = {service: to_cents(amount) for service, amount in sorted(raw.items())}
    return actuals
