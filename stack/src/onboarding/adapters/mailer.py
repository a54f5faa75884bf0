"""The pipeline's two emails, sent through SES (v1 ``SendEmail``) from ``SENDER_EMAIL``.

Caller text is kept out of both: fixed subjects, no links at all, and the welcome email's
greeting is the name without anything a mail client could turn into a link
(:func:`onboarding.domain.validation.strip_links`); the notice carries no caller text.
"""

from onboarding.adapters import config
from onboarding.adapters.clients import client, error_code
from onboarding.domain.validation import strip_links

WELCOME_SUBJECT = "Welcome aboard"
NOTICE_SUBJECT = "Your sign-up request"

# SES answers these when the message can never be sent as is: retrying cannot help.
PERMANENT_ERRORS = frozenset(
    {"MessageRejected", "MailFromDomainNotVerified", "MailFromDomainNotVerifiedException"}
)


class EmailRejected(Exception):
    """SES refused the message permanently; ``code`` is the SES error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def welcome_text(name: str, temporary_password: str) -> str:
    """The welcome email body: the space is ready, and how to sign in to use it. The address
    is not repeated in it (a mail client would make it a link; it is the recipient's own)."""
    greeting = strip_links(name)
    return (
        f"Hello{' ' + greeting if greeting else ''},\n\n"
        "Welcome aboard: your account is ready and your storage space has been created.\n\n"
        "Sign in with the email address this message was sent to and this temporary\n"
        "password:\n\n"
        f"    {temporary_password}\n\n"
        "You will choose your own password at your first sign-in. The temporary password\n"
        "expires after 7 days unused. Nobody can use your space before you sign in.\n"
    )


NOTICE_TEXT = (
    "Hello,\n\n"
    "Someone asked to sign up with this email address, which already has an account\n"
    "(or a sign-up in progress) with us. Nothing was changed.\n\n"
    "If it was you: sign in with this email address and your password, or use the\n"
    "password reset of the sign-in page. If your sign-up is new, your welcome email with\n"
    "a temporary password is on its way.\n\n"
    "If it was not you, you can ignore this email. We send at most one such notice a day.\n"
)
"""The notice body: fixed text, nothing from the request."""


def send_welcome(
    to_address: str, name: str, temporary_password: str, sender: str | None = None
) -> str:
    """Send the welcome email (with the sign-in's temporary password); return the message id.

    Raises :class:`EmailRejected` for a permanent refusal; other errors (throttling,
    timeouts) propagate so that the stream record is retried.
    """
    body = welcome_text(name, temporary_password)
    return _send(to_address, WELCOME_SUBJECT, body, sender)


def send_notice(to_address: str) -> str:
    """Send the already-registered notice; return the message id (errors as send_welcome)."""
    return _send(to_address, NOTICE_SUBJECT, NOTICE_TEXT, None)


def _send(to_address: str, subject: str, body: str, sender: str | None) -> str:
    try:
        response = client("ses").send_email(
            Source=sender or config.sender_email(),
            Destination={"ToAddresses": [to_address]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
            },
        )
    except Exception as error:
        code = error_code(error)
        if code in PERMANENT_ERRORS:
            raise EmailRejected(code) from error
        raise
    return str(response["MessageId"])
