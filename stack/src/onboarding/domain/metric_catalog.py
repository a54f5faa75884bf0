"""Every custom metric the handlers emit (EMF), in one table; the cost model reads it too.

Standard library only: ``costmodel.pricing.custom_metrics`` loads this file from the template's
``CodeUri`` to count the metric series CloudWatch bills. A series is one metric name with
one set of dimension values; each carries the ``service`` dimension (Powertools' default),
so a metric with an extra dimension is one series per value of it. ``per_stream_function``
metrics carry ``FunctionName`` instead of a fixed value set: one series per stream function
of the template. ``every_hour`` metrics are emitted by every scheduled sweep, zero
included, so they have data in every hour of the month (CloudWatch bills a custom metric
by the hours it has data: these are a fixed cost, the others follow the traffic).

Example::

    [m.name for m in METRICS]           # ['Registrations', ..., 'StuckUsers']
    series_count(stream_functions=2)    # 19
    every_hour_series_count()           # 1
"""

from dataclasses import dataclass

from onboarding.domain.status import FailureReason

COUNT = "Count"
MILLISECONDS = "Milliseconds"
REJECTION_STATUSES = ("400", "413", "415", "429")
"""The 4xx answers of ``POST /register`` (onboarding.handlers.register)."""
FUNCTION_DIMENSION = "FunctionName"
"""Same name and value as AWS/Lambda's dimension: the Lambda function's name."""


@dataclass(frozen=True)
class MetricSpec:
    """One custom metric: name, EMF unit, and the extra dimension that splits it in series."""

    name: str
    unit: str
    dimension: str | None = None
    values: tuple[str, ...] = ()
    per_stream_function: bool = False
    every_hour: bool = False

    def series(self, stream_functions: int) -> int:
        """How many metric series this metric has in a stack with that many stream functions."""
        if self.per_stream_function:
            return stream_functions
        return len(self.values) if self.dimension else 1


REGISTRATIONS = MetricSpec("Registrations", COUNT)
ENRICHMENTS = MetricSpec("Enrichments", COUNT)
PROVISIONS = MetricSpec("Provisions", COUNT)
FAILURES = MetricSpec("Failures", COUNT, "reason", tuple(str(r) for r in FailureReason))
REJECTIONS = MetricSpec("Rejections", COUNT, "status", REJECTION_STATUSES)
RECORD_PROCESSING_TIME = MetricSpec(
    "RecordProcessingTime", MILLISECONDS, FUNCTION_DIMENSION, per_stream_function=True
)
"""Milliseconds one stream record took in its record handler (one value per record)."""
RECORD_FAILURES = MetricSpec("RecordFailures", COUNT, FUNCTION_DIMENSION, per_stream_function=True)
"""Records of a batch reported in ``batchItemFailures`` (0 included, once per batch)."""

STUCK_USERS = MetricSpec("StuckUsers", COUNT, every_hour=True)
"""Users a sweep found in flight longer than the bound (onboarding.handlers.sweeper), once per
sweep, 0 included; the stuck-users alarm watches it."""

METRICS: tuple[MetricSpec, ...] = (
    REGISTRATIONS,
    ENRICHMENTS,
    PROVISIONS,
    FAILURES,
    REJECTIONS,
    RECORD_PROCESSING_TIME,
    RECORD_FAILURES,
    STUCK_USERS,
)


def series_count(stream_functions: int) -> int:
    """Metric series of the whole table for a stack with ``stream_functions`` stream functions."""
    return sum(metric.series(stream_functions) for metric in METRICS)


def every_hour_series_count() -> int:
    """Metric series with data in every hour whatever the traffic (the sweep's)."""
    return sum(metric.series(0) for metric in METRICS if metric.every_hour)
