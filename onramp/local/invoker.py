"""Invoke Lambda handlers in-process, as the Lambda runtime would, and time them.

Each function's module is imported from its ``CodeUri`` on first use (that import is its
cold start: ``init_ms``). Invocations run on their own thread, joined with the function's
timeout: a handler that outlives it is reported as ``timeout`` (Python cannot kill the
thread; it finishes in the background). All functions share one process, so each
invocation runs under one lock with its own environment (template variables plus Lambda's
reserved ones) set in ``os.environ``: correct for handlers that read the environment at
call time or import, at the price of one invocation at a time.

Example::

    runtime = FunctionRuntime(spec, env, log_capture, on_invocation=recorder.add_invocation)
    result = runtime.invoke({"version": "2.0", ...})
    result.outcome, result.value, result.duration_ms
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onramp.local.aws_server import ACCOUNT_ID, REGION
from onramp.local.log_capture import LogCapture
from onramp.local.resources import physical_name
from onramp.sam_template import FunctionSpec

_INVOCATION_LOCK = threading.Lock()


@dataclass(frozen=True)
class LambdaContext:
    """The context object a Python handler receives (the attributes Lambda documents)."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out."""
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Invocation:
    """What one invocation did: the result and everything the cost model needs."""

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

    @property
    def failed(self) -> bool:
        """True when Lambda would report a function error (exception or timeout)."""
        return self.outcome != "ok"


class FunctionRuntime:
    """One function of the template, ready to be invoked in this process."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: dict[str, str],
        log_capture: LogCapture,
        on_invocation: Callable[[Invocation], None],
    ) -> None:
        self.spec = spec
        self.name = physical_name(spec.logical_id)
        self.arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"
        self._environment = {**environment, **self._reserved_environment()}
        self._log_capture = log_capture
        self._on_invocation = on_invocation
        self._handler: Callable[[Any, Any], Any] | None = None

    @property
    def environment(self) -> dict[str, str]:
        """The environment each invocation sees (template values and Lambda's reserved ones)."""
        return dict(self._environment)

    def invoke(self, event: Any, batch_size: int = 0) -> Invocation:
        """Run the handler on ``event`` with the function's timeout; record and return it."""
        with _INVOCATION_LOCK:
            _apply_environment(self._environment)
            cold_start = self._handler is None
            init_ms = self._load() if cold_start else 0.0
            invocation = self._run(event, batch_size, init_ms, cold_start)
        self._on_invocation(invocation)
        return invocation

    def _load(self) -> float:
        """Import the handler's module (the cold start) and return the init time in ms."""
        module_name, _, function_name = self.spec.handler.rpartition(".")
        code_dir = str(self.spec.code_dir)
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
        started = time.perf_counter()
        self._log_capture.begin()
        try:
            module = importlib.import_module(module_name)
        finally:
            self._log_capture.end()
        self._handler = getattr(module, function_name)
        return (time.perf_counter() - started) * 1000

    def _run(self, event: Any, batch_size: int, init_ms: float, cold_start: bool) -> Invocation:
        request_id = str(uuid.uuid4())
        started_at = time.time()
        context = LambdaContext(
            function_name=self.name,
            function_version="$LATEST",
            invoked_function_arn=self.arn,
            memory_limit_in_mb=self.spec.memory_mb,
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{self.name}",
            log_stream_name=f"local/[$LATEST]{request_id.replace('-', '')}",
            deadline=time.monotonic() + self.spec.timeout_s,
        )
        outcome: dict[str, Any] = {
            "outcome": "timeout",
            "value": None,
            "error_type": "",
            "bytes": 0,
        }

        def target() -> None:
            self._log_capture.begin()
            try:
                value = self._handler(event, context)  # type: ignore[misc]
                outcome.update(outcome="ok", value=json.loads(json.dumps(value)))
            except Exception as exc:  # the function's error, reported as Lambda does
                outcome.update(outcome="error", error_type=type(exc).__name__)
            finally:
                outcome["bytes"] = self._log_capture.end()

        worker = threading.Thread(target=target, name=f"onramp-invoke-{self.spec.key}", daemon=True)
        clock = time.perf_counter()
        worker.start()
        worker.join(self.spec.timeout_s)
        duration_ms = (time.perf_counter() - clock) * 1000
        if worker.is_alive():
            duration_ms = self.spec.timeout_s * 1000.0
            outcome.update(outcome="timeout", error_type="Task timed out")
        billed_ms = math.ceil(duration_ms) + math.ceil(init_ms)
        return Invocation(
            function=self.spec.key,
            request_id=request_id,
            started_at=started_at,
            outcome=outcome["outcome"],
            value=outcome["value"],
            error_type=outcome["error_type"],
            duration_ms=duration_ms,
            billed_ms=billed_ms,
            init_ms=init_ms,
            cold_start=cold_start,
            memory_mb=self.spec.memory_mb,
            batch_size=batch_size,
            log_bytes=outcome["bytes"]
            + _platform_log_bytes(request_id, duration_ms, billed_ms, self.spec.memory_mb, init_ms),
        )

    def _reserved_environment(self) -> dict[str, str]:
        runtime = self.spec.runtime or "python3.13"
        return {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "LAMBDA_TASK_ROOT": str(self.spec.code_dir),
            "_HANDLER": self.spec.handler,
            "POWERTOOLS_TRACE_DISABLED": "true",
        }


def purge_modules(code_dirs: Iterable[Path]) -> None:
    """Forget modules imported from these code directories, so the next import is a cold start.

    Handler modules cache boto3 clients bound to a previous server's endpoint; a new stack
    must import them afresh.
    """
    roots = [str(Path(d).resolve()) for d in code_dirs]
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if any(location.startswith(root + os.sep) for root in roots):
            del sys.modules[name]


_managed_keys: set[str] = set()


def _apply_environment(environment: dict[str, str]) -> None:
    """Set one function's variables; unset those another function set and this one lacks."""
    for name in _managed_keys - environment.keys():
        os.environ.pop(name, None)
    os.environ.update(environment)
    _managed_keys.update(environment)


def restore_environment(saved: dict[str, str | None]) -> None:
    """Undo every variable set for invocations (``saved``: the values before the stack)."""
    for name in list(_managed_keys):
        value = saved.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _managed_keys.clear()


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
