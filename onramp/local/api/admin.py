"""The runtime's admin endpoints beyond the read-only views: what `onramp replay-dlq --url`
and `onramp up --fault` need from a running embedded stack.

- ``GET /_onramp/runtime``: moto's endpoint, region, the functions (key -> ARN), their stream
  event sources (stream ARN, filters) and the dead-letter queues (URLs).
- ``GET /_onramp/faults``: the fault counters (``"N of M"`` per fault).
- ``POST /_onramp/invoke/<function>`` (body: the event): invoke a stream function
  synchronously with a batch of its own stream's records, the local counterpart of Lambda's
  ``Invoke`` (RequestResponse) that ``onramp replay-dlq`` uses; API functions are refused.
- ``POST /_onramp/faults/clear``: switch every fault off.

Loopback Host only, POSTs with the ``X-Onramp-Admin`` header and a JSON body
(``admin_guard``), unmetered, like the other admin views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from onramp.local.api.admin_guard import AdminForbidden
from onramp.local.aws.server import REGION
from onramp.local.streams.event_filter import passes
from onramp.local.streams.event_source import StreamEventSource

if TYPE_CHECKING:
    from onramp.local.stack import EmbeddedStack


def views(stack: EmbeddedStack) -> dict[str, Callable[[], Any]]:
    """The extra GET views."""
    return {"runtime": lambda: runtime_description(stack), "faults": stack.faults.stats}


def actions(stack: EmbeddedStack) -> dict[str, Callable[[str, Any], Any]]:
    """The POST actions: ``name -> action(rest_of_path, json_body)``.

    An action raises KeyError for an unknown target (404) and ValueError for a bad body (400).
    """
    return {
        "invoke": lambda function, event: invoke(stack, function, event),
        "faults": lambda what, _: _clear_faults(stack, what),
    }


def runtime_description(stack: EmbeddedStack) -> dict[str, Any]:
    """Where the runtime's AWS is and what runs on it."""
    arns = {spec.logical_id: stack.runtimes[spec.key].arn for spec in stack.function_specs}
    return {
        "aws_endpoint": stack.endpoint_url,
        "region": REGION,
        "functions": {key: runtime.arn for key, runtime in stack.runtimes.items()},
        "event_sources": [
            {
                "function": pump.source.function_logical_id,
                "function_arn": arns[pump.source.function_logical_id],
                "stream_arn": pump.source.stream_arn,
                "filters": pump.source.filters,
            }
            for pump in stack.pumps
        ],
        "dead_letter_queues": list(stack.resources.queue_urls.values()),
    }


def invoke(stack: EmbeddedStack, function: str, event: Any) -> dict[str, Any]:
    """Invoke ``function`` (its key) with ``event``: outcome, value (result or error payload).

    Nothing reaches a function except through its event source: only a stream function is
    invoked here, and only with records its own event source mapping would deliver (its
    stream's ARN, its filters). An API function is reached through its route, where its
    authorizer applies (AdminForbidden, 403).
    """
    runtime = stack.runtimes[function]
    logical_id = runtime.spec.logical_id
    sources = [pump.source for pump in stack.pumps if pump.source.function_logical_id == logical_id]
    if not sources:
        raise AdminForbidden(
            f"{function} has no stream event source: it is reached only through its own "
            "event source (an API function through its route, where its authorizer applies)"
        )
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        raise ValueError("the body must be a JSON object with Records (a stream batch)")
    for index, record in enumerate(records):
        if not any(_delivers(source, record) for source in sources):
            raise AdminForbidden(
                f"Records[{index}] is not a record {function}'s event source would deliver "
                "(its stream ARN and filters)"
            )
    invocation = runtime.invoke(event, len(records))
    return {
        "function": function,
        "request_id": invocation.request_id,
        "outcome": invocation.outcome,
        "error_type": invocation.error_type,
        "value": invocation.value,
        "duration_ms": round(invocation.duration_ms, 3),
    }


def _delivers(source: StreamEventSource, record: Any) -> bool:
    return (
        isinstance(record, dict)
        and record.get("eventSource") == "aws:dynamodb"
        and record.get("eventSourceARN") == source.stream_arn
        and passes(source.filters, record)
    )


def _clear_faults(stack: EmbeddedStack, what: str) -> dict[str, Any]:
    if what != "clear":
        raise KeyError(what)
    stack.faults.clear()
    return {"cleared": True, "faults": stack.faults.stats()}
