"""The already-registered notice, sent by the provision function from the Users stream.

Its event source's second filter passes a ``MODIFY`` whose new image has a notice request
nobody has claimed (``notice.requested_at`` present, ``notice.token`` absent: register's
:meth:`~onboarding.adapters.users.UsersTable.request_notice`). The step claims the request
with a token, sends the fixed notice (:data:`onboarding.adapters.mailer.NOTICE_TEXT`) and
records the message id; a transient SES error releases the claim and raises, so the record
is retried; a permanent refusal is recorded and never retried. A claim already taken means
another delivery has it: nothing is sent twice.
"""

import uuid
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from onboarding.adapters.mailer import EmailRejected, send_notice
from onboarding.adapters.observability import logger
from onboarding.adapters.users import UsersTable
from onboarding.domain.clock import now_iso


def requested_notice(record: DynamoDBRecord) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The record's new image and its unclaimed notice request, or None."""
    image = (record.dynamodb.new_image if record.dynamodb else None) or {}
    notice = image.get("notice")
    if not isinstance(notice, dict) or not notice.get("requested_at") or notice.get("token"):
        return None
    return image, notice


def send_requested_notice(record: DynamoDBRecord, users: UsersTable) -> None:
    """Send the notice the record asks for, at most once (module doc); a no-op otherwise."""
    requested = requested_notice(record)
    if requested is None:
        return
    image, notice = requested
    user_id, token = str(image["user_id"]), uuid.uuid4().hex
    if not users.claim_notice(user_id, str(notice["requested_at"]), token):
        logger.info("notice claimed by another delivery")
        return
    try:
        message_id = send_notice(str(image["email"]))
    except EmailRejected as rejection:
        users.record_notice(user_id, token, {"error": rejection.code})
        logger.info("notice rejected", extra={"error_code": rejection.code})
        return
    except Exception:
        users.release_notice(user_id, token)
        raise
    users.record_notice(user_id, token, {"message_id": message_id, "sent_at": now_iso()})
    logger.info("notice sent")
