"""Powertools Logger (JSON), Metrics (EMF) and Tracer shared by the handlers.

Metrics: ``Registrations``, ``Enrichments``, ``Provisions`` (plain counts), ``Failures``
with one low-cardinality dimension, ``reason`` (a :class:`~onboarding.status.FailureReason`),
and ``Rejections`` (4xx answers of ``POST /register``) by ``status`` (400/409/413/415).
The tracer is a no-op outside Lambda or with ``POWERTOOLS_TRACE_DISABLED=true`` (see
:mod:`onboarding.tracing`).
Never log an email, phone or name in clear: log the ``user_id`` (a pseudonymous hash).
"""

import os
import re
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from onboarding.tracing import make_tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "onramp")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Onramp")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = make_tracer(SERVICE)

Handler = TypeVar("Handler", bound=Callable[..., Any])

CORRELATION_HEADER = "x-correlation-id"
_SAFE_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def instrumented(handler: Handler) -> Handler:
    """Wrap a Lambda handler: log context (fresh per invocation), tracing, metrics flush."""
    traced = tracer.capture_lambda_handler(metrics.log_metrics(handler))
    return logger.inject_lambda_context(clear_state=True)(traced)


def count(metric: str) -> None:
    """Add 1 to ``metric`` (flushed as EMF when the handler returns)."""
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


def count_by(metric: str, dimension: str, value: str) -> None:
    """Emit ``metric`` = 1 with one extra low-cardinality dimension (its own EMF blob, so the
    invocation's other metrics keep their dimensions)."""
    with single_metric(
        name=metric,
        unit=MetricUnit.Count,
        value=1,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE},
    ) as blob:
        blob.add_dimension(name=dimension, value=value)


def count_failure(reason: str) -> None:
    """Emit ``Failures`` with dimension ``reason`` (a failure reason of the status machine)."""
    count_by("Failures", "reason", reason)


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
    """Tag every following log line with the user's id and onboarding correlation id."""
    logger.set_correlation_id(user.get("correlation_id"))
    logger.append_keys(user_id=user.get("user_id"))
