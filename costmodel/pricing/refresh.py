"""Compare the catalog with the AWS Price List API and, if asked, write the updated file.

The Price List API (boto3 client ``pricing``, served from us-east-1) returns ``PriceList``:
a list of JSON *strings*, each a product with ``product.attributes`` (``usagetype``,
``regionCode``, ...) and ``terms.OnDemand.<sku.offer>.priceDimensions.<rate>`` holding
``beginRange``, ``endRange`` ("Inf" for the last) and ``pricePerUnit.USD``. A catalog entry
names its product with ``price_list: {service_code, usagetype}`` (usagetype without the
region prefix, e.g. ``Lambda-GB-Second`` for ``EU-Lambda-GB-Second``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from costmodel.pricing.catalog import (
    PRICES_DIR,
    Catalog,
    Price,
    clear_cache,
    load_catalog,
    load_catalog_file,
)
from kernel.errors import UsageError

PRICING_API_REGION = "us-east-1"
# Usage types carry a region prefix (none or USE1- in us-east-1).
USAGETYPE_PREFIXES = {"us-east-1": ("", "USE1-"), "eu-west-1": ("EU-",), "eu-central-1": ("EUC1-",)}

Tiers = list[tuple[Decimal | None, Decimal]]


@dataclass(frozen=True)
class Quote:
    """Tiers of one product in the Price List, with the offer's effective date and SKU."""

    tiers: Tiers
    effective_date: str
    sku: str


def pricing_client(profile: str | None = None) -> Any:
    """A boto3 Price List client (the API is served from us-east-1), of ``profile`` if given."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session(profile_name=profile)
        return session.client("pricing", region_name=PRICING_API_REGION)
    except BotoCoreError as exc:
        raise UsageError(f"refresh-prices --profile: {exc}") from None


def _aws_failure(exc: Exception) -> UsageError:
    """One line for a Price List call that failed (no credentials, denied, unreachable)."""
    hint = "configure AWS credentials (aws configure) or pass --profile NAME"
    return UsageError(f"refresh-prices: the AWS Price List API call failed ({exc}); {hint}")


def fetch_products(client: Any, service_code: str, region: str) -> list[dict[str, Any]]:
    """Every product of ``service_code`` in ``region``, each PriceList string parsed."""
    products: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "ServiceCode": service_code,
        "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    while True:
        response = client.get_products(**kwargs)
        products.extend(json.loads(text) for text in response.get("PriceList", []))
        if not response.get("NextToken"):
            return products
        kwargs["NextToken"] = response["NextToken"]


def _bare_usagetype(usagetype: str, region: str) -> str:
    for prefix in sorted(USAGETYPE_PREFIXES.get(region, ("",)), key=len, reverse=True):
        if prefix and usagetype.startswith(prefix):
            return usagetype[len(prefix) :]
    return usagetype


def quote(product: dict[str, Any]) -> Quote:
    """The paid on-demand tiers of a product (zero-priced free ranges dropped)."""
    tiers: Tiers = []
    effective, sku = "", product.get("product", {}).get("sku", "")
    for offer in product.get("terms", {}).get("OnDemand", {}).values():
        effective = str(offer.get("effectiveDate", ""))[:10]
        dimensions = sorted(
            offer.get("priceDimensions", {}).values(),
            key=lambda d: Decimal(str(d.get("beginRange", "0"))),
        )
        for dimension in dimensions:
            usd = Decimal(dimension["pricePerUnit"]["USD"])
            end = str(dimension.get("endRange", "Inf"))
            if usd > 0:
                tiers.append((None if end == "Inf" else Decimal(end), usd))
    return Quote(tiers, effective, sku)


def find_quote(products: Iterable[dict[str, Any]], usagetype: str, region: str) -> Quote | None:
    """The quote of the first product (by SKU) whose bare usagetype is ``usagetype``."""
    matches = [
        p
        for p in products
        if _bare_usagetype(p.get("product", {}).get("attributes", {}).get("usagetype", ""), region)
        == usagetype
    ]
    for product in sorted(matches, key=lambda p: p.get("product", {}).get("sku", "")):
        found = quote(product)
        if found.tiers:
            return found
    return None


def _show(tiers: Tiers) -> str:
    return ", ".join(f"{'inf' if upto is None else upto}: {usd}" for upto, usd in tiers)


def compare(catalog: Catalog, client: Any) -> tuple[list[str], dict[tuple[str, str], Quote]]:
    """Report lines for every catalog entry with a Price List mapping, and the changed quotes."""
    by_service: dict[str, list[dict[str, Any]]] = {}
    lines: list[str] = []
    changed: dict[tuple[str, str], Quote] = {}
    for (service, item), price in catalog.prices.items():
        mapping = price.price_list
        if not mapping:
            lines.append(f"  {service}.{item}: not in the Price List API (kept)")
            continue
        code = mapping["service_code"]
        if code not in by_service:
            by_service[code] = fetch_products(client, code, catalog.region)
        found = find_quote(by_service[code], mapping["usagetype"], catalog.region)
        if found is None:
            lines.append(f"  {service}.{item}: usagetype {mapping['usagetype']} not found (kept)")
        elif _same(found.tiers, price):
            lines.append(f"  {service}.{item}: unchanged")
        else:
            changed[(service, item)] = found
            lines.append(
                f"* {service}.{item}: catalog [{_show(price.tiers)}] -> "
                f"price list [{_show(found.tiers)}] (effective {found.effective_date})"
            )
    return lines, changed


def _same(tiers: Tiers, price: Price) -> bool:
    return [(u, p.normalize()) for u, p in tiers] == [(u, p.normalize()) for u, p in price.tiers]


def write_updates(path: Path, changed: dict[tuple[str, str], Quote]) -> None:
    """Rewrite the catalog file with the changed tiers, marked confirmed and dated."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for (service, item), found in changed.items():
        entry = data["services"][service][item]
        entry["tiers"] = [
            {
                "upto": None
                if upto is None
                else int(upto)
                if upto == upto.to_integral()
                else str(upto),
                "usd": str(usd),
            }
            for upto, usd in found.tiers
        ]
        entry["effective_date"] = found.effective_date or entry["effective_date"]
        entry["confidence"] = "C"
        refreshed = f"Refreshed from the AWS Price List API (SKU {found.sku})."
        entry["note"] = f"{entry.get('note', '')} {refreshed}".strip()
    header = "# Price catalog, updated by `onramp cost refresh-prices --write`.\n"
    path.write_text(
        header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    clear_cache()


def refresh_catalog(
    region: str,
    *,
    write: bool = False,
    client: Any = None,
    path: Path | None = None,
    profile: str | None = None,
) -> str:
    """The diff report of ``region``'s catalog against the Price List; write it if asked.

    ``path`` defaults to the shipped catalog file of ``region``; ``profile`` names the AWS
    credentials profile. No credentials, a denied call or no network: one UsageError line.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    load_catalog(region)  # UsageError naming the region if unknown
    path = path or PRICES_DIR / f"{region}.yaml"
    catalog = load_catalog_file(path)
    try:
        lines, changed = compare(catalog, client or pricing_client(profile))
    except (BotoCoreError, ClientError) as exc:
        raise _aws_failure(exc) from None
    summary = f"{len(changed)} price(s) differ from the AWS Price List API in {region}"
    if changed and write:
        write_updates(path, changed)
        summary += f"; written to {path}"
    elif changed:
        summary += "; run again with --write to update the catalog"
    return "\n".join([summary + ":", *lines]) + "\n"
