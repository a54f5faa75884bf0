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

import boto3

from onramp.local.api import admin
from onramp.local.aws.server import FAKE_CREDENTIALS, REGION
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
    return {"messages": [_report(stack, r) for r in reports]}


def replay(stack: EmbeddedStack) -> dict[str, Any]:
    """Replay every dead-letter message once, as ``onramp replay-dlq`` does."""
    with _lock:  # two clicks: the second waits, then finds what the first left
        reports = [r for t in targets(stack, metered=True) for r in replay_dead_letters(t)]
    settled = sum(r.done for r in reports)
    return {
        "settled": settled,
        "kept": len(reports) - settled,
        "messages": [_report(stack, r) for r in reports],
    }


def targets(stack: EmbeddedStack, metered: bool) -> list[ReplayTarget]:
    """One replay target per OnFailure queue of the stack (``metered``: its calls are metered
    AWS traffic, as the command's are; the listing's are not)."""
    keys = {runtime.arn: key for key, runtime in stack.runtimes.items()}
    arns = {runtime.spec.logical_id: runtime.arn for runtime in stack.runtimes.values()}
    filters = {
        (arns[p.source.function_logical_id], p.source.stream_arn): p.source.filters
        for p in stack.pumps
    }

    def client(service: str) -> Any:
        if not metered:
            return stack.client(service)
        return boto3.client(
            service,
            endpoint_url=stack.endpoint_url,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def invoke(key: str, event: dict[str, Any]) -> dict[str, Any]:
        return admin.invoke(stack, key, event)

    queues = stack.resources.queue_urls.values()
    return local_targets(client, queues, REGION, keys, filters, invoke)


def dead_letters_of(stack: EmbeddedStack, touches: Sequence[Touch]) -> list[dict[str, Any]]:
    """The queued dead letters whose batch held one of these touches' stream records."""
    functions = {runtime.arn: key for key, runtime in stack.runtimes.items()}
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


def _report(stack: EmbeddedStack, report: MessageReport) -> dict[str, Any]:
    functions = {runtime.arn: key for key, runtime in stack.runtimes.items()}
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
