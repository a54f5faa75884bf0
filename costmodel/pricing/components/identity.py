"""Identity: Cognito user pools, billed per monthly active user (MAU) by feature plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costmodel.pricing.arithmetic import Arithmetic
from costmodel.pricing.components import Metered, Service, metered, number

PLANS = ("lite", "essentials", "plus")


def meter_cognito(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """MAU of each plan (a pool has one plan; several pools of an account may differ)."""
    return metered(num, *((f"mau_{plan}", resource[f"mau_{plan}"]) for plan in PLANS))


COGNITO = Service(
    "cognito",
    {f"mau_{plan}": number(doc=f"monthly active users of {plan}-plan pools") for plan in PLANS},
    meter_cognito,
)
