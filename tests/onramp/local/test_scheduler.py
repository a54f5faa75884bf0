"""The local EventBridge Scheduler's rules without a stack: rate expressions, context
attributes, the template's schedule, Lambda's asynchronous retries and dead-letter queue.

AWS: "Adding context attributes in EventBridge Scheduler" (``<aws.scheduler.scheduled-time>``
is e.g. ``2022-03-22T18:59:43Z``); Lambda's asynchronous invocation retries a function error
twice by default and then sends the event to the function's dead-letter queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from kernel.sam_template import DEFAULT_TEMPLATE, Resolver, functions, load_template
from onramp.local.scheduler import (
    LocalSchedule,
    LocalScheduler,
    ScheduleError,
    rate_seconds,
    render_input,
)


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(5 minutes)", 300), ("rate(1 minute)", 60), ("rate(2 hours)", 7200)],
)
def test_rate_expressions(expression, seconds):
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize(
    "expression", ["cron(0/5 * * * ? *)", "at(2026-12-01T10:00:00)", "rate(5)"]
)
def test_other_expressions_are_refused(expression):
    with pytest.raises(ScheduleError, match="only rate"):
        rate_seconds(expression)


def test_context_attributes_are_replaced_in_the_input():
    text = (
        '{"t": "<aws.scheduler.scheduled-time>", "id": "<aws.scheduler.execution-id>", '
        '"n": "<aws.scheduler.attempt-number>", "arn": "<aws.scheduler.schedule-arn>"}'
    )
    event = render_input(text, "arn:s", datetime(2022, 3, 22, 18, 59, 43, 500, tzinfo=UTC), 2)
    assert event["t"] == "2022-03-22T18:59:43Z"
    assert (event["n"], event["arn"]) == ("2", "arn:s")
    assert len(event["id"]) == 16
    assert render_input(None, "arn:s", datetime.now(UTC), 1) == {}


@dataclass
class FakeRuntime:
    """A function runtime whose invocations fail ``failures`` times, then succeed."""

    spec: Any
    failures: int = 0
    events: list[Any] = field(default_factory=list)

    def invoke(self, event: Any) -> Any:
        self.events.append(event)
        failed = len(self.events) <= self.failures
        return type("Invocation", (), {"failed": failed, "value": event})()


def sweeper_runtime(failures: int = 0) -> FakeRuntime:
    template = load_template(DEFAULT_TEMPLATE)
    [spec] = [s for s in functions(template) if s.key == "sweeper"]
    return FakeRuntime(spec, failures)


def test_the_templates_schedule_targets_the_sweeper_with_its_async_settings():
    template = load_template(DEFAULT_TEMPLATE)
    attributes = {"DeadLetterQueue.Arn": "arn:dlq"}
    resolver = Resolver(template, refs={}, attributes=attributes)
    scheduler = LocalScheduler.from_template(
        template, resolver, {"sweeper": sweeper_runtime()}, lambda *a: None
    )
    [schedule] = scheduler.schedules.values()
    assert (schedule.logical_id, schedule.function_key) == ("SweeperSchedule", "sweeper")
    assert schedule.interval_s == 300
    assert (schedule.retries, schedule.dead_letter_arn) == (0, "arn:dlq")


def test_a_failed_invocation_is_retried_then_dead_lettered():
    runtime = sweeper_runtime(failures=5)
    sent: list[tuple[str, Any]] = []
    schedule = LocalSchedule("S", "sweeper", 300, '{"a": 1}', "arn:s", 2, "arn:dlq")
    scheduler = LocalScheduler(  # the 1 and 2 minute waits of the retries made instant
        [schedule], {"sweeper": runtime}, lambda q, e: sent.append((q, e)), speedup=1e6
    )
    assert scheduler.trigger("S").failed
    assert len(runtime.events) == 3  # the first attempt and two retries
    assert sent == [("arn:dlq", {"a": 1})]
    runtime.failures = 3
    assert not scheduler.trigger("S").failed and len(sent) == 1
