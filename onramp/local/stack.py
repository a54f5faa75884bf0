"""``EmbeddedStack``: the whole pipeline of a SAM template running locally, no Docker, no account.

moto's server on loopback in its own process (``aws_process``: the embedded AWS, which
holds what the pipeline stores), the template's resources created on it, the HTTP API served
on loopback, one stream pump per DynamoDB event source, handlers invoked in worker
subprocesses (one per stream function, a small pool for API functions, as Lambda scales
them), and every invocation, AWS call and API request recorded for the measurement. The
pumps keep Lambda's pace (``stream_timing="aws"``, 4 polls a second) or are woken by every
write to their table (``"fast"``; ``onramp.local.streams.timing``).

Example::

    with EmbeddedStack() as stack:                     # stack/template.yaml
        requests.post(stack.api_url + "/register", json={...})
        stack.wait_until_drained(timeout=30)
        print(stack.status())
        m = stack.measurement("run-1")
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from boto3.dynamodb.types import TypeDeserializer

from costmodel.measurement import MeasuredWindow, Measurement, Onboardings
from kernel.sam_template import DEFAULT_TEMPLATE, FunctionSpec, functions, load_template
from onramp.local.api import admin
from onramp.local.api.http_api import LocalHttpApi
from onramp.local.api.http_server import ServerLimits
from onramp.local.api.jwt_auth import LocalJwtAuthorizer
from onramp.local.api.payload import http_api_routes
from onramp.local.aws.process import AwsProcess
from onramp.local.aws.resources import LocalResources, create_resources
from onramp.local.aws.server import REGION
from onramp.local.aws.ses_account import AccountProfile
from onramp.local.aws.traffic import AwsCall
from onramp.local.faults.plan import FaultPlan
from onramp.local.metering.recorder import Recorder, Window
from onramp.local.runtime.invoker import FunctionRuntime
from onramp.local.scheduler import LocalScheduler
from onramp.local.streams.event_source import StreamEventSource
from onramp.local.streams.pump import StreamPump
from onramp.local.streams.timing import StreamTiming

# Template parameters for a local run: no real DNS lookups, a sender moto verifies, and a
# per-source sign-up limit no local load reaches: every local client is one source (loopback),
# as a load test from one machine is on AWS (samconfig.toml's staging raises it the same way;
# tests/integration/test_source_limit.py runs the template's limit itself).
LOCAL_PARAMETERS = {
    "Stage": "local",
    "SenderEmail": "welcome@onramp.example.com",
    "LookupProvider": "fake",
    "RegisterLimitPerSource": "1000000",
}
USERS_TABLE = "UsersTable"
ConsoleRoutes = tuple[
    Mapping[str, Callable[[str, Mapping[str, list[str]]], Any]],
    Mapping[str, Callable[[str, Any], Any]],
]
"""The console's GET views (target, query) and POST actions, served beside the admin views."""
API_CONCURRENCY = 3  # execution environments per API function (Lambda scales it out)
MULTI_TABLE_WRITES = ("BatchWriteItem", "TransactWriteItems")


class EmbeddedStack:
    """A SAM template's pipeline against moto's server in its own process, handlers in workers."""

    def __init__(
        self,
        template_path: Path | str = DEFAULT_TEMPLATE,
        port: int = 0,
        parameters: Mapping[str, Any] | None = None,
        handler_log: TextIO | None = None,
        faults: FaultPlan | None = None,
        jwt_private_key: bytes | None = None,
        http_limits: ServerLimits | None = None,
        account: AccountProfile | None = None,
        console: Callable[[EmbeddedStack], ConsoleRoutes] | None = None,
        schedule_speedup: float = 1.0,
        stream_timing: StreamTiming | str | None = None,
    ) -> None:
        self.template_path = Path(template_path)
        self._console = console  # onramp.console.views.routes: served at /_onramp/ (docs/local.md)
        # aws (Lambda's 4 polls a second) or fast; None: ONRAMP_STREAM_TIMING, else aws
        self.stream_timing = (
            StreamTiming.named(stream_timing)
            if isinstance(stream_timing, str)
            else stream_timing or StreamTiming.from_environment()
        )
        self._http_limits = http_limits  # the local API server's limits (None: the defaults)
        self._port = port
        self._parameters = {**LOCAL_PARAMETERS, **(parameters or {})}
        self.recorder = Recorder()
        self._handler_log = handler_log
        self._handler_log_lock = threading.Lock()
        self.faults = faults or FaultPlan()  # docs/faults.md
        self._jwt_private_key = jwt_private_key  # PEM of the local JWT issuer (None: generated)
        self.authorizer: LocalJwtAuthorizer | None = None  # set by start() in AuthMode=jwt
        self._aws = AwsProcess(
            on_call=self._on_call,
            on_exit=self._aws_exited,
            account=account,
            prompt_writes=self.stream_timing.wake_on_write,  # _on_call wakes the pumps
        )
        self._api: LocalHttpApi | None = None
        self._pumps: list[StreamPump] = []
        self._specs: list[FunctionSpec] = []
        self._runtimes: dict[str, FunctionRuntime] = {}
        self._local: LocalResources | None = None
        self._clients: dict[str, Any] = {}
        self._started_at = 0.0
        self._schedule_speedup = schedule_speedup  # divides the schedules' rates (tests)
        self.scheduler: LocalScheduler | None = None  # the template's schedules, once started

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> str:
        """Start everything; return the API's base URL (``http://127.0.0.1:<port>``)."""
        template = load_template(self.template_path)
        self._aws.start()
        try:
            self._build(template)
        except BaseException:
            self.stop()
            raise
        self._started_at = time.time()
        return self.api_url

    def _build(self, template: dict[str, Any]) -> None:
        client = self._client
        all_specs = functions(template, self.template_path.parent)
        self._local = create_resources(template, client, all_specs, self._parameters)
        resources = template["Resources"]
        self._specs = [s for s in all_specs if self._local.enabled(resources[s.logical_id])]
        self.faults.check_functions([spec.key for spec in self._specs])
        runtimes = self._runtimes = {
            spec.key: FunctionRuntime(
                spec,
                self._environment(spec),
                self.endpoint_url,
                self.recorder.add_invocation,
                concurrency=self.faults.concurrency(
                    spec.key, API_CONCURRENCY if _serves_http(spec) else 1
                ),
                log_sink=self._write_handler_log if self._handler_log else None,
            )
            for spec in self._specs
        }
        for spec in self._specs:
            for name, event in spec.events.items():
                if event.get("Type") != "DynamoDB":
                    continue
                properties = self._local.resolver.resolve(event.get("Properties", {}))
                source = StreamEventSource.from_event(spec.logical_id, name, properties)
                if source.enabled:
                    send = functools.partial(self._send_failure, source.on_failure_arn)
                    streams = client("dynamodbstreams")
                    delivery = self.faults.delivery(runtimes[spec.key])
                    self._pumps.append(
                        StreamPump(source, delivery, streams, send, REGION, self.stream_timing)
                    )
        for runtime in runtimes.values():
            runtime.start_environment()
        for pump in self._pumps:
            pump.start()
        self.scheduler = LocalScheduler.from_template(
            template, self._local.resolver, runtimes, self._send_dead_letter, self._schedule_speedup
        )
        self.scheduler.start()
        self._aws.follow_stream_readers([pump.needed_sequences for pump in self._pumps])
        self.authorizer = LocalJwtAuthorizer.from_template(
            template, self._local.resolver, self._jwt_private_key
        )
        queries, console_actions = self._console(self) if self._console else ({}, {})
        self._api = LocalHttpApi(
            http_api_routes(self._specs),
            runtimes,
            self.recorder.add_request,
            admin={"status": self.status, "dead-letters": self.dead_letters, **admin.views(self)},
            actions={**admin.actions(self), **console_actions},
            authorizer=self.authorizer,
            limits=self._http_limits,
            queries=queries,
        )
        self._api.start(self._port)

    def refuse_requests(self) -> None:
        """Answer every API request 503 from now on (the runtime is stopping)."""
        if self._api is not None:
            self._api.refuse()

    @property
    def aws_exited(self) -> bool:
        """True when the embedded AWS process ended by itself (killed, crashed)."""
        return self._aws.exited

    def aws_exit_description(self) -> str:
        """How the embedded AWS process ended (``"killed by signal 9"``...)."""
        return self._aws.exit_description()

    def _on_call(self, call: AwsCall) -> None:
        """Record a metered AWS call; a write to a table wakes its stream's pumps (fast). A
        call names one table: one writing several (batch, transaction) wakes every pump."""
        self.recorder.add_call(call)
        if call.items_written and self.stream_timing.wake_on_write:
            several = call.operation in MULTI_TABLE_WRITES
            for pump in self._pumps:
                if several or pump.table == call.table:
                    pump.wake()

    def _aws_exited(self) -> None:
        """The embedded AWS is gone: refuse API requests (503) and stop polling its streams."""
        if self._api is not None:
            self._api.refuse(backend_gone=True)
        for pump in self._pumps:
            pump.stop(wait=False)

    def stop(self, drain_timeout: float = 0.0, at_once: bool = False) -> None:
        """Drain (up to ``drain_timeout`` seconds), then stop every thread, worker process
        and port. ``at_once``: kill the invocations under way instead of waiting for them."""
        if drain_timeout and self._api is not None:
            self.wait_until_drained(drain_timeout)
        if self._api is not None:
            self._api.stop()
            self._api = None
        if self.scheduler is not None:
            self.scheduler.stop(wait=not at_once)
        for pump in self._pumps:
            pump.stop(wait=not at_once)
        if at_once:
            self._close_runtimes()  # a pump waiting on an invocation sees its worker die
        for pump in self._pumps:
            pump.stop()
        self._pumps = []
        self._close_runtimes()
        self._aws.stop()
        self.faults.close()

    def _close_runtimes(self) -> None:
        for runtime in self._runtimes.values():
            runtime.close()
        self._runtimes = {}

    def __enter__(self) -> EmbeddedStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        """Base URL of the local HTTP API."""
        if self._api is None:
            raise RuntimeError("the embedded stack is not started")
        return self._api.url

    @property
    def endpoint_url(self) -> str:
        """moto's endpoint (what ``AWS_ENDPOINT_URL`` points at)."""
        return self._aws.endpoint_url

    @property
    def aws_pid(self) -> int:
        """The process id of the embedded AWS (moto's server)."""
        return self._aws.pid

    @property
    def started_at(self) -> float:
        """Epoch seconds when ``start()`` finished."""
        return self._started_at

    @property
    def console_url(self) -> str | None:
        """The local console (``<api>/_onramp/``), when this stack serves one."""
        return f"{self.api_url}/_onramp/" if self._console else None

    @property
    def function_specs(self) -> list[FunctionSpec]:
        """The template functions running locally (those whose Condition holds)."""
        return list(self._specs)

    @property
    def runtimes(self) -> dict[str, FunctionRuntime]:
        """The function runtimes by function key (``register``...)."""
        return dict(self._runtimes)

    @property
    def pumps(self) -> list[StreamPump]:
        """The stream pumps, one per DynamoDB event source."""
        return list(self._pumps)

    @property
    def resources(self) -> LocalResources:
        """Local names of the created resources."""
        if self._local is None:
            raise RuntimeError("the embedded stack is not started")
        return self._local

    def wait_until_drained(self, timeout: float = 30.0) -> bool:
        """Wait until no request is in flight and every pump polled empty after the last work.

        Returns False when ``timeout`` seconds passed first.
        """
        deadline = time.time() + timeout
        while time.time() < deadline:
            mark = time.time()
            work_before = self._work_done()
            while time.time() < deadline:
                api_idle = self._api is None or self._api.in_flight == 0
                if api_idle and all(p.idle_after(mark) for p in self._pumps):
                    break
                time.sleep(0.05)
            else:
                return False
            if self._work_done() == work_before:
                self._aws.sync()  # the recorder has every metered call of that work
                return True
        return False

    def _work_done(self) -> int:
        counters = self.recorder.counters()
        return sum(counters["invocations"].values()) + sum(p.failures_sent for p in self._pumps)

    # ---------------------------------------------------------------- inspection
    def users(self) -> list[dict[str, Any]]:
        """Every item of the Users table as plain Python values."""
        if self._local is None or USERS_TABLE not in self._local.table_names:
            return []
        return self._scan(self._local.table_names[USERS_TABLE])

    def sent_emails(self) -> list[dict[str, Any]]:
        """The emails SES accepted (moto's store): source, destinations, subject, body."""
        return self._aws.sent_emails()

    def sent_email_count(self) -> int:
        """How many emails SES accepted."""
        return self._aws.sent_email_count()

    def console_query(self, name: str, **arguments: Any) -> dict[str, Any]:
        """A question about the stored data answered in the AWS process (``console_queries``)."""
        return self._aws.console_query(name, **arguments)

    def client(self, service: str) -> Any:
        """The runtime's own boto3 client of ``service`` on the embedded AWS (not metered)."""
        return self._client(service)

    def dead_letters(self) -> list[dict[str, Any]]:
        """The failure records in every OnFailure queue (read from moto's store, left in place)."""
        names = [url.rsplit("/", 1)[-1] for url in self.resources.queue_urls.values()]
        return [json.loads(body) for body in self._aws.queued_messages(names)]

    @property
    def account(self) -> AccountProfile:
        """The account profile the embedded AWS plays (SES limits)."""
        return self._aws.account

    def ses_refusals(self) -> dict[str, int]:
        """SES sends the account profile refused so far, by limit."""
        return self._aws.ses_refusals()

    def stored_data(self) -> dict[str, int]:
        """Bytes the embedded AWS holds per store (rows, stream records, objects, emails...)."""
        return self._aws.stored_data()

    def clear_stored_data(self) -> None:
        """Empty the embedded AWS's stores (rows, objects, pool users, emails, messages)."""
        self._aws.clear_stored_data()

    def status(self) -> dict[str, Any]:
        """Users by status, failure reasons, emails sent, dead letters, invocation counters."""
        self._aws.sync()
        counts: dict[str, Any] = {"by_status": {}, "by_reason": {}}
        if USERS_TABLE in self.resources.table_names:  # counted in place: no Scan per status
            table = self.resources.table_names[USERS_TABLE]
            counts = self.console_query("users_page", table=table, limit=0)
        return {
            "api_url": self.api_url,
            "uptime_s": round(time.time() - self._started_at, 1),
            "stream_timing": self.stream_timing.name,
            "users": {status or "?": n for status, n in counts["by_status"].items()},
            "failure_reasons": counts["by_reason"],
            "console_url": self.console_url,
            "emails_sent": self._aws.sent_email_count(),
            "dead_letter_messages": len(self.dead_letters()),
            **self.recorder.counters(),
            "pumps": {
                f"{p.source.function_logical_id}.{p.source.event_name}": {
                    "polls": p.polls,
                    "records_seen": p.records_seen,
                    "records_filtered": p.records_filtered,
                    "invocations": p.invocations,
                    "pending": p.pending,
                    "failures_sent": p.failures_sent,
                    "stream_records_retained": self._aws.stream_records_retained(
                        p.source.stream_arn
                    ),
                }
                for p in self._pumps
            },
        }

    def measurement(
        self, run_id: str, window: tuple[datetime, datetime] | None = None
    ) -> Measurement:
        """The finalised measurement (schema: costmodel/measurement.schema.json) of ``window``.

        ``window`` defaults to the stack's start until now. Onboarding outcomes come from the
        Users table, accepted too (the users the window created: the API answers a retry and
        a registered address 202 as well, and neither is a new onboarding); rejected from the
        API's 4xx answers.
        """
        self._aws.sync()
        start, end = window or (
            datetime.fromtimestamp(self._started_at, UTC),
            datetime.now(UTC),
        )
        table_keys = {
            name: logical_id.removesuffix("Table").lower()
            for logical_id, name in self.resources.table_names.items()
        }
        totals = self.recorder.totals(
            Window(start.timestamp(), end.timestamp()), self._specs, table_keys
        )
        statuses = totals.api.status_counts or {}
        users = self.users()
        accepted = sum(1 for u in users if _created_within(u, start, end))
        outcomes = Counter(u.get("status") for u in users)
        reasons = Counter(u["failure_reason"] for u in users if u.get("failure_reason"))
        return Measurement.of(
            totals,
            source="embedded",
            run_id=run_id,
            region=REGION,
            window=MeasuredWindow(
                start=start.isoformat(),
                end=end.isoformat(),
                seconds=round((end - start).total_seconds(), 3),
            ),
            onboardings=Onboardings(
                accepted=accepted,
                completed=outcomes["completed"],
                failed=outcomes["failed"],
                rejected=sum(n for code, n in statuses.items() if code.startswith("4")),
                lost=max(0, accepted - outcomes["completed"] - outcomes["failed"]),
                failure_reasons=dict(reasons),
            ),
        )

    # ---------------------------------------------------------------- plumbing
    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._aws.internal_client(service)
        return self._clients[service]

    def _scan(self, table: str) -> list[dict[str, Any]]:
        return scan_items(self._client("dynamodb"), table)

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        """The function's resolved variables plus what the fault plan adds for it."""
        environment = self.resources.environment(spec)
        return {**environment, **self.faults.environment(spec.key, environment)}

    def _write_handler_log(self, text: str) -> None:
        with self._handler_log_lock:
            self._handler_log.write(text)  # type: ignore[union-attr]
            self._handler_log.flush()  # type: ignore[union-attr]

    def age_stream_records(self, seconds: float) -> int:
        """Make time pass for the streams: every record, stored or fetched by a pump, becomes
        ``seconds`` older (past 24 h it expires; past a mapping's MaximumRecordAgeInSeconds
        its pump dead-letters it). Returns how many records expired."""
        expired = self._aws.age_stream_records(seconds)
        for pump in self._pumps:
            pump.age(seconds)
        return expired

    def _send_dead_letter(self, queue_arn: str, event: dict[str, Any]) -> None:
        """Send ``event`` to the queue ``queue_arn`` and count it: Lambda's dead-letter queue
        of an asynchronous event (a failed scheduled sweep), or a stream's OnFailure record."""
        url = self.resources.queue_url_for_arn(queue_arn)
        self._client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(event))
        self.recorder.add_dead_letter(time.time())

    def _send_failure(self, queue_arn: str | None, record: dict[str, Any]) -> None:
        """Deliver a stream failure record to the OnFailure queue, as Lambda does."""
        if queue_arn is None:
            return
        batch = record["DDBStreamBatchInfo"]
        self._aws.keep_stream_records(
            batch["streamArn"], int(batch["startSequenceNumber"]), int(batch["endSequenceNumber"])
        )
        self._send_dead_letter(queue_arn, record)


def scan_items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Every item of ``table`` (a boto3 DynamoDB client's scan) as plain Python values."""
    deserializer = TypeDeserializer()
    return [
        {key: deserializer.deserialize(value) for key, value in item.items()}
        for page in dynamodb.get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
    ]


def _serves_http(spec: FunctionSpec) -> bool:
    return any(event.get("Type") in ("HttpApi", "Api") for event in spec.events.values())


def _created_within(user: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    """True when the user's row was created in [start, end] (``created_at``, ISO-8601)."""
    created = user.get("created_at")
    return isinstance(created, str) and start <= datetime.fromisoformat(created) <= end
