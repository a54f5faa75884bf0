"""Sweeper (EventBridge Scheduler, every few minutes): find users stuck in flight, re-drive them.

The stream functions move a user only when a stream record reaches them; a user whose
records expired or were dead-lettered stays ``pending`` or ``processing``. Each sweep queries
the sparse ``InFlightIndex`` for users created before the bound (``STUCK_AFTER_SECONDS``),
emits their number (``StuckUsers``, 0 included: the stuck-users alarm watches it), and for
each one reads the item (strongly consistent: the index is not) and does what its status
calls for (:func:`onboarding.domain.redrive.next_step`): enrich a pending user, provision a
processing one, through the stream handlers' own code (:func:`enrich_user`,
:func:`provision_user`: conditional writes and the welcome-email claim, so a sweep racing a
stream retry never sends a second email). Each re-drive is counted on the item first
(``redrives``, conditional: two sweeps never both count); a user still in flight after
``MAX_REDRIVES`` ends ``failed`` with ``redrive_exhausted``. A sweep stops starting re-drives
when :data:`MAX_REDRIVES_PER_SWEEP` were started or less than :data:`RESERVE_S` of the
invocation is left: the next sweep takes the rest.
"""

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from onboarding.adapters import config
from onboarding.adapters.audit import AuditLog
from onboarding.adapters.observability import bind_user, count_failure, gauge, instrumented, logger
from onboarding.adapters.transitions import change_status
from onboarding.adapters.users import UsersTable
from onboarding.domain.clock import now_iso
from onboarding.domain.metric_catalog import STUCK_USERS
from onboarding.domain.redrive import Step, next_step, stuck_cutoff
from onboarding.domain.status import IN_FLIGHT, FailureReason, Status
from onboarding.handlers.enrich import enrich_user
from onboarding.handlers.provision import provision_user
from onboarding.handlers.stream import seconds_left

MAX_REDRIVES_PER_SWEEP = 50
RESERVE_S = 30.0
"""Invocation time kept back: a provision re-drive may wait up to its email claim's lease."""


def sweep_user(
    users: UsersTable, user_id: str, max_redrives: int, context: LambdaContext | None
) -> str:
    """Re-drive one stuck user; the outcome (``settled``, ``moved``, ``redriven``, ``error``,
    ``failed``)."""
    user = users.get(user_id)
    step = next_step(user, max_redrives)
    if user is None or step is Step.NONE:
        return "settled"  # the index lags the table: it settled since the query
    bind_user(user)
    status = Status(user["status"])
    if step is Step.GIVE_UP:
        reason = FailureReason.REDRIVE_EXHAUSTED
        if not change_status(users, AuditLog(), user, Status.FAILED, reason=reason):
            return "moved"
        count_failure(reason)
        logger.warning("still in flight after every re-drive: failed", extra={"status": status})
        return "failed"
    attempt = users.count_redrive(user_id, status, max_redrives, now_iso())
    if attempt is None:
        return "moved"  # another sweep or a stream delivery changed it first
    logger.info("re-driving a stuck user", extra={"status": status, "redrive": attempt})
    try:
        if step is Step.ENRICH:
            enrich_user(user)
        else:
            provision_user(user, context)
    except Exception:  # the next sweep tries again, up to max_redrives
        logger.exception("re-drive failed")
        return "error"
    return "redriven"


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (``onboarding.handlers.sweeper.handler``): one sweep; its counts."""
    users, max_redrives = UsersTable(), config.max_redrives()
    cutoff = stuck_cutoff(datetime.now(UTC), config.stuck_after())
    stuck = [uid for status in sorted(IN_FLIGHT) for uid in users.in_flight_before(status, cutoff)]
    gauge(STUCK_USERS, len(stuck))
    outcomes: Counter[str] = Counter()
    for started, user_id in enumerate(stuck):
        if started >= MAX_REDRIVES_PER_SWEEP or seconds_left(context, float("inf")) < RESERVE_S:
            outcomes["deferred"] = len(stuck) - started  # the next sweep takes the rest
            break
        outcomes[sweep_user(users, user_id, max_redrives, context)] += 1
    logger.thread_safe_clear_keys()
    logger.info(
        "swept",
        extra={"stuck": len(stuck), "scheduled_time": event.get("scheduled_time"), **outcomes},
    )
    return {"stuck": len(stuck), **outcomes}
