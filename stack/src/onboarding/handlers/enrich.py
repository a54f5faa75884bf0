"""Enrich (DynamoDB stream: new pending users): normalise, allow-list, look up, then move the
user to ``processing`` or to ``failed`` with a reason.

Redelivery is harmless: audit entries are idempotent and the status update is conditional
on ``status = pending``. A lookup failure or timeout is recorded (``lookup.status = error``)
and does not fail the onboarding.
"""

from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from onboarding.adapters import config
from onboarding.adapters.audit import AuditLog
from onboarding.adapters.lookup import lookup_domain, provider_named
from onboarding.adapters.observability import count, count_failure, logger, tracer
from onboarding.adapters.transitions import change_status
from onboarding.adapters.users import UsersTable
from onboarding.domain.clock import now_iso
from onboarding.domain.enrichment import normalise_user
from onboarding.domain.metric_catalog import ENRICHMENTS
from onboarding.domain.status import FailureReason, Status
from onboarding.handlers.stream import partial_batch_handler, user_in_status


@tracer.capture_method
def enrich_record(record: DynamoDBRecord) -> None:
    """Enrich one pending user (a no-op for any other status)."""
    user = user_in_status(record, Status.PENDING)
    if user is not None:
        enrich_user(user)


def enrich_user(user: dict[str, Any]) -> None:
    """Enrich a pending user, given its item (a stream image, or the table's item when the
    sweeper re-drives it: :mod:`onboarding.handlers.sweeper`)."""
    users, audit = UsersTable(), AuditLog()
    created_at = user.get("created_at")
    audit.record(user["user_id"], Status.PENDING, user.get("correlation_id"), at=created_at)
    outcome = normalise_user(
        user.get("email"),
        user.get("name"),
        user.get("phone"),
        config.allowed_email_domains(),
        config.ses_simulator_allowed(),
    )
    if isinstance(outcome, FailureReason):
        if change_status(users, audit, user, Status.FAILED, reason=outcome):
            count_failure(outcome)
        logger.info("enrichment failed", extra={"reason": str(outcome)})
        return
    provider = provider_named(config.lookup_provider_name(), config.lookup_fake_mode())
    lookup = lookup_domain(provider, outcome.email_domain, config.lookup_timeout_s())
    fields = {**outcome.as_fields(), "lookup": lookup.as_item(), "enriched_at": now_iso()}
    if change_status(users, audit, user, Status.PROCESSING, fields=fields):
        count(ENRICHMENTS)
    logger.info("enriched", extra={"lookup_status": lookup.status, "lookup_reason": lookup.reason})


handler = partial_batch_handler(enrich_record, services=("dynamodb",))
"""Lambda entry point (``onboarding.handlers.enrich.handler``); partial batch response."""
