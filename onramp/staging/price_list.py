"""The AWS Price List API: every product of a service in a region, for ``refresh-prices``.

The API (boto3 client ``pricing``) is served from us-east-1 whatever region is priced; it
returns ``PriceList``, a list of JSON strings, a page of at most 100 at a time.

Example::

    products = price_list_products()              # the default credential chain
    products = price_list_products(profile="ops")  # a named profile
    products("AWSLambda", "eu-west-1")[0]["product"]["attributes"]["usagetype"]
"""

from __future__ import annotations

import json
from typing import Any

from costmodel.pricing.refresh import Products
from kernel.errors import UsageError

PRICING_API_REGION = "us-east-1"


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


def price_list_products(client: Any = None, profile: str | None = None) -> Products:
    """``products(service_code, region)`` read through ``client`` (default: a new one of
    ``profile``); a failed call (no credentials, denied, no network) is one UsageError."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or pricing_client(profile)

    def products(service_code: str, region: str) -> list[dict[str, Any]]:
        try:
            return fetch_products(client, service_code, region)
        except (BotoCoreError, ClientError) as exc:
            raise _aws_failure(exc) from None

    return products
