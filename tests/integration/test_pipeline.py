"""The real pipeline (stack/template.yaml + stack/src handlers) on the embedded runtime."""

import json
import time
from collections import Counter

import pytest

from costmodel.measurement import validation_errors
from loadtest.payloads import DEFAULT_MIX_TEXT, PayloadFactory, parse_mix
from onramp.local.registrations import post_registration
from onramp.local.stack import EmbeddedStack
from onramp.verify import NOTICE_SUBJECT, WELCOME_SUBJECT

pytestmark = pytest.mark.integration

REGISTRATIONS = 100


@pytest.fixture(scope="module")
def run():
    """100 registrations (the load tests' mix of good and bad requests) over real HTTP."""
    factory = PayloadFactory(parse_mix(DEFAULT_MIX_TEXT), seed=3)
    with EmbeddedStack() as stack:
        statuses, duplicates = Counter(), 0
        for _ in range(REGISTRATIONS):
            payload = factory.next()
            status = post_registration(stack.api_url, payload.body)
            if status == 202:
                factory.remember_accepted(payload)
            statuses[status] += 1
            duplicates += status == 202 and payload.kind == "duplicate"
        assert stack.wait_until_drained(timeout=60)
        yield stack, statuses, duplicates


def test_every_accepted_user_completes_or_fails_with_a_reason(run):
    stack, statuses, duplicates = run
    users = stack.users()
    # a duplicate gets a new address's 202 (enumeration-safe) and creates no user
    assert statuses[202] - duplicates == len(users) > 0
    assert duplicates > 0
    for user in users:
        assert user["status"] in ("completed", "failed"), user
        if user["status"] == "failed":
            assert user.get("failure_reason")


def test_exactly_one_welcome_email_per_completed_user(run):
    stack, _, _ = run
    completed = Counter(u["email"] for u in stack.users() if u["status"] == "completed")
    sent = stack.sent_emails()
    welcome = Counter(a for m in sent if m["subject"] == WELCOME_SUBJECT for a in m["to"])
    assert welcome == completed
    notices = Counter(a for m in sent if m["subject"] == NOTICE_SUBJECT for a in m["to"])
    noticed = {u["email"] for u in stack.users() if "notice" in u}
    assert set(notices) == noticed and set(notices.values()) <= {1}  # one each, registered only
    assert len(sent) == sum(welcome.values()) + sum(notices.values())


def test_dead_letter_queue_is_empty(run):
    stack, _, _ = run
    assert stack.dead_letters() == []
    assert stack.status()["dead_letter_messages"] == 0


def test_settled_stream_records_are_freed(run):
    stack, _, _ = run
    deadline = time.monotonic() + 10  # the pumps' next reads trim what they last settled
    while True:
        retained = [p["stream_records_retained"] for p in stack.status()["pumps"].values()]
        if not any(retained) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert retained == [0] * len(retained)
    stored = stack.stored_data()
    assert stored["dynamodb items"] > 0 and stored["s3 objects"] > 0 and stored["ses messages"] > 0
    assert stored["dynamodb stream records"] < stored["dynamodb items"] / 10  # slots, no images


def test_invocations_match_what_the_filters_let_through(run):
    stack, _, _ = run
    counters = stack.recorder.counters()
    assert counters["invocations"]["register"] == REGISTRATIONS
    assert counters["errors"] == {}
    pumps = {p.source.function_logical_id: p for p in stack.pumps}
    users = stack.users()
    assert pumps["EnrichFunction"].records_seen - pumps["EnrichFunction"].records_filtered == len(
        users
    )
    delivered_to_provision = (
        pumps["ProvisionFunction"].records_seen - pumps["ProvisionFunction"].records_filtered
    )
    # each move to processing, and each notice request: its own record, plus the later changes
    # of that user until the notice is claimed (at most the four of the onboarding)
    noticed = sum(1 for u in users if "notice" in u)
    completed = sum(1 for u in users if u["status"] == "completed")
    assert completed + noticed <= delivered_to_provision <= completed + 5 * noticed


def test_measurement_is_valid_and_counts_the_run(run):
    stack, statuses, duplicates = run
    measurement = stack.measurement("pipeline-test")
    assert validation_errors(json.loads(measurement.to_json())) == []
    onboardings = measurement.onboardings
    assert onboardings.accepted == statuses[202] - duplicates
    assert onboardings.rejected == sum(n for s, n in statuses.items() if 400 <= s < 500)
    assert onboardings.lost == 0
    noticed = sum(1 for u in stack.users() if "notice" in u)
    assert measurement.ses.recipients == onboardings.completed + noticed
    assert measurement.cognito.users_created == onboardings.completed
    users = measurement.dynamodb["users"]
    assert users.write_request_units >= 3 * onboardings.completed
    assert measurement.functions["register"].invocations == REGISTRATIONS
