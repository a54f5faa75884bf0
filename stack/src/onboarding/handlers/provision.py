"""Provision (DynamoDB stream: users that became ``processing``): S3 prefix, the sign-in user
in the Cognito user pool, welcome email, then ``completed``. The same records (and those of
the event source's second filter) also carry the already-registered notice a registration
of a registered address asked for: :mod:`onboarding.handlers.notice` sends it first.

No IAM call at all: access to the prefix comes from the stack's one UserSpaceRole, scoped by
the session's principal tag ``user_id`` (:mod:`onboarding.adapters.accounts`). Idempotent step by
step: the prefix marker is written with ``If-None-Match: *``, and the email is claimed on the
user item with a conditional update *before* it is sent (:mod:`onboarding.domain.email_claim`): at
most one email, and never ``completed`` without one. The claimant creates the pool user (an
existing one is success) with the temporary password the email carries, sends, records the
SES message id on its claim, then completes. A delivery that finds another's claim
completes only once a message id is there; while the claim's lease runs it waits (or fails
the record, so Lambda retries it); when the lease is over without a message id, the email
may or may not have gone out, so it is not sent again and the user ends ``failed`` with
``welcome_email_unconfirmed``. A permanent Cognito or SES refusal ends ``failed`` with
``provisioning_rejected``; throttling and other transient errors release the claim and
raise, so the record is retried.
"""

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from onboarding.adapters.accounts import AccountRejected, issue_sign_in
from onboarding.adapters.audit import AuditLog
from onboarding.adapters.config import user_pool_id
from onboarding.adapters.mailer import EmailRejected, send_welcome
from onboarding.adapters.observability import count, count_failure, logger, tracer
from onboarding.adapters.spaces import ACCESS, UserSpaces, user_prefix
from onboarding.adapters.transitions import change_status
from onboarding.adapters.users import UsersTable
from onboarding.domain.clock import now_iso
from onboarding.domain.email_claim import ClaimState, claim_state, lease_end, new_claim
from onboarding.domain.lake import lake_row
from onboarding.domain.metric_catalog import PROVISIONS
from onboarding.domain.status import FailureReason, Status
from onboarding.handlers.notice import send_requested_notice
from onboarding.handlers.stream import partial_batch_handler, seconds_left, user_in_status

RESERVE_S = 10.0
"""Invocation time kept for the rest of the batch: a delivery waits for another's email claim
only while more than this is left (the function's timeout is 60 s, the lease 15 s)."""
FIRST_PAUSE_S = 0.1
MAX_PAUSE_S = 1.0
_EMAIL_STEP = threading.Lock()
"""One welcome email between claim and recorded message id per invocation. The batch's
records run side by side (onboarding.handlers.stream), but a crash or timeout ends every record in
flight, and a claim left without a message id ends ``welcome_email_unconfirmed``: holding the
claim-send-record step one record at a time keeps that to one user, as sequential records
did (tests/integration/faults/test_handler_faults.py)."""


class EmailClaimHeld(RuntimeError):
    """Another delivery holds a live claim on this user's email and this invocation cannot
    wait for it: the record fails (batch item failure) and Lambda retries it later."""


def _send_claimed(users: UsersTable, user: dict[str, Any], token: str) -> None:
    """Under our claim ``token``: create the sign-in user, send, record the message id.

    Raises :class:`AccountRejected` or :class:`EmailRejected` (permanent, claim kept) or the
    transient error (claim released: the email did not go out, a retry claims again).
    """
    try:
        password = issue_sign_in(user["user_id"], user["email"])
        message_id = send_welcome(user["email"], user["name"], password)
    except (AccountRejected, EmailRejected):
        raise
    except Exception:
        users.release_welcome_email(user["user_id"], token)
        raise
    sent = {"message_id": message_id, "sent_at": now_iso()}
    if not users.record_welcome_email(user["user_id"], token, sent):
        logger.warning("welcome email sent but the claim is no longer ours")


def _welcome_email(
    users: UsersTable, user: dict[str, Any], seconds_left: Callable[[], float]
) -> ClaimState:
    """Claim and send the email, or find out what became of another delivery's claim.

    Returns ``SENT`` (the user may complete), ``SETTLED`` (already completed or failed) or
    ``UNCONFIRMED``. Raises :class:`AccountRejected`, :class:`EmailRejected`, a transient
    Cognito or SES error (claim released) or :class:`EmailClaimHeld`.
    """
    pause = FIRST_PAUSE_S
    while True:
        token = uuid.uuid4().hex
        won, item = users.claim_welcome_email(user["user_id"], new_claim(token, _now()))
        if won:
            _send_claimed(users, user, token)
            return ClaimState.SENT
        state = claim_state(item, _now())
        if state not in (ClaimState.HELD, ClaimState.FREE):
            return state
        budget = seconds_left() - RESERVE_S
        if budget <= 0:
            raise EmailClaimHeld("the welcome email is claimed by another delivery")
        claim = (item or {}).get("welcome_email") or {}
        lease_left = (lease_end(claim) - _now()).total_seconds() if claim else 0.0
        logger.info("welcome email claimed by another delivery: waiting", extra={"state": state})
        time.sleep(max(0.0, min(pause, lease_left + 0.05, budget)))
        pause = min(pause * 2, MAX_PAUSE_S)


def _now() -> datetime:
    return datetime.now(UTC)


def _time_left(context: LambdaContext | None) -> Callable[[], float]:
    """Seconds this invocation has left (0 without a Lambda context: never wait)."""
    return lambda: seconds_left(context, 0.0)


def _reject(
    users: UsersTable, audit: AuditLog, user: dict[str, Any], fields: dict[str, Any], code: str
) -> None:
    """End the user ``failed`` / ``provisioning_rejected`` after a permanent refusal."""
    reason = FailureReason.PROVISIONING_REJECTED
    if change_status(users, audit, user, Status.FAILED, reason=reason, fields=fields):
        count_failure(reason)
    logger.info("provisioning rejected", extra={"error_code": code})


@tracer.capture_method
def provision_record(record: DynamoDBRecord, lambda_context: LambdaContext | None = None) -> None:
    """Send a requested already-registered notice (:mod:`onboarding.handlers.notice`), then
    provision the user if the record is its move to ``processing`` (a no-op otherwise)."""
    users = UsersTable()
    send_requested_notice(record, users)
    # Only the move from pending provisions: a later change of a processing user does not.
    user = user_in_status(record, Status.PROCESSING, previous=Status.PENDING)
    if user is not None:
        provision_user(user, lambda_context, users)


def provision_user(
    user: dict[str, Any],
    lambda_context: LambdaContext | None = None,
    users: UsersTable | None = None,
) -> None:
    """Provision a processing user, given its item (a stream image, or the table's item when
    the sweeper re-drives it): the same claim, so never a second email."""
    user_id = user["user_id"]
    spaces, users, audit = UserSpaces(), users or UsersTable(), AuditLog()
    spaces.ensure_prefix(user_id)
    try:
        with _EMAIL_STEP:
            email = _welcome_email(users, user, _time_left(lambda_context))
    except AccountRejected as rejection:
        # No pool user was created, so the sign-in gets a map of its own for the code.
        _reject(users, audit, user, {"sign_in": {"error": rejection.code}}, rejection.code)
        return
    except EmailRejected as rejection:
        _reject(users, audit, user, {"welcome_email.error": rejection.code}, rejection.code)
        return
    if email is ClaimState.SETTLED:
        logger.info("already settled by another delivery")
        return
    if email is ClaimState.UNCONFIRMED:
        reason = FailureReason.WELCOME_EMAIL_UNCONFIRMED
        if change_status(users, audit, user, Status.FAILED, reason=reason):
            count_failure(reason)
        logger.warning("welcome email unconfirmed: its claimant stopped before recording a send")
        return
    space = {
        "bucket": spaces.bucket,
        "prefix": user_prefix(user_id),
        "access": ACCESS,
        "user_pool": user_pool_id(),
    }
    completed_at = now_iso()
    fields = {"space": space, "completed_at": completed_at}
    lake = {"lake": lake_row(user, completed_at)}
    if change_status(users, audit, user, Status.COMPLETED, fields=fields, audit_details=lake):
        count(PROVISIONS)
    logger.info("provisioned")


handler = partial_batch_handler(provision_record, services=("dynamodb", "s3", "cognito-idp", "ses"))
"""Lambda entry point (``onboarding.handlers.provision.handler``); partial batch response."""
