"""The price catalog: every region loads, every price is sourced, dated and rated."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from costmodel.pricing.arithmetic import EXACT
from costmodel.pricing.catalog import (
    FREE_TIER_PATH,
    available_regions,
    load_catalog,
    load_catalog_file,
)
from costmodel.pricing.engine import tier_parts
from costmodel.pricing.free_tier import allowances, free_quantity, parse_free_tier
from kernel.errors import UsageError


def test_three_regions_ship() -> None:
    assert {"us-east-1", "eu-west-1", "eu-central-1"} <= set(available_regions())


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "eu-central-1"])
def test_every_price_is_sourced_dated_and_rated(region: str) -> None:
    catalog = load_catalog(region)
    assert catalog.region == region
    for (service, item), price in catalog.prices.items():
        assert price.source_url.startswith("https://"), (service, item)
        date.fromisoformat(price.effective_date)
        assert price.confidence in ("C", "S", "U")
        if price.confidence != "C":
            assert price.note, f"{region} {service}.{item}: uncertain price without a note"
        assert price.tiers[-1][0] is None or service == "ses", (service, item)


def test_regions_price_the_same_items() -> None:
    items = {r: set(load_catalog(r).prices) for r in available_regions()}
    assert items["eu-west-1"] == items["us-east-1"] == items["eu-central-1"]


def test_known_us_east_1_prices() -> None:
    catalog = load_catalog("us-east-1")
    assert catalog.price("lambda", "requests").unit_price == Decimal("0.0000002")
    assert catalog.price("dynamodb", "write_request_units").unit_price == Decimal("0.000000625")
    assert catalog.price("dynamodb", "write_request_units").effective_date == "2024-11-01"
    assert catalog.price("http_api", "requests").tiers == [
        (Decimal(300_000_000), Decimal("0.0000010")),
        (None, Decimal("0.0000009")),
    ]
    assert catalog.price("ses", "recipients").unit_price * 1000 == Decimal("0.1")


def test_unknown_region_names_it() -> None:
    with pytest.raises(UsageError, match="ap-mars-1"):
        load_catalog("ap-mars-1")


def test_unknown_price_names_service_and_item() -> None:
    with pytest.raises(UsageError, match=r"lambda\.gpu_seconds"):
        load_catalog("us-east-1").price("lambda", "gpu_seconds")


def test_split_across_tiers_continues_from_earlier_usage() -> None:
    price = load_catalog("us-east-1").price("http_api", "requests")
    parts = list(tier_parts(price, Decimal(250_000_000), Decimal(100_000_000), EXACT))
    assert parts == [Decimal(50_000_000), Decimal(50_000_000)]


def test_bounded_last_tier_refuses_more(tmp_path: Path) -> None:
    price = load_catalog("us-east-1").price("ses", "essentials_emails")
    with pytest.raises(UsageError, match="essentials_emails"):
        list(tier_parts(price, Decimal(0), Decimal(10_000_001), EXACT))


def test_malformed_catalog_names_entry_and_key(tmp_path: Path) -> None:
    data = yaml.safe_load(Path(load_catalog("us-east-1").path).read_text())
    del data["services"]["sqs"]["requests"]["source_url"]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(UsageError, match=r"sqs\.requests.*source_url"):
        load_catalog_file(path)


def test_free_tier_profiles() -> None:
    free = load_catalog("us-east-1").free_tier
    assert allowances(free, "none") == ()
    assert free_quantity(free, "always-free", "lambda", "duration_arm64") == 400_000
    assert free_quantity(free, "always-free", "http_api", "requests") == 0
    assert free_quantity(free, "legacy-12-month", "http_api", "requests") == 1_000_000
    with pytest.raises(UsageError, match="forever"):
        allowances(free, "forever")


def test_logs_always_free_is_three_separate_allowances() -> None:
    """5 GB ingested, 5 GB-month stored and 5 GB scanned: one allowance each, not one pooled
    5 GB (an AWS bill shows them as separate lines: prices/free_tier.yaml cites it)."""
    free = load_catalog("eu-west-1").free_tier
    for item in ("log_ingest", "log_storage", "log_insights_scanned"):
        mine = [a for a in allowances(free, "always-free") if item in a.items]
        assert len(mine) == 1 and mine[0].items == (item,) and mine[0].quantity == 5


def test_free_tier_is_data_in_the_catalog(tmp_path: Path) -> None:
    data = yaml.safe_load(FREE_TIER_PATH.read_text())
    assert {"always-free", "legacy-12-month"} == set(data)
    keys = {"service", "items", "quantity", "confidence"}
    assert all(keys <= set(allowance) for allowance in data["always-free"])
    with pytest.raises(UsageError, match="unknown profile 'forever'"):
        parse_free_tier({"forever": []}, "free_tier.yaml")
