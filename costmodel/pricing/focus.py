"""The modelled bill as FOCUS 1.2 rows, the FinOps Foundation's open billing format.

One row per invoice line and charge period, with the columns of the FOCUS 1.2 Cost and Usage
dataset that an AWS bill fills (AWS Data Exports writes the same dataset), so a FinOps tool
can put the model next to the actuals. What only an estimate has is in ``x_`` columns (the
specification's prefix for provider-defined columns): the scenario, the quantile, the shape
and free-tier profile priced, the price catalog date, the run id. ``read_focus`` reads a
FOCUS export (ours, or AWS's) back as billed cost per service.

Example::

    rows = focus_rows(bill_lines(bill), FocusContext(date(2026, 12, 1), "us-east-1", ...))
    write_focus(rows, "bill.focus.csv")
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from costmodel.pricing.bill_lines import InvoiceLine
from costmodel.pricing.engine import decimal_text, to_cents
from kernel.errors import UsageError

FOCUS_VERSION = "1.2"
PROVIDER = "AWS"
"""ProviderName, PublisherName and InvoiceIssuerName alike: AWS sells, publishes and invoices
these services itself (a different InvoiceIssuerName means a third party's, e.g. Marketplace,
charge, whose BilledCost FOCUS requires to be 0)."""
TIME_UNITS = {"second": "Seconds", "hour": "Hours", "day": "Days", "month": "Months"}
BILLING_ACCOUNT_ID = "onramp-model"
BILLING_ACCOUNT_NAME = "onramp cost model (estimate, not an invoice)"

SERVICES: dict[str, tuple[str, str, str]] = {
    "lambda": ("AWS Lambda", "Compute", "Serverless Compute"),
    "http_api": ("Amazon API Gateway", "Networking", "API Management"),
    "rest_api": ("Amazon API Gateway", "Networking", "API Management"),
    "dynamodb": ("Amazon DynamoDB", "Databases", "NoSQL Databases"),
    "ses": ("Amazon Simple Email Service", "Business Applications", "Communications"),
    "s3": ("Amazon Simple Storage Service", "Storage", "Object Storage"),
    "cloudwatch": ("AmazonCloudWatch", "Management and Governance", "Observability"),
    "sqs": ("Amazon Simple Queue Service", "Integration", "Messaging"),
    "xray": ("AWS X-Ray", "Management and Governance", "Observability"),
    "kms": ("AWS Key Management Service", "Security", "Secret Management"),
    "budgets": ("AWS Budgets", "Management and Governance", "Cost Management"),
    "cognito": ("Amazon Cognito", "Identity", "Identity and Access Management"),
}
"""Cost-model service -> (ServiceName as AWS bills it, ServiceCategory, ServiceSubcategory)."""

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "eu-west-1": "Europe (Ireland)",
    "eu-central-1": "Europe (Frankfurt)",
}
"""The regions with a price catalog, by the names AWS bills them under."""

COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_Scenario",
    "x_Quantile",
    "x_Shape",
    "x_FreeTier",
    "x_PriceCatalogDate",
    "x_RunId",
    "x_Estimate",
)


@dataclass(frozen=True)
class FocusContext:
    """What every row of one export shares: the period, region, and the estimate's facts."""

    period_start: date
    region: str
    region_name: str
    scenario: str
    shape: str
    free_tier: str
    price_catalog_date: str
    run_id: str = ""
    quantile: str = "exact"

    @property
    def period_end(self) -> date:
        """The first day of the next month (FOCUS periods are end-exclusive)."""
        start = self.period_start
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def focus_unit(unit: str) -> str:
    """A catalog unit in FOCUS's UnitFormat: ``GB-month`` -> ``GB-Months``, ``request`` as is."""
    head, _, time = unit.rpartition("-")
    if head and time in TIME_UNITS:
        return f"{head[:1].upper()}{head[1:]}-{TIME_UNITS[time]}"
    return unit


def _timestamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def focus_rows(lines: Iterable[InvoiceLine], context: FocusContext) -> list[dict[str, Any]]:
    """One FOCUS row per invoice line for the context's month (the charge period)."""
    start, end = _timestamp(context.period_start), _timestamp(context.period_end)
    rows = []
    for line in lines:
        name, category, subcategory = SERVICES.get(
            line.service, (line.service, "Other", "Other (Other)")
        )
        rows.append(
            {
                "BilledCost": line.usd,
                "BillingAccountId": BILLING_ACCOUNT_ID,
                "BillingAccountName": BILLING_ACCOUNT_NAME,
                "BillingCurrency": "USD",
                "BillingPeriodEnd": end,
                "BillingPeriodStart": start,
                "ChargeCategory": "Usage",
                "ChargeClass": None,
                "ChargeDescription": f"{line.item} ({_resources(line.resources)})",
                "ChargeFrequency": "Usage-Based",
                "ChargePeriodEnd": end,
                "ChargePeriodStart": start,
                "ConsumedQuantity": line.quantity,
                "ConsumedUnit": focus_unit(line.unit),
                "ContractedCost": line.usd,
                "ContractedUnitPrice": line.unit_price,
                "EffectiveCost": line.usd,
                "InvoiceId": None,
                "InvoiceIssuerName": PROVIDER,
                "ListCost": line.usd,
                "ListUnitPrice": line.unit_price,
                "PricingCategory": "Standard",
                "PricingQuantity": line.quantity,
                "PricingUnit": focus_unit(line.unit),
                "ProviderName": PROVIDER,
                "PublisherName": PROVIDER,
                "RegionId": context.region,
                "RegionName": context.region_name,
                "ResourceId": None,
                "ResourceName": None,
                "ResourceType": None,
                "ServiceCategory": category,
                "ServiceName": name,
                "ServiceSubcategory": subcategory,
                "SkuId": f"{line.service}:{line.sku}",
                "SkuPriceId": f"{line.service}:{line.sku}:{context.region}",
                "SubAccountId": None,
                "SubAccountName": None,
                "Tags": '{"onramp:estimate": "true"}',
                "x_Scenario": context.scenario,
                "x_Quantile": context.quantile,
                "x_Shape": context.shape,
                "x_FreeTier": context.free_tier,
                "x_PriceCatalogDate": context.price_catalog_date,
                "x_RunId": context.run_id,
                "x_Estimate": "true",
            }
        )
    return rows


def _resources(count: int) -> str:
    return f"{count} resource" if count == 1 else f"{count} resources"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


def to_focus_csv(rows: Iterable[dict[str, Any]]) -> str:
    """FOCUS rows as CSV (every column, nulls empty, Decimals exact)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _cell(row.get(key)) for key in COLUMNS} for row in rows)
    return out.getvalue()


def write_focus(rows: Iterable[dict[str, Any]], path: Path | str) -> Path:
    """Write FOCUS rows as a CSV file."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_focus_csv(rows), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path


FOCUS_REQUIRED = ("BilledCost", "ServiceName", "ChargePeriodStart")


def read_focus(
    path: Path | str, start: date | None = None, end: date | None = None
) -> dict[str, Decimal]:
    """Billed cost per ServiceName of a FOCUS CSV, for charge periods starting in [start, end).

    Reads AWS Data Exports' FOCUS files and ours alike (by column name); amounts to cents.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read FOCUS export {path}: {exc.strerror}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in FOCUS_REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise UsageError(f"{path}: not a FOCUS export (no {missing[0]} column)")
    totals: dict[str, Decimal] = {}
    for number, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat(row["ChargePeriodStart"][:10])
            amount = Decimal(row["BilledCost"] or "0")
        except (ValueError, InvalidOperation):
            raise UsageError(f"{path} line {number}: bad ChargePeriodStart or BilledCost") from None
        if (start and day < start) or (end and day >= end):
            continue
        totals[row["ServiceName"]] = totals.get(row["ServiceName"], Decimal(0)) + amount
    return {service: to_cents(usd) for service, usd in sorted(totals.items())}
