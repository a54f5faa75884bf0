"""A user's space: the ``users/<user_id>/`` prefix in the one bucket.

One shared bucket with per-user prefixes, not a bucket per user: an account has a bucket
quota (10,000 by default), bucket creation is slow and rate-limited, and each bucket needs
its own encryption/public-access settings. Access to the prefix needs no per-user object
either: the stack's one UserSpaceRole grants ``users/${aws:PrincipalTag/user_id}/``
(:mod:`onboarding.adapters.accounts`). The marker write is idempotent.
"""

from onboarding.adapters import config
from onboarding.adapters.clients import client, error_code

MARKER = ".keep"
ACCESS = "principal-tag:user_id"
"""How access is granted, as recorded in the user's ``space``: the identity pool's role,
scoped by the session's principal tag ``user_id``."""


def user_prefix(user_id: str) -> str:
    """The user's key prefix, ``users/<user_id>/``."""
    return f"users/{user_id}/"


class UserSpaces:
    """Creates the prefix marker; skips it when it already exists."""

    def __init__(self, bucket: str | None = None) -> None:
        self.bucket = bucket or config.user_spaces_bucket()

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
