"""The user's sign-in account: a user in the stack's Cognito user pool (``USER_POOL_ID``).

The pool signs users in by email (case-insensitive); the immutable ``custom:user_id``
attribute carries the user id, which the identity pool maps to the session's principal tag
``user_id``, the variable the one shared role's policy scopes S3 to. No IAM object per user.
Cognito's own invitation is suppressed (``MessageAction=SUPPRESS``): the temporary password
travels in our welcome email, so the user gets one email, not two.
"""

import secrets
import string

from onboarding.adapters import config
from onboarding.adapters.clients import client, error_code

# Cognito answers these when this user can never be created as is: retrying cannot help.
PERMANENT_ERRORS = frozenset(
    {"InvalidParameterException", "InvalidPasswordException", "UserLambdaValidationException"}
)
PASSWORD_LENGTH = 16
"""Above the pool's 12-character minimum, with every character class Cognito's password
policies can require (the symbols are from Cognito's allowed special characters)."""
_PASSWORD_CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits, "!#%+-=@^_")


class AccountRejected(Exception):
    """Cognito refused this user permanently; ``code`` is the Cognito error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def temporary_password() -> str:
    """A random password meeting the pool's policy (one of each class, then any of them).

    >>> password = temporary_password()
    >>> len(password), any(c.isupper() for c in password), any(c in "!#%+-=@^_" for c in password)
    (16, True, True)
    """
    alphabet = "".join(_PASSWORD_CLASSES)
    chars = [secrets.choice(chars) for chars in _PASSWORD_CLASSES]
    chars += [secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def issue_sign_in(user_id: str, email: str, pool_id: str | None = None) -> str:
    """Create the pool user with a fresh temporary password and return the password.

    Idempotent: a user that already exists (a retry after a failed send) is success, and
    gets the fresh temporary password instead, so the email about to be sent is the one
    that works. Raises :class:`AccountRejected` for a permanent refusal; throttling and
    other transient errors propagate so that the stream record is retried.
    """
    pool_id = pool_id or config.user_pool_id()
    password = temporary_password()
    try:
        client("cognito-idp").admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                # Only the address's owner receives the temporary password: signing in with
                # it proves the address as a verification code would.
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:user_id", "Value": user_id},
            ],
            TemporaryPassword=password,
            MessageAction="SUPPRESS",
        )
    except Exception as error:
        code = error_code(error)
        if code in PERMANENT_ERRORS:
            raise AccountRejected(code) from error
        if code != "UsernameExistsException":
            raise
        client("cognito-idp").admin_set_user_password(
            UserPoolId=pool_id, Username=email, Password=password, Permanent=False
        )
    return password
