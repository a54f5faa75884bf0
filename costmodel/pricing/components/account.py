"""Account-wide services: KMS keys and requests, AWS Budgets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costmodel.pricing.arithmetic import Arithmetic
from costmodel.pricing.components import Metered, Service, metered, number


def meter_kms(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """Customer-managed keys and API requests."""
    return metered(num, ("keys", resource["keys"]), ("requests", resource["requests"]))


def meter_budgets(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """Action-enabled budget-days: budgets x days (the catalog's first 62 a month are free)."""
    return metered(
        num, ("action_enabled_budget_days", resource["action_enabled_budgets"] * resource["days"])
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
