"""Usage files: a region, a free-tier profile and a list of resources with monthly usage.

Example (YAML)::

    region: us-east-1
    free_tier: always-free      # none | always-free | legacy-12-month
    resources:
      - {service: lambda, name: api, requests: 3000000, duration_ms: 120, memory_mb: 1536}
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from costmodel.pricing.catalog import available_regions
from costmodel.pricing.components import Field
from costmodel.pricing.components.messaging import SES_PLANS
from costmodel.pricing.components.registry import SERVICES
from costmodel.pricing.free_tier import PROFILES
from kernel.errors import UsageError

TOP_LEVEL_DEFAULTS: dict[str, str] = {
    "region": "us-east-1",
    "free_tier": "none",
    "ses_plan": "a-la-carte",
}
TOP_LEVEL_CHOICES: dict[str, tuple[str, ...]] = {"free_tier": PROFILES, "ses_plan": SES_PLANS}
MAX_MONTHLY_QUANTITY = Decimal("1e15")
"""The most of any one quantity (a usage key, or a metered item in its catalog unit) an AWS
account can meter in a month. A 31-day month is 2.68e6 s: 100,000 concurrent Lambda
executions all month bill 2.7e14 ms, 10 GB each 2.7e12 GB-s; 1e15 requests would be 3.7e8 a
second. Anything larger is a typo or an overflow, and is refused rather than priced."""
BOUND_TEXT = "1e15, more than an AWS account can meter in a month"


def load_usage(path: Path | str) -> dict[str, Any]:
    """Read and validate a usage file (YAML or JSON); UsageError naming the file if bad."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read usage file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"usage file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
            f"at offset {exc.start}): expected YAML or JSON"
        ) from None
    except yaml.YAMLError as exc:
        raise UsageError(
            f"usage file {path} is not valid YAML: {str(exc).splitlines()[0]}"
        ) from None
    try:
        return validate_usage(data)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise UsageError(f"{where}: expected a non-negative number, got {value!r}")
    try:
        quantity = Decimal(str(value).replace("_", ""))
    except InvalidOperation:
        raise UsageError(f"{where}: expected a non-negative number, got {value!r}") from None
    if not quantity.is_finite() or quantity < 0:
        raise UsageError(f"{where}: expected a non-negative number, got {value!r}")
    check_bound(quantity, where)
    return quantity


def check_bound(quantity: Any, where: str) -> None:
    """UsageError naming ``where`` and the bound if ``quantity`` exceeds MAX_MONTHLY_QUANTITY."""
    if quantity > MAX_MONTHLY_QUANTITY:
        raise UsageError(f"{where}: {quantity:.3g} is above the bound ({BOUND_TEXT})")


def _value(field: Field, value: Any, where: str) -> Decimal | str | None:
    if value is None:
        return field.default
    if field.choices:
        if value not in field.choices:
            raise UsageError(f"{where}: expected one of {', '.join(field.choices)}, got {value!r}")
        return str(value)
    return _number(value, where)


def _resource(index: int, resource: Any) -> dict[str, Any]:
    where = f"resources[{index}]"
    if not isinstance(resource, Mapping):
        raise UsageError(f"{where}: expected a mapping with 'service' and 'name'")
    service_name = resource.get("service")
    if service_name not in SERVICES:
        raise UsageError(
            f"{where}: unknown service {service_name!r} (expected one of {', '.join(SERVICES)})"
        )
    name = resource.get("name", f"{service_name}-{index}")
    where = f"{where} ({service_name} {name!r})"
    fields = SERVICES[service_name].fields
    unknown = [key for key in resource if key not in fields and key not in ("service", "name")]
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} (expected: {', '.join(fields)})")
    clean: dict[str, Any] = {"service": service_name, "name": str(name)}
    for key, field in fields.items():
        clean[key] = _value(field, resource.get(key), f"{where}.{key}")
    return clean


def validate_usage(data: Any) -> dict[str, Any]:
    """Check a parsed usage document and return it normalised (Decimals, defaults filled).

    Idempotent: a validated document validates to itself.
    """
    if not isinstance(data, Mapping):
        raise UsageError("usage: expected a mapping with 'region' and 'resources'")
    unknown = [key for key in data if key not in TOP_LEVEL_DEFAULTS and key != "resources"]
    if unknown:
        raise UsageError(
            f"usage: unknown key {unknown[0]!r} (expected: region, free_tier, ses_plan, resources)"
        )
    clean: dict[str, Any] = {
        key: data.get(key) or default for key, default in TOP_LEVEL_DEFAULTS.items()
    }
    if clean["region"] not in available_regions():
        known = ", ".join(available_regions())
        raise UsageError(f"region: unknown region {clean['region']!r} (available: {known})")
    for key, choices in TOP_LEVEL_CHOICES.items():
        if clean[key] not in choices:
            raise UsageError(f"{key}: expected one of {', '.join(choices)}, got {clean[key]!r}")
    resources = data.get("resources")
    if not isinstance(resources, list):
        raise UsageError("resources: expected a list of resources")
    clean["resources"] = [_resource(index, resource) for index, resource in enumerate(resources)]
    return clean
