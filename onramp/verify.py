"""After a drained run: did every accepted registration end well, and was nothing sent twice?

The invariants of the pipeline, checked against what the stores hold (not what the code
meant to do): every accepted user id is in the Users table, ended ``completed`` or
``failed`` with a reason; exactly one welcome email per completed user and none to anyone
else; already-registered notices (the answer to a registration of a registered address)
only to registered addresses and at most one each (a run is shorter than the notice's
24-hour interval); no other email; nothing in the dead-letter queue. Emails are told apart
by their fixed subjects (stack/src/onboarding/adapters/mailer.py; a test pins them equal).

Example::

    verdict = verify_run(result.accepted_ids(), stack.users(), stack.sent_emails(),
                         stack.dead_letters())
    if not verdict.ok:
        print("\\n".join(verdict.problems))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FINAL_STATUSES = ("completed", "failed")
WELCOME_SUBJECT = "Welcome aboard"
NOTICE_SUBJECT = "Your sign-up request"
SHOWN = 5
"""How many example ids a problem line names."""


@dataclass(frozen=True)
class Verification:
    """The verdict: counts by outcome and one line per broken invariant."""

    accepted: int
    completed: int
    failed: int
    emails: int
    dead_letters: int
    notices: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no invariant is broken."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """The verdict as plain JSON values."""
        return {
            "ok": self.ok,
            "accepted": self.accepted,
            "completed": self.completed,
            "failed": self.failed,
            "emails": self.emails,
            "notices": self.notices,
            "dead_letters": self.dead_letters,
            "problems": list(self.problems),
        }


def verify_run(
    accepted_ids: Iterable[str],
    users: Iterable[Mapping[str, Any]],
    emails: Iterable[Mapping[str, Any]],
    dead_letters: Iterable[Any],
) -> Verification:
    """Check the pipeline's invariants for the accepted ids; see the module docstring."""
    accepted = set(accepted_ids)
    by_id = {str(u["user_id"]): u for u in users if "user_id" in u}
    problems: list[str] = []

    missing = sorted(accepted - by_id.keys())
    _problem(problems, missing, "accepted but not in the Users table (lost)")
    mine = [by_id[i] for i in accepted if i in by_id]
    stuck = sorted(str(u["user_id"]) for u in mine if u.get("status") not in FINAL_STATUSES)
    _problem(problems, stuck, "still pending or processing after the drain (lost)")
    failed = [u for u in mine if u.get("status") == "failed"]
    no_reason = sorted(str(u["user_id"]) for u in failed if not u.get("failure_reason"))
    _problem(problems, no_reason, "failed without a failure_reason")

    by_subject: dict[str, Counter[str]] = {}
    for email in emails:
        addresses = by_subject.setdefault(str(email.get("subject", "")), Counter())
        addresses.update(address.lower() for address in email.get("to", []))
    sent = by_subject.pop(WELCOME_SUBJECT, Counter())
    notices = by_subject.pop(NOTICE_SUBJECT, Counter())
    completed = [u for u in mine if u.get("status") == "completed"]
    completed_addresses = {_address(u) for u in completed}
    no_email = sorted(str(u["user_id"]) for u in completed if sent[_address(u)] == 0)
    _problem(problems, no_email, "completed without a welcome email")
    twice = sorted(a for a, n in sent.items() if n > 1)
    _problem(problems, twice, "received more than one welcome email", noun="addresses")
    stray = sorted(a for a in sent if a not in completed_addresses)
    _problem(problems, stray, "were emailed without a completed onboarding", noun="addresses")
    registered = {_address(u) for u in by_id.values()}
    unknown = sorted(a for a in notices if a not in registered)
    _problem(problems, unknown, "got an already-registered notice unregistered", noun="addresses")
    noticed_twice = sorted(a for a, n in notices.items() if n > 1)
    _problem(problems, noticed_twice, "got more than one notice in a run", noun="addresses")
    other = sorted(f"{subject!r}" for subject in by_subject)
    _problem(problems, other, "were sent, neither welcome nor notice", noun="email subjects")

    letters = list(dead_letters)
    if letters:
        problems.append(f"{len(letters)} failure records in the dead-letter queue")
    return Verification(
        accepted=len(accepted),
        completed=len(completed),
        failed=len(failed),
        emails=sum(sent.values()),
        notices=sum(notices.values()),
        dead_letters=len(letters),
        problems=problems,
    )


def _address(user: Mapping[str, Any]) -> str:
    return str(user.get("email", "")).lower()


def _problem(problems: list[str], ids: list[str], what: str, noun: str = "registrations") -> None:
    if ids:
        shown = ", ".join(ids[:SHOWN]) + (", ..." if len(ids) > SHOWN else "")
        problems.append(f"{len(ids)} {noun} {what}: {shown}")
