"""Fault scenarios on the real pipeline: run registrations under a fault plan, then check
the guarantees (docs/faults.md): every user completed, failed with a reason, or dead-lettered
with its batch; never two spaces, pool users or emails for one user."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from onramp.local.aws import server
from onramp.local.faults.plan import FaultPlan
from onramp.local.registrations import seed_users
from onramp.local.stack import EmbeddedStack
from onramp.verify import WELCOME_SUBJECT

DRAIN_TIMEOUT_S = 180
"""Generous: under a loaded CI machine a race scenario with lease waits and retries is slow."""


@dataclass
class Outcome:
    """What a scenario left behind, read from the stack before it stopped."""

    accepted: int
    users: list[dict[str, Any]]
    emails: Counter[str]
    spaces: Counter[str]
    pool_users: Counter[str]
    dead_letters: list[dict[str, Any]]
    fault_stats: dict[str, dict[str, Any]]
    invocation_errors: dict[str, Any]

    def by_status(self) -> Counter[str]:
        """Users per status."""
        return Counter(u["status"] for u in self.users)


def aws_client(stack: EmbeddedStack, service: str) -> Any:
    """A boto3 client on the stack's moto server (fake credentials, loopback)."""
    return server.aws_client(stack.endpoint_url, service)


def user_spaces(stack: EmbeddedStack) -> Counter[str]:
    """Prefix markers per user id (``users/<id>/.keep`` objects in the spaces bucket)."""
    s3 = aws_client(stack, "s3")
    bucket = stack.resources.bucket_names["UserSpacesBucket"]
    keys = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="users/")
        for obj in page.get("Contents", [])
    ]
    return Counter(key.split("/")[1] for key in keys if key.endswith("/.keep"))


def pool_users(stack: EmbeddedStack) -> Counter[str]:
    """Users of the functions' ``USER_POOL_ID`` pool, counted by their ``custom:user_id``."""
    pool = stack.runtimes["provision"].environment["USER_POOL_ID"]
    idp = aws_client(stack, "cognito-idp")
    ids = [
        attribute["Value"]
        for page in idp.get_paginator("list_users").paginate(UserPoolId=pool)
        for user in page["Users"]
        for attribute in user["Attributes"]
        if attribute["Name"] == "custom:user_id"
    ]
    return Counter(ids)


def snapshot(stack: EmbeddedStack, accepted: int) -> Outcome:
    """Read everything the guarantees are about."""
    return Outcome(
        accepted=accepted,
        users=stack.users(),
        emails=Counter(  # welcome emails: a notice to a registered address is not one
            a
            for mail in stack.sent_emails()
            if mail["subject"] == WELCOME_SUBJECT
            for a in mail["to"]
        ),
        spaces=user_spaces(stack),
        pool_users=pool_users(stack),
        dead_letters=stack.dead_letters(),
        fault_stats=stack.faults.stats(),
        invocation_errors=stack.recorder.counters()["errors"],
    )


@contextmanager
def faulty_stack(
    faults: Sequence[str], registrations: int, seed: int = 11, **parameters: str
) -> Iterator[tuple[EmbeddedStack, int]]:
    """The real stack under ``faults``, with ``registrations`` valid users sent and drained."""
    plan = FaultPlan.parse(faults, seed=seed)
    with EmbeddedStack(parameters=parameters, faults=plan) as stack:
        statuses = seed_users(stack.api_url, registrations, seed=seed, mixed=False)
        assert stack.wait_until_drained(timeout=DRAIN_TIMEOUT_S), stack.status()
        yield stack, statuses[202]


def run_scenario(faults: Sequence[str], registrations: int = 12, **parameters: str) -> Outcome:
    """Run a scenario to the end and return what it left."""
    with faulty_stack(faults, registrations, **parameters) as (stack, accepted):
        return snapshot(stack, accepted)


def assert_guarantees(outcome: Outcome, allow_dead_letters: bool = False) -> None:
    """The pipeline's promises under any fault."""
    assert len(outcome.users) == outcome.accepted > 0
    statuses = outcome.by_status()
    for user in outcome.users:
        if user["status"] == "failed":
            assert user.get("failure_reason"), user
        elif user["status"] != "completed":
            assert allow_dead_letters and outcome.dead_letters, (user, statuses)
    if not allow_dead_letters:
        assert outcome.dead_letters == []
    assert max(outcome.emails.values(), default=0) <= 1, outcome.emails
    assert max(outcome.spaces.values(), default=0) <= 1, outcome.spaces
    assert max(outcome.pool_users.values(), default=0) <= 1, outcome.pool_users
    completed = [u for u in outcome.users if u["status"] == "completed"]
    for user in completed:
        assert outcome.spaces[user["user_id"]] == 1
        assert outcome.pool_users[user["user_id"]] == 1
        assert outcome.emails[user["email"]] == 1, user
