"""Actual spend (Cost Explorer) against the model's figure for the same usage, per service.

Variance = actual - modelled. Below the model is favourable, above it unfavourable (the
management-accounting convention for costs).

Example::

    rows = reconcile(actuals.by_service, modelled.by_service)
    print(render(rows))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CE_SERVICE_NAMES: dict[str, str] = {
    "lambda": "AWS Lambda",
    "http_api": "Amazon API Gateway",
    "rest_api": "Amazon API Gateway",
    "dynamodb": "Amazon DynamoDB",
    "ses": "Amazon Simple Email Service",
    "s3": "Amazon Simple Storage Service",
    "cloudwatch": "AmazonCloudWatch",
    "sqs": "Amazon Simple Queue Service",
    "xray": "AWS X-Ray",
    "kms": "AWS Key Management Service",
    "budgets": "AWS Budgets",
}
"""Cost-model service -> Cost Explorer SERVICE dimension value (CloudWatch Logs is billed
under AmazonCloudWatch)."""

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Variance:
    """One service: actual and modelled USD, and how far apart they are."""

    service: str
    actual: Decimal
    modelled: Decimal

    @property
    def variance(self) -> Decimal:
        """actual - modelled (positive: spent more than modelled)."""
        return self.actual - self.modelled

    @property
    def variance_pct(self) -> Decimal | None:
        """The variance as a percentage of the modelled figure (None when modelled is 0)."""
        if self.modelled == 0:
            return None
        return (self.variance * 100 / self.modelled).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def label(self) -> str:
        """``favourable`` (below the model), ``unfavourable`` (above), or ``on model``."""
        if self.variance < 0:
            return "favourable"
        return "unfavourable" if self.variance > 0 else "on model"

    def to_dict(self) -> dict[str, str | None]:
        """The row with amounts as decimal strings."""
        pct = self.variance_pct
        return {
            "service": self.service,
            "actual_usd": str(self.actual),
            "modelled_usd": str(self.modelled),
            "variance_usd": str(self.variance),
            "variance_pct": None if pct is None else str(pct),
            "label": self.label,
        }


def modelled_by_ce_service(modelled: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Cost-model services regrouped under Cost Explorer's service names."""
    grouped: dict[str, Decimal] = {}
    for service, amount in modelled.items():
        name = CE_SERVICE_NAMES.get(service, service)
        grouped[name] = grouped.get(name, ZERO) + amount
    return grouped


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def focus_by_ce_service(billed: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """FOCUS ServiceName totals under Cost Explorer's names where they are the same service
    spelt differently (``Amazon CloudWatch`` / ``AmazonCloudWatch``); others kept as named."""
    names = {_key(name): name for name in CE_SERVICE_NAMES.values()}
    grouped: dict[str, Decimal] = {}
    for service, amount in billed.items():
        name = names.get(_key(service), service)
        grouped[name] = grouped.get(name, ZERO) + amount
    return grouped


def reconcile(actual: Mapping[str, Decimal], modelled: Mapping[str, Decimal]) -> list[Variance]:
    """One row per service seen in either (``modelled`` keyed by cost-model service), then
    a ``TOTAL`` row; services are sorted by the size of their variance."""
    modelled_ce = modelled_by_ce_service(modelled)
    services = set(actual) | set(modelled_ce)
    rows = [
        Variance(service, actual.get(service, ZERO), modelled_ce.get(service, ZERO))
        for service in services
    ]
    rows.sort(key=lambda row: (-abs(row.variance), row.service))
    total = Variance(
        "TOTAL", sum((r.actual for r in rows), ZERO), sum((r.modelled for r in rows), ZERO)
    )
    return [*rows, total]


def render(rows: list[Variance]) -> str:
    """A plain-text table of the rows."""
    header = ("service", "actual $", "modelled $", "variance $", "variance %", "")
    body = [
        (
            r.service,
            str(r.actual),
            str(r.modelled),
            f"{r.variance:+}",
            "n/a" if r.variance_pct is None else f"{r.variance_pct:+}%",
            r.label,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    lines = []
    for line in (header, *body):
        numbers = zip(line[1:-1], widths[1:-1], strict=True)
        cells = [line[0].ljust(widths[0])] + [c.rjust(w) for c, w in numbers]
        lines.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(lines)
