"""``--account sandbox|production|none`` (and production's rate and quota) for `onramp up`
and `onramp demo`: which account's SES limits the embedded AWS plays (``ses_account``)."""

from __future__ import annotations

import argparse

from kernel.errors import UsageError
from onramp.local.aws.ses_account import ACCOUNTS, AccountProfile


def add_account_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --account, --ses-rate and --ses-quota."""
    parser.add_argument(
        "--account",
        choices=ACCOUNTS,
        default="none",
        help="SES limits to play: sandbox (1 message/s, 200 a day, verified recipients or the "
        "mailbox simulator), production (--ses-rate, --ses-quota) or none (default)",
    )
    parser.add_argument(
        "--ses-rate", type=float, help="production: maximum send rate, messages a second"
    )
    parser.add_argument("--ses-quota", type=int, help="production: messages per 24 hours")


def account_from_args(args: argparse.Namespace) -> AccountProfile:
    """The profile the flags name; UsageError for a production profile without its figures."""
    given = args.ses_rate is not None or args.ses_quota is not None
    if args.account != "production":
        if given:
            raise UsageError("--ses-rate/--ses-quota: only with --account production")
        return AccountProfile.sandbox() if args.account == "sandbox" else AccountProfile()
    if args.ses_rate is None or args.ses_quota is None:
        raise UsageError(
            "--account production: give --ses-rate and --ses-quota "
            "(your account's: aws ses get-send-quota)"
        )
    if not (args.ses_rate > 0 and args.ses_quota > 0):
        raise UsageError("--ses-rate/--ses-quota: must be positive")
    return AccountProfile.production(args.ses_rate, args.ses_quota)
