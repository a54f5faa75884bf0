"""The demo's verdict: each broken invariant is named, a clean run has none."""

from onboarding.adapters import mailer

from onramp.verify import NOTICE_SUBJECT, WELCOME_SUBJECT, verify_run


def user(uid: str, status: str, reason: str | None = None) -> dict:
    item = {"user_id": uid, "status": status, "email": f"{uid}@example.com"}
    if reason:
        item["failure_reason"] = reason
    return item


def email(uid: str, subject: str = WELCOME_SUBJECT) -> dict:
    return {"to": [f"{uid}@example.com"], "subject": subject}


def test_the_subjects_are_the_lambda_codes() -> None:
    """The verdict tells the two emails apart by the subjects the Lambda code sends."""
    assert (WELCOME_SUBJECT, NOTICE_SUBJECT) == (mailer.WELCOME_SUBJECT, mailer.NOTICE_SUBJECT)


def test_one_notice_to_a_registered_address_is_fine_and_not_a_welcome() -> None:
    users = [user("a", "completed")]
    verdict = verify_run(["a"], users, [email("a"), email("a", NOTICE_SUBJECT)], [])
    assert verdict.ok, verdict.problems
    assert (verdict.emails, verdict.notices) == (1, 1)


def test_notices_twice_or_to_strangers_and_unknown_emails_are_named() -> None:
    users = [user("a", "completed")]
    emails = [
        email("a"),
        email("a", NOTICE_SUBJECT),
        email("a", NOTICE_SUBJECT),
        email("stranger", NOTICE_SUBJECT),
        email("a", "Your account is locked"),
    ]
    text = "\n".join(verify_run(["a"], users, emails, []).problems)
    assert "got more than one notice in a run: a@example.com" in text
    assert "got an already-registered notice unregistered: stranger@example.com" in text
    assert "neither welcome nor notice: 'Your account is locked'" in text


def test_clean_run_has_no_problem() -> None:
    users = [user("a", "completed"), user("b", "failed", "invalid_phone")]
    verdict = verify_run(["a", "b"], users, [email("a")], [])
    assert verdict.ok
    assert (verdict.accepted, verdict.completed, verdict.failed, verdict.emails) == (2, 1, 1, 1)


def test_every_broken_invariant_is_named() -> None:
    users = [
        user("stuck", "processing"),
        user("noreason", "failed"),
        user("twice", "completed"),
        user("silent", "completed"),
        user("other", "failed", "domain_not_allowed"),
    ]
    emails = [email("twice"), email("twice"), email("other")]
    verdict = verify_run(
        ["lost", "stuck", "noreason", "twice", "silent", "other"], users, emails, [{"x": 1}]
    )
    text = "\n".join(verdict.problems)
    assert not verdict.ok
    assert "1 registrations accepted but not in the Users table (lost): lost" in text
    assert "still pending or processing after the drain (lost): stuck" in text
    assert "failed without a failure_reason: noreason" in text
    assert "completed without a welcome email: silent" in text
    assert "more than one welcome email: twice@example.com" in text
    assert "emailed without a completed onboarding: other@example.com" in text
    assert "1 failure records in the dead-letter queue" in text
