"""Provision (DynamoDB stream: users that became ``processing``): S3 prefix, scoped IAM policy,
welcome email, then ``completed``.

Idempotent step by step: the prefix marker is written with ``If-None-Match: *``, the policy
creation tolerates ``EntityAlreadyExists``, and the email is claimed on the user item with a
conditional update *before* it is sent, so a retry that finds the claim never sends a second
email (at most one email; a crash between claim and send loses that email rather than
doubling it). A permanent SES refusal ends ``failed`` with ``provisioning_rejected``;
throttling and other transient errors release the claim and raise, so the record is retried.
"""

import uuid
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from onboarding.audit import AuditLog
from onboarding.clock import now_iso
from onboarding.mailer import EmailRejected, send_welcome
from onboarding.observability import count, count_failure, logger, tracer
from onboarding.spaces import UserSpaces, policy_name, user_prefix
from onboarding.status import FailureReason, Status
from onboarding.stream import partial_batch_handler, user_in_status
from onboarding.transitions import change_status
from onboarding.users import UsersTable


def _send_claimed_email(users: UsersTable, user: dict[str, Any]) -> dict[str, Any]:
    """Claim and send the welcome email; the fields to record (empty if already claimed).

    Raises :class:`EmailRejected` (permanent) or the transient error (claim released).
    """
    token = uuid.uuid4().hex
    if not users.claim_welcome_email(user["user_id"], {"token": token, "claimed_at": now_iso()}):
        logger.info("welcome email already claimed: not sending again")
        return {}
    try:
        message_id = send_welcome(user["email"], user["name"])
    except EmailRejected:
        raise
    except Exception:
        users.release_welcome_email(user["user_id"], token)
        raise
    return {"welcome_email.message_id": message_id, "welcome_email.sent_at": now_iso()}


@tracer.capture_method
def provision_record(record: DynamoDBRecord) -> None:
    """Provision one processing user (a no-op for any other status)."""
    user = user_in_status(record, Status.PROCESSING)
    if user is None:
        return
    user_id = user["user_id"]
    spaces, users, audit = UserSpaces(), UsersTable(), AuditLog()
    spaces.ensure_prefix(user_id)
    spaces.ensure_policy(user_id)
    try:
        email_fields = _send_claimed_email(users, user)
    except EmailRejected as rejection:
        reason = FailureReason.PROVISIONING_REJECTED
        fields = {"welcome_email.error": rejection.code}
        if change_status(users, audit, user, Status.FAILED, reason=reason, fields=fields):
            count_failure(reason)
        logger.info("welcome email rejected", extra={"ses_error": rejection.code})
        return
    space = {"bucket": spaces.bucket, "prefix": user_prefix(user_id)}
    fields = {**email_fields, "space": {**space, "policy": policy_name(user_id)}}
    fields["completed_at"] = now_iso()
    if change_status(users, audit, user, Status.COMPLETED, fields=fields):
        count("Provisions")
    logger.info("provisioned")


handler = partial_batch_handler(provision_record)
"""Lambda entry point (``onboarding.provision.handler``); partial batch response."""
