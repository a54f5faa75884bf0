"""The demo's verdict: each broken invariant is named, a clean run has none."""

from onramp.verify import verify_run


def user(uid: str, status: str, reason: str | None = None) -> dict:
    item = {"user_id": uid, "status": status, "email": f"{uid}@example.com"}
    if reason:
        item["failure_reason"] = reason
    return item


def email(uid: str) -> dict:
    return {"to": [f"{uid}@example.com"], "subject": "Welcome"}


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
