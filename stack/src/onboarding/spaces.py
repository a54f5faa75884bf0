"""A user's space: the ``users/<user_id>/`` prefix in the one bucket, and an IAM policy for it.

One shared bucket with per-user prefixes, not a bucket per user: an account has a bucket
quota (10,000 by default), bucket creation is slow and rate-limited, and each bucket needs
its own encryption/public-access settings. Both steps are idempotent.
"""

import json
from typing import Any

from onboarding import config
from onboarding.clients import client, error_code

MARKER = ".keep"
POLICY_NAME_PREFIX = "onramp-user-"


def user_prefix(user_id: str) -> str:
    """The user's key prefix, ``users/<user_id>/``."""
    return f"users/{user_id}/"


def policy_name(user_id: str) -> str:
    """The managed policy name, ``onramp-user-<user_id>``."""
    return f"{POLICY_NAME_PREFIX}{user_id}"


def policy_document(bucket: str, user_id: str) -> dict[str, Any]:
    """Least privilege on the user's prefix: object read/write/delete, and listing it only."""
    prefix = user_prefix(user_id)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
            },
            {
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
            },
        ],
    }


class UserSpaces:
    """Creates the prefix marker and the scoped policy; both skip work that already exists."""

    def __init__(self, bucket: str | None = None, policy_path: str | None = None) -> None:
        self.bucket = bucket or config.user_spaces_bucket()
        self.policy_path = policy_path or config.user_policy_path()

    def ensure_prefix(self, user_id: str) -> bool:
        """Write the prefix marker unless present (``If-None-Match: *``: one request either
        way). True when this call created it."""
        try:
            client("s3").put_object(
                Bucket=self.bucket,
                Key=user_prefix(user_id) + MARKER,
                Body=b"",
                IfNoneMatch="*",
            )
        except Exception as error:
            if error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        return True

    def ensure_policy(self, user_id: str) -> bool:
        """Create the user's managed policy; True when created, False when it already existed."""
        try:
            client("iam").create_policy(
                PolicyName=policy_name(user_id),
                Path=self.policy_path,
                PolicyDocument=json.dumps(policy_document(self.bucket, user_id)),
                Description=f"onramp: access to s3://{self.bucket}/{user_prefix(user_id)}",
            )
        except Exception as error:
            if error_code(error) == "EntityAlreadyExists":
                return False
            raise
        return True
