"""EventBridge Scheduler for the embedded stack: each enabled rate schedule of the template
invokes its target function through the Lambda runtime at the schedule's rate.

What is modelled, from AWS's text:

- ``rate(N minutes|hours|days)`` with ``FlexibleTimeWindow`` OFF: one invocation every
  interval (the first one interval after start; cron and one-time schedules are refused);
- the target's ``Input`` with Scheduler's context attributes replaced at each invocation
  (``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>`` such as
  ``2022-03-22T18:59:43Z``, ``<aws.scheduler.execution-id>``, ``<aws.scheduler.attempt-number>``:
  "Adding context attributes in EventBridge Scheduler");
- Scheduler invokes a Lambda target asynchronously, so what follows a function error is
  Lambda's asynchronous invocation: ``EventInvokeConfig.MaximumRetryAttempts`` retries
  (default 2, a minute before the first and two before the second), then the event goes to
  the function's ``DeadLetterQueue`` (Lambda's dead-letter queue for asynchronous events).

Not modelled: Scheduler's own ``RetryPolicy`` and ``DeadLetterConfig`` apply when it cannot
deliver the invocation at all (throttled, missing permission), which a local runtime never
meets. ``speedup`` divides every interval and delay (tests); :meth:`LocalScheduler.trigger`
runs a schedule now and returns the invocation.

Example::

    scheduler = LocalScheduler.from_template(template, resolver, runtimes, send_dead_letter)
    scheduler.start(); scheduler.trigger("SweeperSchedule").value; scheduler.stop()
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kernel.sam_template import Resolver, resources_of_type
from onramp.local.aws.server import ACCOUNT_ID, REGION
from onramp.local.runtime.invoker import FunctionRuntime, Invocation

RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
ASYNC_RETRIES_DEFAULT = 2
ASYNC_RETRY_DELAYS_S = (60.0, 120.0)
"""Lambda's asynchronous invocation: "waits one minute before the first retry and two
minutes before the second" (Lambda developer guide, asynchronous invocation)."""


class ScheduleError(ValueError):
    """A schedule of the template the embedded scheduler cannot run."""


def rate_seconds(expression: str) -> float:
    """``rate(5 minutes)`` -> 300.0; anything else raises :class:`ScheduleError`.

    >>> rate_seconds("rate(1 hour)")
    3600.0
    """
    match = RATE.match(expression.strip())
    if match is None:
        raise ScheduleError(f"schedule expression {expression!r}: only rate() runs locally")
    return float(int(match.group(1)) * UNIT_SECONDS[match.group(2).removesuffix("s")])


def render_input(text: str | None, schedule_arn: str, scheduled: datetime, attempt: int) -> Any:
    """The target's Input with the context attributes replaced (no Input: ``{}``)."""
    values = {
        "schedule-arn": schedule_arn,
        "scheduled-time": scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "execution-id": uuid.uuid4().hex[:16],
        "attempt-number": str(attempt),
    }
    rendered = text or "{}"
    for name, value in values.items():
        rendered = rendered.replace(f"<aws.scheduler.{name}>", value)
    return json.loads(rendered)


@dataclass(frozen=True)
class LocalSchedule:
    """One enabled rate schedule and the function it invokes."""

    logical_id: str
    function_key: str
    interval_s: float
    input: str | None
    arn: str
    retries: int = ASYNC_RETRIES_DEFAULT
    """The function's EventInvokeConfig.MaximumRetryAttempts."""
    dead_letter_arn: str | None = None
    """The function's DeadLetterQueue (asynchronous events that failed every attempt)."""


class LocalScheduler:
    """Runs the schedules on one thread; ``send_dead_letter(queue_arn, event)`` receives the
    events of invocations that failed every asynchronous attempt."""

    def __init__(
        self,
        schedules: list[LocalSchedule],
        runtimes: Mapping[str, FunctionRuntime],
        send_dead_letter: Callable[[str, dict[str, Any]], None],
        speedup: float = 1.0,
    ) -> None:
        self.schedules = {s.logical_id: s for s in schedules}
        self._runtimes = runtimes
        self._send_dead_letter = send_dead_letter
        self._speedup = speedup
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="onramp-scheduler", daemon=True)
        self.invocations: list[Invocation] = []
        self._lock = threading.Lock()

    @classmethod
    def from_template(
        cls,
        template: Mapping[str, Any],
        resolver: Resolver,
        runtimes: Mapping[str, FunctionRuntime],
        send_dead_letter: Callable[[str, dict[str, Any]], None],
        speedup: float = 1.0,
    ) -> LocalScheduler:
        """Every enabled ``AWS::Scheduler::Schedule`` whose target is a function running here."""
        by_logical_id = {runtime.spec.logical_id: key for key, runtime in runtimes.items()}
        schedules = []
        for logical_id, resource in resources_of_type(template, "AWS::Scheduler::Schedule").items():
            if "Condition" in resource and not resolver.condition(resource["Condition"]):
                continue
            props = resource["Properties"]
            target = props["Target"]["Arn"]
            function = target.get("Fn::GetAtt", [None])[0] if isinstance(target, dict) else None
            if resolver.resolve(props.get("State", "ENABLED")) != "ENABLED":
                continue
            if function not in by_logical_id:
                raise ScheduleError(f"{logical_id}: its target is not a function of the template")
            function_props = runtimes[by_logical_id[function]].spec.properties
            invoke_config = resolver.resolve(function_props.get("EventInvokeConfig") or {})
            dead_letter = resolver.resolve(function_props.get("DeadLetterQueue") or {})
            schedules.append(
                LocalSchedule(
                    logical_id=logical_id,
                    function_key=by_logical_id[function],
                    interval_s=rate_seconds(str(props["ScheduleExpression"])),
                    input=resolver.resolve(props["Target"].get("Input")),
                    arn=f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{logical_id}",
                    retries=int(invoke_config.get("MaximumRetryAttempts", ASYNC_RETRIES_DEFAULT)),
                    dead_letter_arn=dead_letter.get("TargetArn"),
                )
            )
        return cls(schedules, runtimes, send_dead_letter, speedup)

    def start(self) -> None:
        """Begin running the schedules (nothing to do without one)."""
        if self.schedules:
            self._thread.start()

    def stop(self, wait: bool = True) -> None:
        """Stop; an invocation under way finishes first (``wait``) or is left to the runtime
        closing its worker."""
        self._stop.set()
        if wait and self._thread.is_alive():
            self._thread.join()

    def trigger(self, logical_id: str) -> Invocation:
        """Run that schedule now (as at its next time); the last attempt's invocation."""
        return self._fire(self.schedules[logical_id], datetime.now(UTC))

    def _run(self) -> None:
        started = time.monotonic()
        due = {
            s.logical_id: started + s.interval_s / self._speedup for s in self.schedules.values()
        }
        while not self._stop.is_set():
            logical_id = min(due, key=due.__getitem__)
            if self._stop.wait(max(0.0, due[logical_id] - time.monotonic())):
                return
            schedule = self.schedules[logical_id]
            due[logical_id] += schedule.interval_s / self._speedup
            try:
                self._fire(schedule, datetime.now(UTC))
            except RuntimeError:
                if self._stop.is_set():
                    return  # stopped at once: the runtime closed under the invocation
                raise

    def _fire(self, schedule: LocalSchedule, scheduled: datetime) -> Invocation:
        runtime = self._runtimes[schedule.function_key]
        event = render_input(schedule.input, schedule.arn, scheduled, attempt=1)
        invocation = runtime.invoke(event)
        for attempt in range(min(schedule.retries, len(ASYNC_RETRY_DELAYS_S))):
            if not invocation.failed or self._stop.wait(
                ASYNC_RETRY_DELAYS_S[attempt] / self._speedup
            ):
                break
            invocation = runtime.invoke(event)
        with self._lock:
            self.invocations.append(invocation)
        if invocation.failed and schedule.dead_letter_arn is not None:
            self._send_dead_letter(str(schedule.dead_letter_arn), event)
        return invocation
