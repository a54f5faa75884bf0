"""A register worker killed after it stored the user: the client's retry learns the truth.

Before: the crash answered 500, the client's retry got 409 "already registered": an
honest client saw two errors for one successful sign-up. Now the retry of the same
registration gets 202 with the same user id, and the user is onboarded once. Another
registration of the address gets that same answer (the API never tells a registered address
apart: docs/security.md); its mailbox gets the already-registered notice instead.
"""

import json
import urllib.error
import urllib.request

import pytest
from fault_scenarios import assert_guarantees, snapshot

from onramp.local.faults.plan import FaultPlan
from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration

BODY = {"email": "lost.reply@example.com", "name": "Ada Lovelace", "phone": "+442071838750"}


def _post(url, body):
    request = urllib.request.Request(
        url + "/register", json.dumps(body).encode(), {"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_retry_after_a_crash_past_the_write_is_202_with_the_same_user():
    plan = FaultPlan.parse(["crash:service=dynamodb,operation=PutItem,function=register"])
    with EmbeddedStack(faults=plan) as stack:
        assert _post(stack.api_url, BODY) == (500, {"message": "Internal Server Error"})
        status, body = _post(stack.api_url, BODY)
        assert (status, body["status"]) == (202, "pending")
        assert _post(stack.api_url, {**BODY, "name": "Someone Else"}) == (202, body)
        assert stack.wait_until_drained(timeout=60)
        outcome = snapshot(stack, accepted=1)
    assert [u["user_id"] for u in outcome.users] == [body["user_id"]]
    assert outcome.users[0]["status"] == "completed"
    assert_guarantees(outcome)
