"""Account-wide services: KMS keys and requests, AWS Budgets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costmodel.components import Metered, Service, metered, number


def meter_kms(resource: Mapping[str, Any], usage: Mapping[str, Any]) -> list[Metered]:
    """Customer-managed keys and API requests."""
    return metered(("keys", resource["keys"]), ("requests", resource["requests"]))


def meter_budgets(resource: Mapping[str, Any], usage: Mapping[str, Any]) -> list[Metered]:
    """Action-enabled budget-days; the catalog's included budgets are free every day."""
    days = resource["days"]
    quantity = resource["action_enabled_budgets"] * days
    return (
        [Metered("action_enabled_budget_days", quantity, included_scale=days)] if quantity else []
    )


KMS = Service("kms", {"keys": number(), "requests": number()}, meter_kms)
BUDGETS = Service(
    "budgets",
    {
        "action_enabled_budgets": number(doc="alert-only budgets are free"),
        "days": number(30, "days in the month"),
    },
    meter_budgets,
)
