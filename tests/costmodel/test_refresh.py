"""refresh-prices against botocore's Stubber, on Price List responses in the API's real shape.

A real get_products answer carries PriceList as a list of JSON *strings*; each product has
product.attributes (usagetype, regionCode, ...) and
terms.OnDemand.<sku.offer>.priceDimensions.<sku.offer.rate> with beginRange, endRange
("Inf" for the last range) and pricePerUnit.USD.
"""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber

from costmodel.pricing import refresh
from costmodel.pricing.catalog import load_catalog, load_catalog_file
from onramp.cli import main
from onramp.staging import price_list
from onramp.staging.price_list import price_list_products


def product(service: str, usagetype: str, sku: str, ranges: list[tuple[str, str, str]]) -> str:
    """One PriceList entry (a JSON string); ranges are (beginRange, endRange, USD)."""
    offer = f"{sku}.JRTCKXETXF"
    dimensions = {
        f"{offer}.{index}": {
            "unit": "Units",
            "beginRange": begin,
            "endRange": end,
            "description": usagetype,
            "appliesTo": [],
            "rateCode": f"{offer}.{index}",
            "pricePerUnit": {"USD": usd},
        }
        for index, (begin, end, usd) in enumerate(ranges)
    }
    return json.dumps(
        {
            "product": {
                "productFamily": "Serverless",
                "sku": sku,
                "attributes": {
                    "servicecode": service,
                    "regionCode": "us-east-1",
                    "location": "US East (N. Virginia)",
                    "usagetype": usagetype,
                },
            },
            "serviceCode": service,
            "terms": {
                "OnDemand": {
                    offer: {
                        "priceDimensions": dimensions,
                        "sku": sku,
                        "offerTermCode": "JRTCKXETXF",
                        "effectiveDate": "2026-10-01T00:00:00Z",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20261001000000",
            "publicationDate": "2026-10-01T00:00:00Z",
        }
    )


def expect(stubber: Stubber, service: str, pages: list[list[str]]) -> None:
    for number, page in enumerate(pages):
        response: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": page}
        params: dict[str, Any] = {
            "ServiceCode": service,
            "Filters": ANY,
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        if number + 1 < len(pages):
            response["NextToken"] = f"page-{number + 1}"
        if number:
            params["NextToken"] = f"page-{number}"
        stubber.add_response("get_products", response, params)


@pytest.fixture
def pricing() -> Any:
    return boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


@pytest.fixture
def small_catalog(tmp_path: Path) -> Path:
    data = yaml.safe_load(Path(load_catalog("us-east-1").path).read_text())
    data["services"] = {k: data["services"][k] for k in ("lambda", "http_api")}
    path = tmp_path / "us-east-1.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def lambda_pages() -> list[list[str]]:
    return [
        [
            product("AWSLambda", "Request", "SKU1", [("0", "Inf", "0.0000002000")]),
            product(
                "AWSLambda",
                "Lambda-GB-Second",
                "SKU2",
                [
                    ("0", "6000000000", "0.0000166667"),
                    ("6000000000", "15000000000", "0.0000150000"),
                    ("15000000000", "Inf", "0.0000133334"),
                ],
            ),
        ],
        [
            product(
                "AWSLambda",
                "USE1-Lambda-GB-Second-ARM",
                "SKU3",
                [
                    ("0", "7500000000", "0.0000128000"),
                    ("7500000000", "18750000000", "0.0000120001"),
                    ("18750000000", "Inf", "0.0000106667"),
                ],
            ),
            product("AWSLambda", "Lambda-Provisioned-Request", "SKU4", [("0", "Inf", "0.0000001")]),
        ],
    ]


def api_pages() -> list[list[str]]:
    return [
        [
            product(
                "AmazonApiGateway",
                "ApiGatewayHttpRequest",
                "SKU5",
                [
                    ("0", "1000000", "0.0000000000"),
                    ("1000000", "300000000", "0.0000010000"),
                    ("300000000", "Inf", "0.0000009000"),
                ],
            )
        ]
    ]


def refresh_small(pricing: Any, path: Path, write: bool = False) -> str:
    with Stubber(pricing) as stubber:
        expect(stubber, "AWSLambda", lambda_pages())
        expect(stubber, "AmazonApiGateway", api_pages())
        report = refresh.refresh_catalog(
            "us-east-1", price_list_products(pricing), path=path, write=write
        )
        stubber.assert_no_pending_responses()
    return report


def test_reports_differences_and_leaves_the_file(pricing: Any, small_catalog: Path) -> None:
    before = small_catalog.read_text()
    report = refresh_small(pricing, small_catalog)
    assert report.startswith("1 price(s) differ")
    assert "* lambda.duration_arm64: catalog [7500000000: 0.0000133334" in report
    assert "price list [7500000000: 0.0000128000" in report
    assert "lambda.requests: unchanged" in report
    assert "http_api.requests: unchanged" in report  # zero-priced free range is not a tier
    assert "lambda.ephemeral_storage: usagetype Lambda-Storage-GB-Second not found" in report
    assert small_catalog.read_text() == before


def test_write_updates_the_catalog(pricing: Any, small_catalog: Path) -> None:
    with Stubber(pricing) as stubber:
        expect(stubber, "AWSLambda", lambda_pages())
        expect(stubber, "AmazonApiGateway", api_pages())
        report = refresh.refresh_catalog(
            "us-east-1", price_list_products(pricing), path=small_catalog, write=True
        )
    assert "written to" in report
    price = load_catalog_file(small_catalog).price("lambda", "duration_arm64")
    assert str(price.unit_price) == "0.0000128000"
    assert (price.confidence, price.effective_date) == ("C", "2026-10-01")
    assert "SKU3" in price.note


def test_cli_prints_the_report(
    monkeypatch: pytest.MonkeyPatch, pricing: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = dict.fromkeys(
        p.price_list["service_code"]
        for p in load_catalog("eu-west-1").prices.values()
        if p.price_list
    )
    monkeypatch.setattr(price_list, "pricing_client", lambda profile=None: pricing)
    with Stubber(pricing) as stubber:
        for code in codes:
            expect(stubber, code, [[]])
        assert main(["cost", "refresh-prices", "--region", "eu-west-1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 price(s) differ from the AWS Price List API in eu-west-1")
    assert "budgets.action_enabled_budget_days: not in the Price List API" in out


def test_unknown_region_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["cost", "refresh-prices", "--region", "ap-mars-1"])
    assert exc.value.code == 2
