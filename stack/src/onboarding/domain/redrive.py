"""The sweeper's rules (no AWS imports): which users are stuck, what each one needs next.

A user whose stream records expired (DynamoDB Streams keeps them 24 hours) or were
dead-lettered (the mapping gives up after ``MaximumRetryAttempts`` or
``MaximumRecordAgeInSeconds``) stays ``pending`` or ``processing`` with nothing left to move
it. While a user is in flight its item carries ``in_flight`` (its status); the attribute is
removed when it settles, so the ``InFlightIndex`` global secondary index holds only users in
flight (a sparse index: DynamoDB writes an item to an index only when it has the index's key
attributes). The sweeper queries that index for users created before a bound and re-drives
each from the table's own state through the step its status calls for, at most
``max_redrives`` times (counted on the item, ``redrives``); a user still in flight after that
ends ``failed`` with ``redrive_exhausted``.

Example::

    cutoff = stuck_cutoff(now, timedelta(minutes=10))        # users created before it
    next_step({"status": "pending", "redrives": 1}, 3)       # Step.ENRICH
    next_step({"status": "processing", "redrives": 3}, 3)    # Step.GIVE_UP
"""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from onboarding.domain.clock import iso
from onboarding.domain.status import IN_FLIGHT, Status

IN_FLIGHT_ATTRIBUTE = "in_flight"
"""Present (the status) only while the user is pending or processing: the index's key."""
IN_FLIGHT_SINCE = "created_at"
"""The index's sort key: the registration time, so a query can ask for users older than a bound."""
IN_FLIGHT_INDEX = "InFlightIndex"
REDRIVES_ATTRIBUTE = "redrives"
DEFAULT_STUCK_AFTER = timedelta(minutes=10)
"""A user in flight longer than this is stuck: the pipeline takes seconds, and a stream
batch's retries (3, backed off, each up to the 60 s function timeout) are over long before."""
DEFAULT_MAX_REDRIVES = 3


class Step(StrEnum):
    """What a stuck user needs from the sweeper."""

    ENRICH = "enrich"
    PROVISION = "provision"
    GIVE_UP = "give_up"
    NONE = "none"


def in_flight_marker(status: Status) -> str | None:
    """The ``in_flight`` value a user in ``status`` carries; None (removed) once settled.

    >>> in_flight_marker(Status.PROCESSING), in_flight_marker(Status.COMPLETED)
    ('processing', None)
    """
    return str(status) if status in IN_FLIGHT else None


def stuck_cutoff(now: datetime, stuck_after: timedelta) -> str:
    """Users created before this moment (``created_at``'s format) and still in flight are stuck.

    >>> from datetime import UTC
    >>> stuck_cutoff(datetime(2026, 1, 1, 0, 10, tzinfo=UTC), timedelta(minutes=10))
    '2026-01-01T00:00:00.000+00:00'
    """
    return iso(now - stuck_after)


def redrives(user: dict[str, Any]) -> int:
    """How often the sweeper has re-driven this user."""
    return int(user.get(REDRIVES_ATTRIBUTE) or 0)


def next_step(user: dict[str, Any] | None, max_redrives: int) -> Step:
    """The step a stuck user's current item calls for.

    >>> next_step({"status": "completed"}, 3), next_step({"status": "pending"}, 3)
    (<Step.NONE: 'none'>, <Step.ENRICH: 'enrich'>)
    """
    status = (user or {}).get("status")
    if status not in IN_FLIGHT:
        return Step.NONE
    if redrives(user or {}) >= max_redrives:
        return Step.GIVE_UP
    return Step.ENRICH if status == Status.PENDING else Step.PROVISION
