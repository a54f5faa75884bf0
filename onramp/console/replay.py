"""The console's dead-letter queue: what each message names, the replay, a user's dead letters.

The replay is ``onramp replay-dlq``'s own code (``onramp.replay_dlq``) run in the runtime:
the same targets the command builds from ``GET /_onramp/runtime`` (the stack's SQS, stream
and table on its moto server; invocations through ``admin.invoke``, the path of
``POST /_onramp/invoke/<function>``). The listing is its dry run of each queued message,
read in place (nothing received or hidden, so a replay from a terminal meanwhile sees every
message): the batch, the users it would re-drive and those that moved on.

Example::

    dead_letter_report(stack)   # {"messages": [{"function": "enrich", "users": [...]}, ...]}
    replay(stack)               # {"settled": 1, "kept": 0, "messages": [...]}
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from onramp.local.api import admin
from onramp.local.aws.server import aws_client
from onramp.local.metering.traces import Touch
from onramp.replay_dlq import (
    MessageReport,
    ReplayTarget,
    local_targets,
    replay_dead_letters,
    replay_message,
)

if TYPE_CHECKING:
    from onramp.local.stack import EmbeddedStack

_lock = threading.Lock()


def dead_letter_report(stack: EmbeddedStack) -> dict[str, Any]:
    """Every dead-letter message with the users it names (a dry run: nothing changes)."""
    reading = targets(stack, metered=False)
    if not reading:
        return {"messages": []}
    reports = [
        replay_message(reading[0], json.dumps(body), dry_run=True) for body in stack.dead_letters()
    ]
    functions = _function_keys(stack)
    return {"messages": [_report(functions, r) for r in reports]}


def replay(stack: EmbeddedStack) -> dict[str, Any]:
    """Replay every dead-letter message once, as ``onramp replay-dlq`` does."""
    with _lock:  # two clicks: the second waits, then finds what the first left
        reports = [r for t in targets(stack, metered=True) for r in replay_dead_letters(t)]
    settled, functions = sum(r.done for r in reports), _function_keys(stack)
    return {
        "settled": settled,
        "kept": len(reports) - settled,
        "messages": [_report(functions, r) for r in reports],
    }


def targets(stack: EmbeddedStack, metered: bool) -> list[ReplayTarget]:
    """One replay target per OnFailure queue of the stack (``metered``: its calls are metered
    AWS traffic, as the command's are; the listing's are not)."""

    def client(service: str) -> Any:
        return aws_client(stack.endpoint_url, service) if metered else stack.client(service)

    def invoke(key: str, event: dict[str, Any]) -> dict[str, Any]:
        return admin.invoke(stack, key, event)

    return local_targets(admin.runtime_description(stack), client, invoke)


def dead_letters_of(stack: EmbeddedStack, touches: Sequence[Touch]) -> list[dict[str, Any]]:
    """The queued dead letters whose batch held one of these touches' stream records."""
    functions = _function_keys(stack)
    found = []
    for body in stack.dead_letters():
        info = body.get("DDBStreamBatchInfo", {})
        context = body.get("requestContext", {})
        function = functions.get(context.get("functionArn", ""), "")
        first, last = int(info.get("startSequenceNumber", 0)), int(info.get("endSequenceNumber", 0))
        if any(
            t.function == function and t.sequence_number and first <= int(t.sequence_number) <= last
            for t in touches
        ):
            found.append(
                {
                    "function": function,
                    "shard": info.get("shardId"),
                    "first": str(first),
                    "last": str(last),
                    "condition": context.get("condition"),
                    "invocations": context.get("approximateInvokeCount"),
                    "at": body.get("timestamp"),
                    "failure_record": json.loads(json.dumps(body)),
                }
            )
    return found


def _function_keys(stack: EmbeddedStack) -> dict[str, str]:
    """Function ARN -> the stack's key of that function."""
    return {runtime.arn: key for key, runtime in stack.runtimes.items()}


def _report(functions: dict[str, str], report: MessageReport) -> dict[str, Any]:
    return {
        "message_id": report.message_id,
        "function": functions.get(report.function_arn, report.function_arn),
        "batch": report.batch,
        "outcome": report.outcome,
        "users": list(report.replayed),
        "skipped": dict(report.skipped),
        "detail": report.detail,
        "line": report.line(),
    }
