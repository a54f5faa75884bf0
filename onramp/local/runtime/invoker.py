"""Invoke Lambda handlers in worker subprocesses, as Lambda's execution environments, and time them.

Each function has up to ``concurrency`` environments (``onramp.local.runtime.worker`` processes),
started on demand: an environment's first invocation is a cold start and reports the INIT
phase (``init_ms``, the handler's import). Environments run side by side, so functions
(and the API function's concurrent requests) do not wait for each other. The parent
enforces the timeout: a handler that outlives it is reported as ``timeout`` and its
environment is killed, as Lambda discards it; a worker that dies (``os._exit``, a signal)
is a ``Runtime.ExitError`` function error. Either way the next invocation starts afresh.

Example::

    runtime = FunctionRuntime(spec, env, endpoint_url, on_invocation=recorder.add_invocation)
    result = runtime.invoke({"version": "2.0", ...})
    result.outcome, result.value, result.duration_ms
    runtime.close()
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from kernel.sam_template import FunctionSpec
from onramp.local.aws.resources import physical_name
from onramp.local.aws.server import ACCOUNT_ID, FAKE_CREDENTIALS, REGION
from onramp.local.metering.emf import MetricValues

INIT_TIMEOUT_S = 10.0  # Lambda's limit for the INIT phase of an on-demand function
CLOSE_GRACE_S = 2.0
PASSED_THROUGH = ("PATH", "LD_LIBRARY_PATH", "SYSTEMROOT")  # what the interpreter needs


@dataclass(frozen=True)
class Invocation:
    """What one invocation did: the result and everything the cost model needs.

    ``value`` is the handler's result, or for an error Lambda's error payload
    (``errorType``, ``errorMessage``, ``stackTrace``).
    """

    function: str
    request_id: str
    started_at: float
    outcome: str  # "ok" | "error" | "timeout"
    value: Any
    error_type: str
    duration_ms: float
    billed_ms: int
    init_ms: float
    cold_start: bool
    memory_mb: int
    batch_size: int
    log_bytes: int
    metrics: tuple[MetricValues, ...] = ()
    """The EMF metric values the handler's log output carried."""
    event: Any = None
    """The event the function received (the recorder's traces read it, then drop it)."""
    log: str = ""
    """What the handler wrote to its log during the invocation."""

    @property
    def failed(self) -> bool:
        """True when Lambda would report a function error (exception or timeout)."""
        return self.outcome != "ok"


class _Environment:
    """One worker process and the socket the parent talks to it over."""

    def __init__(self, spec: FunctionSpec, environment: dict[str, str]) -> None:
        parent_end, child_end = socket.socketpair()
        with parent_end, child_end:
            command = [sys.executable, "-m", "onramp.local.runtime.worker", str(child_end.fileno())]
            self.process = subprocess.Popen(
                [*command, spec.handler, "--tee"],  # its log text comes back: traces
                env=environment,
                cwd=spec.code_dir,
                stdin=subprocess.DEVNULL,
                pass_fds=(child_end.fileno(),),
            )
            self._channel = Connection(parent_end.detach())
        self.cold = True  # the first invocation waits for the INIT phase

    def send(self, message: dict[str, Any]) -> None:
        self._channel.send_bytes(json.dumps(message).encode())

    def receive(self, timeout: float) -> dict[str, Any]:
        """The worker's next message; TimeoutError after ``timeout`` s, EOFError if it died."""
        if not self._channel.poll(timeout):
            raise TimeoutError
        return json.loads(self._channel.recv_bytes())

    def discard(self) -> int:
        """Kill the worker (timeout, crash, failed init); return its exit code."""
        self.process.kill()
        code = self.process.wait()
        self._channel.close()
        return code

    def close(self) -> None:
        """Let an idle worker exit (EOF on its channel); kill it if it does not."""
        self._channel.close()
        try:
            self.process.wait(CLOSE_GRACE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class FunctionRuntime:
    """One function of the template, invoked in up to ``concurrency`` worker processes.

    ``environment``: the template's resolved variables; ``endpoint_url``: moto's server;
    ``log_sink``: also receives what handlers print (every ``Invocation`` carries its log text
    and event for the recorder's traces).
    """

    def __init__(
        self,
        spec: FunctionSpec,
        environment: dict[str, str],
        endpoint_url: str,
        on_invocation: Callable[[Invocation], None],
        concurrency: int = 1,
        log_sink: Callable[[str], None] | None = None,
    ) -> None:
        self.spec = spec
        self.name = physical_name(spec.logical_id)
        self.arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"
        self.concurrency = concurrency
        self._environment = {
            **{k: os.environ[k] for k in PASSED_THROUGH if k in os.environ},
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            **environment,
            **self._reserved_environment(),
        }
        self._on_invocation = on_invocation
        self._log_sink = log_sink
        self._lock = threading.Condition()
        self._idle: list[_Environment] = []
        self._all: set[_Environment] = set()
        self._starting = 0
        self._closed = False

    @property
    def environment(self) -> dict[str, str]:
        """The environment each worker starts with (template values and Lambda's reserved ones)."""
        return dict(self._environment)

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the running workers."""
        with self._lock:
            return [env.process.pid for env in self._all]

    def start_environment(self) -> None:
        """Start one environment ahead of the first invocation (Lambda's proactive
        initialisation): it is still that invocation's cold start and reports its INIT phase."""
        self._release(self._acquire())

    def invoke(self, event: Any, batch_size: int = 0) -> Invocation:
        """Run the handler on ``event`` in a free worker with the function's timeout; record it."""
        request = {
            "request_id": str(uuid.uuid4()),
            "function_arn": self.arn,
            "timeout_ms": self.spec.timeout_s * 1000,
            "event": event,
        }
        environment = self._acquire()
        started_at = time.time()
        try:
            invocation = self._run(environment, request, started_at, batch_size)
        finally:
            self._release(environment)
        self._on_invocation(invocation)
        return invocation

    def close(self) -> None:
        """Stop every worker and wait for them: no process is left behind."""
        with self._lock:
            self._closed = True
            idle, busy = list(self._idle), self._all - set(self._idle)
            self._idle.clear()
            self._all.clear()
            self._lock.notify_all()
        for environment in idle:
            environment.close()
        for environment in busy:  # its invoking thread sees the worker die and discards it
            environment.process.kill()
            environment.process.wait()

    def _acquire(self) -> _Environment:
        """A warm idle worker, else a new one while under ``concurrency``, else wait for one."""
        with self._lock:
            while True:
                if self._closed:
                    raise RuntimeError(f"function {self.spec.key} is stopped")
                if self._idle:
                    return self._idle.pop()
                if len(self._all) + self._starting < self.concurrency:
                    self._starting += 1
                    break
                self._lock.wait()
        try:
            environment = _Environment(self.spec, self._worker_environment())
        finally:
            with self._lock:
                self._starting -= 1
                self._lock.notify()
        with self._lock:
            self._all.add(environment)
        return environment

    def _release(self, environment: _Environment) -> None:
        with self._lock:
            if environment in self._all and environment.process.poll() is None:
                self._idle.append(environment)
            else:
                self._all.discard(environment)
            self._lock.notify()

    def _run(
        self, environment: _Environment, request: dict[str, Any], started_at: float, batch: int
    ) -> Invocation:
        cold_start, init_ms = environment.cold, 0.0
        clock = time.perf_counter()
        try:
            if cold_start:
                environment.cold = False
                init = environment.receive(INIT_TIMEOUT_S)
                init_ms = init["init_ms"]
                if init["error"]:
                    environment.discard()
                    reply = {"outcome": "error", "value": init["error"], "duration_ms": 0.0}
                    return self._invocation(request, started_at, batch, reply, init_ms, True)
            clock = time.perf_counter()
            environment.send(request)
            reply = environment.receive(self.spec.timeout_s)
        except TimeoutError:
            environment.discard()
            reply = {"outcome": "timeout", "value": None, "duration_ms": self.spec.timeout_s * 1e3}
        except (EOFError, OSError):
            code = environment.discard()
            reply = {
                "outcome": "error",
                "value": {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request['request_id']} Error: "
                    f"Runtime exited with error: exit status {code}",
                },
                "duration_ms": (time.perf_counter() - clock) * 1000,
            }
        if reply.get("log") and self._log_sink is not None:
            self._log_sink(reply["log"])
        return self._invocation(request, started_at, batch, reply, init_ms, cold_start)

    def _invocation(
        self,
        request: dict[str, Any],
        started_at: float,
        batch_size: int,
        reply: dict[str, Any],
        init_ms: float,
        cold_start: bool,
    ) -> Invocation:
        duration_ms = reply["duration_ms"]
        billed_ms = math.ceil(duration_ms) + math.ceil(init_ms)
        outcome = reply["outcome"]
        if outcome == "error":
            error_type = reply["value"]["errorType"]
        else:
            error_type = "Task timed out" if outcome == "timeout" else ""
        platform_bytes = _platform_log_bytes(
            request["request_id"], duration_ms, billed_ms, self.spec.memory_mb, init_ms
        )
        return Invocation(
            function=self.spec.key,
            request_id=request["request_id"],
            started_at=started_at,
            outcome=outcome,
            value=reply["value"],
            error_type=error_type,
            duration_ms=duration_ms,
            billed_ms=billed_ms,
            init_ms=init_ms,
            cold_start=cold_start,
            memory_mb=self.spec.memory_mb,
            batch_size=batch_size,
            log_bytes=reply.get("log_bytes", 0) + platform_bytes,
            metrics=tuple(MetricValues.from_dict(m) for m in reply.get("metrics", ())),
            event=request["event"],
            log=reply.get("log") or "",
        )

    def _worker_environment(self) -> dict[str, str]:
        """The function's environment plus this execution environment's own log stream."""
        stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        return {**self._environment, "AWS_LAMBDA_LOG_STREAM_NAME": stream}

    def _reserved_environment(self) -> dict[str, str]:
        runtime = self.spec.runtime or "python3.13"
        return {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "LAMBDA_TASK_ROOT": str(self.spec.code_dir),
            "_HANDLER": self.spec.handler,
            "POWERTOOLS_TRACE_DISABLED": "true",
        }


def _platform_log_bytes(
    request_id: str, duration_ms: float, billed_ms: int, memory_mb: int, init_ms: float
) -> int:
    """Bytes of the START, END and REPORT lines Lambda writes for every invocation."""
    init = f"Init Duration: {init_ms:.2f} ms\t" if init_ms else ""
    lines = (
        f"START RequestId: {request_id} Version: $LATEST\n"
        f"END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {billed_ms} ms\tMemory Size: {memory_mb} MB\t"
        f"Max Memory Used: {memory_mb} MB\t{init}\n"
    )
    return len(lines.encode())
