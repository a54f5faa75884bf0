"""Powertools Logger (JSON), Metrics (EMF) and Tracer shared by the handlers.

Metrics: the table in :mod:`onboarding.domain.metric_catalog` (the cost model counts its series):
``Registrations``, ``Enrichments``, ``Provisions`` (plain counts), ``Failures`` by ``reason``,
``Rejections`` by ``status``, per stream function ``RecordProcessingTime`` and
``RecordFailures`` (:mod:`onboarding.handlers.stream`), and the sweeper's ``StuckUsers``.
Stream records run on worker threads, so the shared metric set is changed under a lock and
log keys are bound per thread.
The tracer is a no-op outside Lambda or with ``POWERTOOLS_TRACE_DISABLED=true`` (see
:mod:`onboarding.adapters.tracing`).
Never log an email, phone or name in clear: log the ``user_id`` (a pseudonymous hash).
"""

import os
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit, single_metric

from onboarding.adapters.tracing import make_tracer
from onboarding.domain.metric_catalog import (
    FAILURES,
    FUNCTION_DIMENSION,
    RECORD_FAILURES,
    RECORD_PROCESSING_TIME,
    MetricSpec,
)

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "onramp")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Onramp")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = make_tracer(SERVICE)
_metrics_lock = threading.Lock()

Handler = TypeVar("Handler", bound=Callable[..., Any])

CORRELATION_HEADER = "x-correlation-id"
_SAFE_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def instrumented(handler: Handler) -> Handler:
    """Wrap a Lambda handler: log context (fresh per invocation), tracing, metrics flush."""
    traced = tracer.capture_lambda_handler(metrics.log_metrics(handler))
    return logger.inject_lambda_context(clear_state=True)(traced)


def count(metric: MetricSpec) -> None:
    """Add 1 to ``metric`` (flushed as EMF when the handler returns)."""
    with _metrics_lock:
        metrics.add_metric(name=metric.name, unit=MetricUnit.Count, value=1)


def count_by(metric: MetricSpec, value: str) -> None:
    """Emit ``metric`` = 1 with its dimension set to ``value`` (one of the table's values), in
    its own EMF blob, so the invocation's other metrics keep their dimensions."""
    if value not in metric.values:
        raise ValueError(f"{metric.name}: {value!r} is not one of {metric.values}")
    with single_metric(
        name=metric.name,
        unit=MetricUnit.Count,
        value=1,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE},
    ) as blob:
        blob.add_dimension(name=str(metric.dimension), value=value)


def gauge(metric: MetricSpec, value: float) -> None:
    """Emit ``metric`` = ``value`` (its unit from the table) in its own EMF blob."""
    with single_metric(
        name=metric.name,
        unit=MetricUnit(metric.unit),
        value=value,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE},
    ):
        pass


def count_failure(reason: str) -> None:
    """Emit ``Failures`` with dimension ``reason`` (a failure reason of the status machine)."""
    count_by(FAILURES, str(reason))


def emit_record_metrics(record_ms: Sequence[float], failures: int) -> None:
    """One EMF blob per batch: each record's processing time and the batch's failed records,
    with the ``FunctionName`` dimension (the alarms' per-record view of a stream function)."""
    blob = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", SERVICE)
    blob.add_dimension(name=FUNCTION_DIMENSION, value=function)
    for value in record_ms:
        blob.add_metric(
            name=RECORD_PROCESSING_TIME.name, unit=MetricUnit.Milliseconds, value=round(value, 3)
        )
    blob.add_metric(name=RECORD_FAILURES.name, unit=MetricUnit.Count, value=failures)
    blob.flush_metrics()


def correlation_id_from_request(headers: dict[str, Any], request_id: str) -> str:
    """The caller's ``x-correlation-id`` if it is safe (``[A-Za-z0-9._:-]{1,64}``), else the
    API Gateway request id.

    >>> correlation_id_from_request({"x-correlation-id": "abc-1"}, "req")
    'abc-1'
    """
    candidate = next(
        (str(value) for key, value in headers.items() if key.lower() == CORRELATION_HEADER), ""
    )
    return candidate if _SAFE_CORRELATION_ID.match(candidate) else request_id


def bind_user(user: dict[str, Any]) -> None:
    """Tag this thread's following log lines with the user's id and correlation id (stream
    records of one batch run on worker threads side by side)."""
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(
        correlation_id=user.get("correlation_id"), user_id=user.get("user_id")
    )
