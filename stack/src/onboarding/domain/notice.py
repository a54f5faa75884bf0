"""The "this address is already registered" notice, as rules (no AWS imports).

``POST /register`` answers a registered address exactly as a new one (OWASP's guidance on
account enumeration: same status, same body); the mailbox owner learns the rest by email.
Register records the request on the user item, ``notice = {requested_at, until}``, on the
condition that no notice was requested in the last :data:`NOTICE_INTERVAL`: so an address
gets at most one notice a day however often, and from however many clients, it is
registered again. The provision function sends it from the table's stream (a second filter
of its event source): it claims the notice with its token (``notice.token``) before sending,
records ``message_id`` and ``sent_at``, or releases the claim after a transient SES error.
A claim is never re-sent once taken: at most one notice per request.

The notice carries no caller text at all (no name, no phone, no link): only the fact, and
what to do about it.
"""

from datetime import datetime, timedelta

from onboarding.domain.clock import iso

NOTICE_INTERVAL = timedelta(hours=24)
"""At most one notice per address in this interval: 31 a month at the very most."""


def notice_request(now: datetime) -> dict[str, str]:
    """The ``notice`` map register writes: when it was asked for, and until when no other.

    >>> from datetime import UTC
    >>> notice_request(datetime(2026, 1, 1, tzinfo=UTC))["until"]
    '2026-01-02T00:00:00.000+00:00'
    """
    return {"requested_at": iso(now), "until": iso(now + NOTICE_INTERVAL)}
