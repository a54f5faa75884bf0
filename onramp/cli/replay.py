"""``onramp replay-dlq``: put dead-lettered users back through the pipeline (docs/faults.md).

Locally (``--url`` of a running ``onramp up``, the default): moto's SQS, stream and table
through the runtime's endpoint, invocations through ``POST /_onramp/invoke/<function>``.
On AWS (``--queue-url``, ``--region``, ``--profile``): SQS, DynamoDB Streams, DynamoDB and
Lambda ``Invoke`` with the profile's credentials. Exit 0 when every message was settled,
1 when some were kept (failed again, users not settled) or are held by another replay
(in flight), 2 on bad flags.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from typing import Any

from kernel.errors import UsageError
from onramp.cli.local import FALLBACK_URL, default_url, fetch_admin
from onramp.local.api.admin_guard import ADMIN_HEADER
from onramp.local.aws.server import aws_client
from onramp.local.streams.event_filter import parse_filter_criteria
from onramp.replay_dlq import (
    VISIBILITY_TIMEOUT_S,
    InvokeResult,
    ReplayTarget,
    in_flight_messages,
    invoke_result,
    local_targets,
    replay_dead_letters,
)

INVOKE_TIMEOUT_S = 900  # Lambda's longest timeout


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``replay-dlq`` sub-command."""
    parser = subparsers.add_parser(
        "replay-dlq", help="replay the dead-letter queue's stream batches through the pipeline"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--url", help=f"a running `onramp up` (default: the running one's, else {FALLBACK_URL})"
    )
    where.add_argument("--queue-url", help="the DeadLetterQueue's URL on AWS")
    parser.add_argument("--region", help="AWS region (with --queue-url)")
    parser.add_argument("--profile", help="AWS profile (with --queue-url)")
    parser.add_argument("--table", help="the Users table (default: from the stream ARN)")
    parser.add_argument("--dry-run", action="store_true", help="report only; invoke nothing")
    parser.set_defaults(func=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    """Replay every dead letter; print one line per message and a summary."""
    if args.queue_url is None and (args.region or args.profile):
        raise UsageError("--region/--profile: only with --queue-url (AWS)")
    if args.queue_url:
        targets = _aws_targets(args)
    else:
        targets = _local_targets(args.url or default_url(), args.table)
    kept = settled = in_flight = 0
    unsettled: list[str] = []
    for target in targets:
        for report in replay_dead_letters(target, dry_run=args.dry_run):
            print(report.line())
            settled += report.done
            kept += not report.done
            unsettled += report.unsettled
        in_flight += in_flight_messages(target)
    verb = "would settle" if args.dry_run else "settled"
    print(
        f"onramp: {verb} {settled} dead-letter message(s), kept {kept}, "
        f"in flight {in_flight} (held by another or an interrupted replay)"
    )
    if unsettled:
        print(f"onramp: users not settled: {', '.join(unsettled)}")
    if in_flight:
        print(
            f"onramp: {in_flight} message(s) not replayed: visible again when the other "
            f"replay releases them or within {VISIBILITY_TIMEOUT_S} s; run again then"
        )
    return 1 if kept or in_flight else 0


def _local_targets(url: str, table: str | None) -> list[ReplayTarget]:
    runtime = fetch_admin(url, "runtime")

    def invoke(key: str, event: dict[str, Any]) -> dict[str, Any]:
        return _post_json(f"{url.rstrip('/')}/_onramp/invoke/{key}", event)

    return local_targets(
        runtime, lambda service: aws_client(runtime["aws_endpoint"], service), invoke, table
    )


def _aws_targets(args: argparse.Namespace) -> list[ReplayTarget]:
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    try:
        session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    except botocore.exceptions.ProfileNotFound:
        raise UsageError(f"--profile {args.profile}: no such AWS profile") from None
    region = session.region_name
    if not region:
        raise UsageError("--region: needed (no region in the profile or environment)")
    lambda_client = session.client(
        "lambda", config=Config(read_timeout=INVOKE_TIMEOUT_S, retries={"max_attempts": 1})
    )

    def invoke(function_arn: str, event: dict[str, Any]) -> InvokeResult:
        response = lambda_client.invoke(
            FunctionName=function_arn,
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )
        payload = json.loads(response["Payload"].read() or b"null")
        return invoke_result(response.get("FunctionError", ""), payload)

    def filters(function_arn: str, stream_arn: str) -> list[dict[str, Any]]:
        mappings = lambda_client.list_event_source_mappings(
            FunctionName=function_arn, EventSourceArn=stream_arn
        )["EventSourceMappings"]
        return parse_filter_criteria(mappings[0].get("FilterCriteria")) if mappings else []

    return [
        ReplayTarget(
            sqs=session.client("sqs"),
            streams=session.client("dynamodbstreams"),
            dynamodb=session.client("dynamodb"),
            queue_url=args.queue_url,
            region=region,
            invoke=invoke,
            filters=filters,
            table=args.table,
        )
    ]


def _post_json(url: str, body: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", ADMIN_HEADER: "replay-dlq"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=INVOKE_TIMEOUT_S) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise UsageError(f"--url {url}: the runtime did not answer ({exc})") from None
