"""`onramp cleanup --stack NAME --run RUN_ID`: remove exactly what one load run created.

Always lists first (a dry run: what would be deleted, what is kept and why); deletes only
with ``--yes``. The run's own record (``runs/<run id>/accepted.*.txt``) says which users it
created; nothing else is touched.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from onramp.cli.measure import DEFAULT_OUT
from onramp.staging.cleanup import (
    CleanupTarget,
    delete_run_data,
    find_run_data,
    listing,
    run_user_ids,
)
from onramp.staging.outputs import describe_stack
from onramp.staging.session import AwsSession, aws_errors


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``onramp cleanup``."""
    parser = subparsers.add_parser(
        "cleanup",
        help="remove what one load run created on a stack (dry run unless --yes)",
        description=__doc__,
    )
    parser.add_argument("--stack", required=True, help="CloudFormation stack name")
    parser.add_argument("--run", required=True, help="the load run's id (a directory of --out)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="runs directory")
    parser.add_argument("--yes", action="store_true", help="delete what the listing shows")
    parser.add_argument("--region", help="the stack's region (default: the profile's)")
    parser.add_argument("--profile", help="AWS named profile")
    parser.set_defaults(func=run_cleanup)


def run_cleanup(args: argparse.Namespace) -> int:
    """List what the run left; with --yes delete it and list again (all zero)."""
    user_ids = run_user_ids(args.out / args.run)
    with aws_errors(args.region):
        aws = AwsSession.open(args.region, args.profile)
        target = CleanupTarget.from_stack(
            describe_stack(aws.client("cloudformation"), args.stack, aws.region)
        )
        data = find_run_data(target, aws.client, user_ids)
        print(listing(data))
        if not args.yes:
            print("dry run: nothing deleted; run again with --yes to delete the above")
            return 0
        delete_run_data(target, aws.client, data)
        print("deleted; what is left of the run:")
        print(listing(find_run_data(target, aws.client, user_ids)))
    return 0
