"""Warm handler overhead: per-invocation time of each handler with AWS answered in memory.

The handlers run unchanged on their real boto3 clients (``onboarding.adapters.clients.client``);
each client's ``before-send`` event answers every request with a canned AWS reply, so the figure
includes everything the function itself does per invocation (Powertools event parsing, logging and
metrics, botocore serialising, signing and parsing) but no network and no AWS latency. register gets
an HTTP API v2.0 event, enrich and provision a stream batch of one record. It runs in a fresh
interpreter (the cached clients and environment stay there).

Example::

    result = run(iterations=2000)
    result.figures[0].value      # "register: 412 us median"
"""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from onramp.bench.cold_start import HANDLER_SOURCE
from onramp.bench.interpreter import run_python
from onramp.bench.result import BenchResult, Figure, median

GOAL_US = 1000.0
BASELINE_CALL = "one DynamoDB PutItem alone"
"""The client-side cost of one AWS call (botocore), measured alongside as the yardstick."""
WARM_UP = 50
BENCH_ENVIRONMENT = {
    "USERS_TABLE": "bench-users",
    "AUDIT_TABLE": "bench-audit",
    "REGISTER_LIMITS_TABLE": "bench-register-limits",
    "USER_SPACES_BUCKET": "bench-spaces",
    "USER_POOL_ID": "us-east-1_bench",
    "SENDER_EMAIL": "welcome@example.com",
    "LOOKUP_PROVIDER": "fake",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "onramp",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "PYTHONPATH": str(HANDLER_SOURCE),
}
"""The functions' settings, dummy credentials and an endpoint nothing listens on (never used:
every request is answered before it is sent)."""

XML = "text/xml"
JSON_10 = "application/x-amz-json-1.0"
CANNED_REPLIES: dict[str, tuple[str, bytes]] = {
    "dynamodb": (JSON_10, b"{}"),
    "s3": ("application/xml", b""),
    "cognito-idp": (
        "application/x-amz-json-1.1",
        b'{"User": {"Username": "5d0c7a3e", "UserStatus": "FORCE_CHANGE_PASSWORD"}}',
    ),
    "ses": (
        XML,
        b'<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">'
        b"<SendEmailResult><MessageId>m-1</MessageId></SendEmailResult>"
        b"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></SendEmailResponse>",
    ),
}
"""The success reply of every call the handlers make, per service, as AWS sends it."""

USER = {
    "user_id": "5d0c7a3e-8f5b-5c1e-9a0b-2f6d4e8c1a37",
    "email": "Ada.Lovelace@Example.com",
    "name": "  Ada   Lovelace ",
    "phone": "+44 20 7946 0958",
    "correlation_id": "BxR7tgQ6oAMEJrw=",
    "created_at": "2026-11-29T10:15:00.123+00:00",
}


class _Body:
    """The raw stream botocore reads a canned reply from."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def answer_in_memory(calls: Counter[str]) -> None:
    """Make every shared handler client answer with :data:`CANNED_REPLIES` (counted)."""
    from botocore.awsrequest import AWSResponse
    from onboarding.adapters.clients import client

    for service, (content_type, body) in CANNED_REPLIES.items():
        headers = {"Content-Type": content_type, "ETag": '"e"', "x-amzn-RequestId": "r"}

        def reply(
            request: Any,
            service: str = service,
            headers: dict = headers,
            body: bytes = body,
            **_: Any,
        ) -> AWSResponse:
            calls[service] += 1
            return AWSResponse(request.url, 200, headers, _Body(body))

        client(service).meta.events.register_first("before-send", reply)


def events() -> dict[str, dict[str, Any]]:
    """register's API event, enrich's INSERT pending and provision's MODIFY processing batch."""
    from boto3.dynamodb.types import TypeSerializer

    from onramp.local.api.payload import RawRequest, Route, RouteMatch, build_event

    body = json.dumps({k: USER[k] for k in ("email", "name", "phone")}).encode()
    request = RawRequest(
        "POST", "/register", "", [("content-type", "application/json")], body, "203.0.113.7"
    )
    route = RouteMatch(Route("POST", "/register", "register"), {})
    serialise = TypeSerializer().serialize

    def batch(name: str, new: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        images = {"NewImage": {k: serialise(v) for k, v in new.items()}}
        if old is not None:
            images["OldImage"] = {k: serialise(v) for k, v in old.items()}
        record = {
            "eventID": "1",
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1795947301,
                "Keys": {"user_id": {"S": USER["user_id"]}},
                "SequenceNumber": "100",
                "SizeBytes": 700,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
                **images,
            },
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/u/stream/s",
        }
        return {"Records": [record]}

    pending = {**USER, "status": "pending"}
    processing = {**pending, "status": "processing", "email_domain": "example.com"}
    return {
        "register": build_event(route, request, "bench"),
        "enrich": batch("INSERT", pending, None),
        "provision": batch("MODIFY", processing, pending),
    }


def _context(function: str) -> Any:
    from onramp.local.runtime.worker import LambdaContext

    return LambdaContext(
        function_name=function,
        function_version="$LATEST",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{function}",
        memory_limit_in_mb=256,
        aws_request_id="00000000-0000-0000-0000-000000000000",
        log_group_name=f"/aws/lambda/{function}",
        log_stream_name="bench",
        deadline=time.monotonic() + 3600,
    )


def _timings(call: Callable[[], Any], n: int) -> list[float]:
    """Microseconds of ``n`` calls, sorted."""
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1e6)
    return sorted(timings)


def _summary(timings: list[float]) -> dict[str, float]:
    return {"median_us": median(timings), "p95_us": timings[int(0.95 * (len(timings) - 1))]}


def measure_here(iterations: int) -> dict[str, dict[str, Any]]:
    """In this process (environment already set): median/p95 microseconds and AWS calls."""
    import importlib

    from onboarding.adapters.clients import client

    calls: Counter[str] = Counter()
    answer_in_memory(calls)
    figures: dict[str, dict[str, Any]] = {}
    for function, event in events().items():
        handler = importlib.import_module(f"onboarding.handlers.{function}").handler
        context = _context(function)
        result = handler(event, context)
        if function == "register" and result.get("statusCode") != 202:
            raise RuntimeError(f"register answered {result} on the benchmark event")
        if function != "register" and result.get("batchItemFailures"):
            raise RuntimeError(f"{function} failed its record: {result}")
        invoke = functools.partial(handler, event, context)
        _timings(invoke, WARM_UP)
        calls.clear()
        figures[function] = {
            **_summary(_timings(invoke, iterations)),
            "aws_calls": {service: n / iterations for service, n in calls.items()},
        }
    put = functools.partial(
        client("dynamodb").put_item, TableName="t", Item={"user_id": {"S": USER["user_id"]}}
    )
    _timings(put, WARM_UP)
    figures[BASELINE_CALL] = {**_summary(_timings(put, iterations)), "aws_calls": {"dynamodb": 1}}
    return figures


def measure(iterations: int) -> dict[str, dict[str, Any]]:
    """:func:`measure_here` in a fresh interpreter with the functions' environment."""
    with tempfile.TemporaryDirectory(prefix="onramp-bench-") as folder:
        out = Path(folder) / "warm.json"
        run_python(
            ["-m", "onramp.bench.warm_overhead", str(iterations), str(out)],
            {**os.environ, **BENCH_ENVIRONMENT},
            "warm overhead benchmark",
            keep_stdout=False,
        )
        return json.loads(out.read_text(encoding="utf-8"))


def warm_result(figures: dict[str, dict[str, Any]], iterations: int) -> BenchResult:
    """Figures: each handler's median per-invocation microseconds against 1 ms, and how much
    of it its AWS calls' client-side cost explains (calls x one PutItem's median)."""
    per_call = figures[BASELINE_CALL]["median_us"]
    result = BenchResult(
        name="warm",
        title="Warm handler overhead: per invocation, AWS answered in memory",
        header=["handler", "median us", "p95 us", "AWS calls per invocation", "x one AWS call"],
        notes=[
            f"{iterations} invocations per handler after {WARM_UP} warm-up ones; replies are "
            "canned at botocore's before-send hook, so serialising, signing and parsing count.",
            f"One AWS call costs {per_call:.0f} us client-side (the PutItem row): a handler "
            "making n calls cannot go below about n times that without fewer calls.",
        ],
    )
    for function, f in figures.items():
        calls = ", ".join(f"{service} {n:g}" for service, n in sorted(f["aws_calls"].items()))
        times = f["median_us"] / per_call
        row = [function, f"{f['median_us']:.0f}", f"{f['p95_us']:.0f}", calls, f"{times:.1f}"]
        result.rows.append(row)
        if function == BASELINE_CALL:
            continue
        result.figures.append(
            Figure(
                f"{function} warm invocation (median)",
                f"{f['median_us']:.0f} us",
                f"< {GOAL_US:.0f} us",
                f["median_us"] < GOAL_US,
                f["median_us"] / GOAL_US,
            )
        )
    return result


def run(iterations: int) -> BenchResult:
    """Measure and report (see the module docstring)."""
    return warm_result(measure(iterations), iterations)


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(measure_here(int(sys.argv[1]))), encoding="utf-8")
