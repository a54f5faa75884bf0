"""``onramp cost price USAGE.yaml`` and ``onramp cost refresh-prices --region R``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from costmodel.pricing.catalog import available_regions
from costmodel.pricing.components.messaging import SES_PLANS
from costmodel.pricing.engine import price_usage
from costmodel.pricing.free_tier import PROFILES
from costmodel.pricing.usage import load_usage
from onramp.reports.exports import bill_rows, render_bill, to_csv, write_bill


def register(group: Any) -> None:
    """Add the ``price`` and ``refresh-prices`` sub-commands to the ``cost`` group."""
    price = group.add_parser("price", help="price a usage file (monthly bill, to the cent)")
    price.add_argument(
        "usage", metavar="USAGE.yaml", help="usage file (see costmodel/pricing/usage.py)"
    )
    price.add_argument("--format", choices=("table", "json", "csv"), default="table")
    price.add_argument("--free-tier", choices=PROFILES, help="override the file's free_tier")
    price.add_argument("--ses-plan", choices=SES_PLANS, help="override the file's ses_plan")
    price.add_argument("--output", "-o", help="also write the bill to a .csv/.json/.xlsx file")
    price.set_defaults(func=run_price)

    refresh = group.add_parser(
        "refresh-prices", help="compare the catalog with the AWS Price List API"
    )
    refresh.add_argument("--region", required=True, choices=available_regions())
    refresh.add_argument("--write", action="store_true", help="write the updated catalog file")
    refresh.add_argument("--profile", help="AWS credentials profile (default: the usual chain)")
    refresh.set_defaults(func=run_refresh)


def run_price(args: argparse.Namespace) -> int:
    """Price the usage file and print the bill."""
    usage = load_usage(args.usage)
    bill = price_usage(usage, free_tier=args.free_tier, ses_plan=args.ses_plan)
    if args.format == "json":
        import json

        text = json.dumps(bill.to_dict(), indent=2) + "\n"
    elif args.format == "csv":
        text = to_csv(bill_rows(bill))
    else:
        header = (
            f"Monthly bill, {usage['region']}, free tier: {args.free_tier or usage['free_tier']}"
            f", amounts in {bill.currency}\n\n"
        )
        text = header + render_bill(bill)
    sys.stdout.write(text)
    if args.output:
        write_bill(bill, args.output)
    return 0


def run_refresh(args: argparse.Namespace) -> int:
    """Print catalog-vs-Price-List differences; write the file only with --write."""
    from costmodel.pricing.refresh import refresh_catalog
    from onramp.staging.price_list import price_list_products

    report = refresh_catalog(
        args.region, price_list_products(profile=args.profile), write=args.write
    )
    sys.stdout.write(report)
    return 0
