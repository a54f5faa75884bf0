"""The emails keep caller text out, and the already-registered notice goes out at most once.

A registered address registered again (with any name) gets the same 202 as a new one
(tests/onboarding/test_onboarding_register.py); its mailbox gets one fixed notice, sent by
the provision function from the table's stream, whatever the redeliveries.
"""

import json

import pytest
from botocore.exceptions import ClientError
from onboarding.adapters.clients import client
from onboarding.adapters.mailer import NOTICE_SUBJECT, NOTICE_TEXT, WELCOME_SUBJECT, welcome_text
from onboarding.handlers import enrich, provision, register
from onboarding_events import VALID_BODY, api_request, stream_event, stream_record

LURE = "your account is locked, verify at https://evil.example"


def test_a_link_in_the_name_never_reaches_the_welcome_email(aws, lambda_context):
    """The name of the issue's example is stored and mailed without its URL."""
    response = register.handler(api_request({**VALID_BODY, "name": LURE}), lambda_context)
    pending = aws.user(json.loads(response["body"])["user_id"])
    enrich.handler(stream_event(stream_record(pending)), lambda_context)
    processing = aws.user(pending["user_id"])
    assert processing["name"] == "your account is locked, verify at"
    record = stream_record(processing, old_image=pending, sequence=5)
    assert provision.handler(stream_event(record), lambda_context) == {"batchItemFailures": []}
    [email] = aws.sent_emails()
    assert email.subject == WELCOME_SUBJECT
    for link_text in ("https://", "evil.example", "http", "www."):
        assert link_text not in email.body and link_text not in email.subject


@pytest.mark.parametrize(
    "name",
    [
        LURE,
        "Ada www.evil.example",
        "Ada evil.example/login",
        "Ada a@evil.example",
        "Ada evil。example",
    ],
)
def test_the_welcome_text_strips_links_even_from_an_unclean_name(name):
    """Defence in depth: the mailer strips links itself, whatever the row holds."""
    text = welcome_text(name, "Temp-Passw0rd-1")
    assert "evil" not in text and "://" not in text


def test_the_notice_carries_no_caller_text():
    for caller_text in (LURE, "evil", "http", "@"):
        assert caller_text not in NOTICE_TEXT and caller_text not in NOTICE_SUBJECT


def registered_twice(aws, lambda_context, name=LURE):
    """A registered user, then another registration of the address: (old, new) images."""
    register.handler(api_request(), lambda_context)
    [before] = aws.users()
    response = register.handler(api_request({**VALID_BODY, "name": name}), lambda_context)
    assert response["statusCode"] == 202
    [after] = aws.users()
    return before, after


def test_a_registered_address_gets_one_notice_whatever_the_redeliveries(aws, lambda_context):
    before, after = registered_twice(aws, lambda_context)
    event = stream_event(stream_record(after, old_image=before, sequence=7))
    for _ in range(3):
        assert provision.handler(event, lambda_context) == {"batchItemFailures": []}
    [email] = aws.sent_emails()
    assert (email.subject, email.body) == (NOTICE_SUBJECT, NOTICE_TEXT)
    assert email.destinations["ToAddresses"] == [VALID_BODY["email"]]
    notice = aws.users()[0]["notice"]
    assert notice["message_id"] == email.id and notice["sent_at"]
    assert aws.users()[0]["status"] == "pending"  # the notice provisions nothing


def test_a_transient_send_failure_releases_the_notice_for_the_retry(aws, lambda_context):
    before, after = registered_twice(aws, lambda_context)
    event = stream_event(stream_record(after, old_image=before, sequence=7))

    def throttle(**_: object) -> None:
        raise ClientError({"Error": {"Code": "Throttling", "Message": "rate"}}, "SendEmail")

    events = client("ses").meta.events
    events.register("before-call.ses.SendEmail", throttle, unique_id="throttle-notice")
    try:
        with pytest.raises(Exception, match="All records failed"):
            provision.handler(event, lambda_context)
    finally:
        events.unregister("before-call.ses.SendEmail", unique_id="throttle-notice")
    assert "token" not in aws.users()[0]["notice"]
    assert provision.handler(event, lambda_context) == {"batchItemFailures": []}
    assert len(aws.sent_emails()) == 1


def test_a_later_change_of_a_processing_user_provisions_nothing(aws, lambda_context):
    """The notice filter passes any MODIFY with an unclaimed notice: one whose old image is
    not pending is not the move to processing, so no second provisioning starts."""
    register.handler(api_request(), lambda_context)
    [pending] = aws.users()
    enrich.handler(stream_event(stream_record(pending)), lambda_context)
    [processing] = aws.users()
    register.handler(api_request({**VALID_BODY, "name": "Eve"}), lambda_context)
    [noticed] = aws.users()
    event = stream_event(stream_record(noticed, old_image=processing, sequence=9))
    assert provision.handler(event, lambda_context) == {"batchItemFailures": []}
    assert [m.subject for m in aws.sent_emails()] == [NOTICE_SUBJECT]
    assert aws.users()[0]["status"] == "processing" and aws.pool_users() == []
