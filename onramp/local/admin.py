"""The runtime's admin endpoints beyond the read-only views: what `onramp replay-dlq --url`
and `onramp up --fault` need from a running embedded stack.

- ``GET /_onramp/runtime``: moto's endpoint, region, the functions (key -> ARN), their stream
  event sources (stream ARN, filters) and the dead-letter queues (URLs).
- ``GET /_onramp/faults``: the fault counters (``"N of M"`` per fault).
- ``POST /_onramp/invoke/<function>`` (body: the event): invoke the function synchronously,
  the local counterpart of Lambda's ``Invoke`` (RequestResponse).
- ``POST /_onramp/faults/clear``: switch every fault off.

Loopback only and unmetered, like the other admin views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from onramp.local.aws_server import REGION

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
    """Invoke ``function`` (its key) with ``event``: outcome, value (result or error payload)."""
    runtime = stack.runtimes[function]
    if not isinstance(event, dict):
        raise ValueError("the body must be a JSON object (the event)")
    records = event.get("Records")
    invocation = runtime.invoke(event, len(records) if isinstance(records, list) else 0)
    return {
        "function": function,
        "request_id": invocation.request_id,
        "outcome": invocation.outcome,
        "error_type": invocation.error_type,
        "value": invocation.value,
        "duration_ms": round(invocation.duration_ms, 3),
    }


def _clear_faults(stack: EmbeddedStack, what: str) -> dict[str, Any]:
    if what != "clear":
        raise KeyError(what)
    stack.faults.clear()
    return {"cleared": True, "faults": stack.faults.stats()}
