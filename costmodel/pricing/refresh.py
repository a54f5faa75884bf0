"""Compare the catalog with the AWS Price List API's products and, if asked, write the file.

The products come from a ``Products`` function (onramp/staging/price_list.py reads them from the
API; this module makes no AWS call). Each product has ``product.attributes`` (``usagetype``,
``regionCode``, ...) and ``terms.OnDemand.<sku.offer>.priceDimensions.<rate>`` holding
``beginRange``, ``endRange`` ("Inf" for the last) and ``pricePerUnit.USD``. A catalog entry
names its product with ``price_list: {service_code, usagetype}`` (usagetype without the
region prefix, e.g. ``Lambda-GB-Second`` for ``EU-Lambda-GB-Second``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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

# Usage types carry a region prefix (none or USE1- in us-east-1).
USAGETYPE_PREFIXES = {"us-east-1": ("", "USE1-"), "eu-west-1": ("EU-",), "eu-central-1": ("EUC1-",)}

Tiers = list[tuple[Decimal | None, Decimal]]
Products = Callable[[str, str], list[dict[str, Any]]]
"""``products(service_code, region)``: the Price List's products of a service in a region."""


@dataclass(frozen=True)
class Quote:
    """Tiers of one product in the Price List, with the offer's effective date and SKU."""

    tiers: Tiers
    effective_date: str
    sku: str


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


def compare(catalog: Catalog, products: Products) -> tuple[list[str], dict[tuple[str, str], Quote]]:
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
            by_service[code] = products(code, catalog.region)
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
    region: str, products: Products, *, write: bool = False, path: Path | None = None
) -> str:
    """The diff report of ``region``'s catalog against the Price List; write it if asked.

    ``path`` defaults to the shipped catalog file of ``region``; ``products`` reads the Price
    List (onramp/staging/price_list.py), raising UsageError when the call fails.
    """
    load_catalog(region)  # UsageError naming the region if unknown
    path = path or PRICES_DIR / f"{region}.yaml"
    catalog = load_catalog_file(path)
    lines, changed = compare(catalog, products)
    summary = f"{len(changed)} price(s) differ from the AWS Price List API in {region}"
    if changed and write:
        write_updates(path, changed)
        summary += f"; written to {path}"
    elif changed:
        summary += "; run again with --write to update the catalog"
    return "\n".join([summary + ":", *lines]) + "\n"
