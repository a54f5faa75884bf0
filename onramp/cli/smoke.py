"""`onramp smoke --stack NAME`: the post-deploy smoke test of a deployed stack (``smoke``)."""

from __future__ import annotations

import argparse

from kernel.errors import UsageError
from onramp.staging.outputs import Stack, stack_outputs
from onramp.staging.session import AwsSession, aws_errors
from onramp.staging.smoke import SmokeTarget, run_smoke


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``onramp smoke``."""
    parser = subparsers.add_parser(
        "smoke",
        help="register, sign in and use one user's space on a deployed stack, then clean up",
        description=__doc__,
    )
    parser.add_argument("--stack", required=True, help="CloudFormation stack name")
    parser.add_argument("--region", help="AWS region (default: the profile's)")
    parser.add_argument("--profile", help="AWS named profile (default: the default chain)")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for completed (120)"
    )
    parser.set_defaults(func=run)


def target_from_stack(aws: AwsSession, name: str, timeout_s: float) -> SmokeTarget:
    """The smoke target of a deployed stack, from its CloudFormation outputs."""
    stack = Stack(
        name, aws.region, stack_outputs(aws.client("cloudformation"), name, aws.region), {}
    )
    return SmokeTarget(
        api_url=stack.output("ApiUrl"),
        users_table=stack.output("UsersTableName"),
        bucket=stack.output("UserSpacesBucketName"),
        user_pool_id=stack.output("UserPoolId"),
        client_id=stack.output("UserPoolClientId"),
        identity_pool_id=stack.output("IdentityPoolId"),
        region=aws.region,
        operator=aws.client,
        timeout_s=timeout_s,
    )


def run(args: argparse.Namespace) -> int:
    """Run the smoke test; exit 0 when every step passed, 1 otherwise."""
    if args.timeout <= 0:
        raise UsageError(f"--timeout: {args.timeout} is not a positive number of seconds")
    with aws_errors(args.region):
        aws = AwsSession.open(region=args.region, profile=args.profile)
        report = run_smoke(target_from_stack(aws, args.stack, args.timeout))
    print(report.text())
    return 0 if report.ok else 1
