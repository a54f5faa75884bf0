"""The welcome email, sent through SES (v1 ``SendEmail``) from ``SENDER_EMAIL``."""

from onboarding.adapters import config
from onboarding.adapters.clients import client, error_code

# SES answers these when the message can never be sent as is: retrying cannot help.
PERMANENT_ERRORS = frozenset(
    {"MessageRejected", "MailFromDomainNotVerified", "MailFromDomainNotVerifiedException"}
)


class EmailRejected(Exception):
    """SES refused the message permanently; ``code`` is the SES error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def welcome_text(name: str, email: str, temporary_password: str) -> str:
    """The welcome email body: the space is ready, and how to sign in to use it."""
    return (
        f"Hello {name},\n\n"
        "Welcome aboard: your account is ready and your storage space has been created.\n\n"
        f"Sign in with your email address ({email}) and this temporary password:\n\n"
        f"    {temporary_password}\n\n"
        "You will choose your own password at your first sign-in. The temporary password\n"
        "expires after 7 days unused.\n"
    )


def send_welcome(
    to_address: str, name: str, temporary_password: str, sender: str | None = None
) -> str:
    """Send the welcome email (with the sign-in's temporary password); return the message id.

    Raises :class:`EmailRejected` for a permanent refusal; other errors (throttling,
    timeouts) propagate so that the stream record is retried.
    """
    try:
        response = client("ses").send_email(
            Source=sender or config.sender_email(),
            Destination={"ToAddresses": [to_address]},
            Message={
                "Subject": {"Data": "Welcome aboard", "Charset": "UTF-8"},
                "Body": {
                    "Text": {
                        "Data": welcome_text(name, to_address, temporary_password),
                        "Charset": "UTF-8",
                    }
                },
            },
        )
    except Exception as error:
        code = error_code(error)
        if code in PERMANENT_ERRORS:
            raise EmailRejected(code) from error
        raise
    return str(response["MessageId"])
