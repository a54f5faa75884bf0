"""One Lambda execution environment: a subprocess that imports a handler once and serves it.

Run as ``python -m onramp.local.runtime.worker <channel-fd> <handler> [--tee]`` by ``invoker``, with
the function's whole environment (template variables, Lambda's reserved variables,
``AWS_ENDPOINT_URL`` of moto's server, fake credentials) and ``LAMBDA_TASK_ROOT`` (the
function's ``CodeUri``) put on ``sys.path``, as Lambda's Python runtime does.

Protocol on the inherited socket ``<channel-fd>`` (``multiprocessing.connection`` framing,
JSON messages), never on stdout: fd 1 and fd 2 point at a capture file from the start, so
whatever the handler prints (Powertools' logger included) is counted, not mixed into the
protocol.

- worker -> parent, once: ``{"init_ms": float, "error": {...} | null}`` after the import
  (the INIT phase; an import error ends the environment, as on Lambda).
- parent -> worker: ``{"request_id": str, "function_arn": str, "timeout_ms": int,
  "event": ...}``.
- worker -> parent: ``{"outcome": "ok" | "error", "value": ..., "duration_ms": float,
  "log_bytes": int, "log": str | null, "metrics": [...]}``; for an error ``value`` is
  Lambda's error payload (``errorType``, ``errorMessage``, ``stackTrace``). ``log`` carries
  the captured text only with ``--tee``; ``metrics`` are the EMF values in it, as
  CloudWatch would extract them (:mod:`onramp.local.metering.emf`). The INIT phase's output is
  counted with the first invocation.

The parent enforces the timeout (it kills this process) and ends it by closing the socket.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, BinaryIO

from onramp.local.faults.plan import PLAN_VARIABLE as FAULT_PLAN_VARIABLE
from onramp.local.metering.emf import extract as extract_metrics


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


def error_payload(exc: BaseException) -> dict[str, Any]:
    """Lambda's function-error payload for an exception."""
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


class _OutputCapture:
    """fd 1 and fd 2 redirected to one unlinked file; ``take()`` returns what was written."""

    def __init__(self) -> None:
        self._file: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as we do)
        for fd in (1, 2):
            os.dup2(self._file.fileno(), fd)

    def take(self) -> tuple[int, str]:
        """Bytes written since the last call and their text; start over."""
        sys.stdout.flush()
        sys.stderr.flush()
        size = os.fstat(self._file.fileno()).st_size
        text = ""
        if size:
            text = os.pread(self._file.fileno(), size, 0).decode("utf-8", "replace")
        os.ftruncate(self._file.fileno(), 0)
        os.lseek(self._file.fileno(), 0, os.SEEK_SET)
        return size, text


def _load(handler: str) -> tuple[Callable[[Any, Any], Any] | None, float, dict[str, Any] | None]:
    """Import the handler (the INIT phase): the function, init ms, and Lambda's error if any."""
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "")
    if task_root and task_root not in sys.path:
        sys.path.insert(0, task_root)
    module_name, _, function_name = handler.rpartition(".")
    started = time.perf_counter()
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:  # reported as Lambda's Runtime.ImportModuleError
        _log_error(exc)
        error = {**error_payload(exc), "errorType": "Runtime.ImportModuleError"}
        return None, (time.perf_counter() - started) * 1000, error
    return function, (time.perf_counter() - started) * 1000, None


def _context(request: dict[str, Any]) -> LambdaContext:
    return LambdaContext(
        function_name=os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        function_version=os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        invoked_function_arn=request["function_arn"],
        memory_limit_in_mb=int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]),
        aws_request_id=request["request_id"],
        log_group_name=os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", ""),
        log_stream_name=os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", ""),
        deadline=time.monotonic() + request["timeout_ms"] / 1000,
    )


def _log_error(exc: BaseException) -> None:
    """Write the error to the log stream, as Lambda's Python runtime does."""
    print(f"[ERROR] {type(exc).__name__}: {exc}", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)


def _invoke(function: Callable[[Any, Any], Any], request: dict[str, Any]) -> dict[str, Any]:
    context = _context(request)
    started = time.perf_counter()
    try:
        value = function(request["event"], context)
        body = json.dumps(value)  # Lambda serialises the result; failing that is an error
    except Exception as exc:  # the function's error, reported as Lambda does
        _log_error(exc)
        duration_ms = (time.perf_counter() - started) * 1000
        return {"outcome": "error", "value": error_payload(exc), "duration_ms": duration_ms}
    duration_ms = (time.perf_counter() - started) * 1000
    return {"outcome": "ok", "value": json.loads(body), "duration_ms": duration_ms}


def serve(channel_fd: int, handler: str, tee: bool) -> None:
    """Import ``handler``, report the INIT phase, then answer invocations until EOF."""
    for signum in (signal.SIGINT, signal.SIGTERM):  # the parent's to handle: it stops us
        signal.signal(signum, signal.SIG_IGN)
    channel = Connection(channel_fd)
    capture = _OutputCapture()
    if FAULT_PLAN_VARIABLE in os.environ:  # fault injection of the local runtime (docs/faults.md)
        from onramp.local.faults.hooks import install_from_environment

        install_from_environment()
    function, init_ms, error = _load(handler)
    channel.send_bytes(json.dumps({"init_ms": init_ms, "error": error}).encode())
    if function is None:
        return
    while True:
        try:
            request = json.loads(channel.recv_bytes())
        except EOFError:
            return
        reply = _invoke(function, request)
        reply["log_bytes"], text = capture.take()
        reply["log"] = text if tee and text else None
        reply["metrics"] = [values.to_dict() for values in extract_metrics(text)]
        channel.send_bytes(json.dumps(reply).encode())


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], "--tee" in sys.argv[3:])
