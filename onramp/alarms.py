"""Would an alarm of the template have fired on this run? Every alarm judged where it can be.

Each ``AWS::CloudWatch::Alarm`` of the template (conditions judged on the run's parameters)
is evaluated as CloudWatch does: datapoints in clock-aligned periods of its ``Period``, the
statistic of each period against the threshold, firing on ``DatapointsToAlarm`` breaching
periods among ``EvaluationPeriods`` consecutive ones (a period without data not breaching,
as ``TreatMissingData: notBreaching`` says; other missing-data rules with more than one
period are not modelled). The run supplies the metrics: Lambda's ``Duration``, ``Errors`` and
``Invocations`` from invocations.csv, the handlers' own EMF metrics (``RecordProcessingTime``,
``RecordFailures``, the sweeper's ``StuckUsers``) from metrics.csv, the dead-letter queue's
depth from the verdict. An
anomaly-detection alarm needs CloudWatch's model trained on weeks of the metric: a local run
cannot judge it, and says so.

A percentile on fewer than ``INDICATIVE_BELOW`` samples is *indicative*: shown with its
sample size, it does not fail the verdict on its own (p99 of 22 values is the largest or the
second largest, not a tail).

Example::

    checks = judge_alarms(template, invocations, metrics, dead_letters=0)
    [c.alarm for c in checks if c.fires]          # ['ProvisionRecordTimeAlarm']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kernel.sam_template import Resolver, load_template, resources_of_type

INDICATIVE_BELOW = 100
"""Samples a percentile needs in a period to count as a measurement, not an indication."""
METRICS_CSV = "metrics.csv"
METRIC_COLUMNS = ("function", "start", "namespace", "metric", "dimensions", "value")
RATE = re.compile(r"^IF\((\w+) > 0, 100 \* FILL\((\w+), 0\) / (\w+), 0\)$")
"""The template's rate expression: ``IF(total > 0, 100 * FILL(part, 0) / total, 0)``."""
COMPARISONS = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


@dataclass(frozen=True)
class AlarmCheck:
    """One alarm's verdict on the run: its worst period's value and how sure that is."""

    alarm: str
    description: str
    threshold: float | None
    """None for an anomaly-detection alarm (its threshold is the model's band)."""
    value: float | None
    """The worst period's value (None: not judged or no data)."""
    samples: int
    """Datapoints behind that value (invocations, records, ...)."""
    judged: bool
    breached: bool
    """The worst period is over the threshold, however few its samples."""
    fires: bool
    """A period breached on a measured (not indicative) value: the alarm would fire."""
    indicative: bool
    """The worst value is a percentile on fewer than INDICATIVE_BELOW samples."""
    note: str = ""

    @property
    def state(self) -> str:
        """``FIRES``, ``ok``, ``indicative breach`` (over on too few samples), ``not judged``."""
        if not self.judged:
            return "not judged"
        if self.fires:
            return "FIRES"
        return "indicative breach" if self.breached and self.indicative else "ok"

    def row(self) -> dict[str, Any]:
        """The check as a table row / JSON object."""
        return {**asdict(self), "state": self.state}


def judge_alarms(
    template: Path | str,
    invocations: pd.DataFrame,
    metrics: pd.DataFrame,
    dead_letters: int,
    parameters: Mapping[str, Any] | None = None,
) -> list[AlarmCheck]:
    """Every alarm of ``template`` judged on the run; see the module docstring."""
    document = load_template(Path(template))
    resolver = Resolver(document, refs=dict(parameters or {}))
    source = _RunMetrics(invocations, metrics, dead_letters)
    checks = []
    for logical_id, resource in resources_of_type(document, "AWS::CloudWatch::Alarm").items():
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        checks.append(_judge(logical_id, resource["Properties"], source))
    return checks


def read_metrics(run_dir: Path | str) -> pd.DataFrame:
    """metrics.csv of a run (one row per EMF value); empty when the run has none."""
    path = Path(run_dir) / METRICS_CSV
    if not path.exists():
        return pd.DataFrame(columns=list(METRIC_COLUMNS))
    frame = pd.read_csv(path)
    frame["start"] = pd.to_datetime(frame["start"], utc=True, format="ISO8601")
    return frame


def _judge(logical_id: str, props: Mapping[str, Any], source: _RunMetrics) -> AlarmCheck:
    threshold = float(props["Threshold"]) if "Threshold" in props else None
    base = {"alarm": logical_id, "description": str(props.get("AlarmDescription", ""))}
    compare = COMPARISONS.get(str(props.get("ComparisonOperator")))
    if "ANOMALY_DETECTION_BAND" in json.dumps(props.get("Metrics", [])):
        return _no_value(base, threshold, "anomaly band: needs a model of weeks of data", False)
    evaluation = int(props.get("EvaluationPeriods", 1))
    needed = int(props.get("DatapointsToAlarm", evaluation))
    missing = str(props.get("TreatMissingData", "missing"))
    if compare is None or threshold is None or (evaluation > 1 and missing != "notBreaching"):
        return _no_value(base, threshold, "this alarm's evaluation is not modelled", False)
    if "Metrics" in props:
        periods = _rate_periods(props["Metrics"], source)
    else:
        stat = str(props.get("ExtendedStatistic") or props.get("Statistic"))
        periods = source.periods(props, stat)
    if periods is None:
        return _no_value(base, threshold, "no local source for this metric", False)
    values = list(periods.values())
    if not values:
        return _no_value(base, threshold, "no datapoints in the run", True)
    statistic = str(props.get("ExtendedStatistic", ""))
    few = statistic.startswith("p")
    measured = [(v, n) for v, n in values if not (few and n < INDICATIVE_BELOW)]
    breaching = {p for p, (v, n) in periods.items() if (v, n) in measured and compare(v, threshold)}
    fires = _m_of_n(breaching, needed, evaluation)
    # the worst period: a measured breach first, else the highest over (or nearest) the line
    value, samples = max(
        values, key=lambda p: (fires and p in measured, compare(p[0], threshold), p[0])
    )
    indicative = few and samples < INDICATIVE_BELOW
    note = f"{statistic} of {samples} samples: indicative" if indicative else ""
    if evaluation > 1 and breaching and not fires:
        note = f"{len(breaching)} breaching period(s); fires on {needed} of {evaluation} in a row"
    return AlarmCheck(
        **base,
        threshold=threshold,
        value=round(float(value), 2),
        samples=int(samples),
        judged=True,
        breached=bool(compare(value, threshold)),
        fires=fires,
        indicative=bool(indicative),
        note=note,
    )


def _m_of_n(breaching: set[int], needed: int, evaluation: int) -> bool:
    """CloudWatch's "M out of N": ``needed`` breaching periods among ``evaluation`` consecutive
    ones; a period with no datapoint is not breaching (TreatMissingData notBreaching)."""
    return any(
        sum(1 for p in range(start, start + evaluation) if p in breaching) >= needed
        for start in {p - offset for p in breaching for offset in range(evaluation)}
    )


def _no_value(base: dict[str, str], threshold: float | None, note: str, judged: bool) -> AlarmCheck:
    """A check without a value: not judged (no local source) or no datapoint (cannot fire)."""
    return AlarmCheck(
        **base,
        threshold=threshold,
        value=None,
        samples=0,
        judged=judged,
        breached=False,
        fires=False,
        indicative=False,
        note=note,
    )


def _rate_periods(
    queries: list[Mapping[str, Any]], source: _RunMetrics
) -> dict[int, tuple[float, int]] | None:
    """Per period: the rate expression's value and its denominator (the sample size)."""
    expressions = [str(q["Expression"]) for q in queries if "Expression" in q]
    match = RATE.match(expressions[0]) if len(expressions) == 1 else None
    if not match:
        return None
    total_id, part_id, total_again = match.groups()
    stats = {}
    for query in queries:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            per = source.periods({**stat["Metric"], "Period": stat["Period"]}, stat["Stat"])
            if per is None:
                return None
            stats[query["Id"]] = per
    if total_id != total_again or not {total_id, part_id} <= stats.keys():
        return None
    parts = stats[part_id]
    return {
        period: (100 * parts.get(period, (0.0, 0))[0] / total if total > 0 else 0.0, int(total))
        for period, (total, _) in stats[total_id].items()
    }


class _RunMetrics:
    """The run's datapoints of the metrics the template's alarms watch."""

    def __init__(self, invocations: pd.DataFrame, metrics: pd.DataFrame, dead_letters: int):
        self._invocations = invocations
        self._metrics = metrics
        self._dead_letters = dead_letters

    def periods(self, metric: Mapping[str, Any], stat: str) -> dict[int, tuple[float, int]] | None:
        """``stat`` of each clock-aligned period (period index -> (value, samples)); None when
        the run has no source for the metric."""
        points = self._points(metric)
        if points is None:
            return None
        period_s = int(metric.get("Period", 300))
        by_period: dict[int, list[float]] = {}
        for moment, value in points:
            by_period.setdefault(int(moment // period_s), []).append(value)
        return {p: (_statistic(stat, values), len(values)) for p, values in by_period.items()}

    def _points(self, metric: Mapping[str, Any]) -> list[tuple[float, float]] | None:
        namespace, name = metric.get("Namespace"), metric.get("MetricName")
        dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
        if namespace == "AWS/SQS" and name == "ApproximateNumberOfMessagesVisible":
            return [(0.0, float(self._dead_letters))]
        if "FunctionName" not in dimensions:  # a custom metric of the stack as a whole
            return self._custom_points(str(namespace), str(name), dimensions)
        function = _function_key(dimensions.get("FunctionName"))
        if function is None:
            return None
        if namespace == "AWS/Lambda":
            mine = self._invocations[self._invocations["function"] == function]
            moments = mine["start"].map(pd.Timestamp.timestamp).to_numpy(dtype=float)
            values = {
                "Duration": mine["duration_ms"].to_numpy(dtype=float),
                "Errors": (mine["outcome"] != "ok").to_numpy(dtype=float),
                "Invocations": np.ones(len(mine)),
            }.get(str(name))
            return None if values is None else list(zip(moments, values, strict=True))
        rows = self._metrics[
            (self._metrics["function"] == function)
            & (self._metrics["namespace"] == namespace)
            & (self._metrics["metric"] == name)
        ]
        return _row_points(rows)

    def _custom_points(
        self, namespace: str, name: str, dimensions: dict[str, Any]
    ) -> list[tuple[float, float]] | None:
        """EMF values of any function with exactly these dimensions (the sweeper's StuckUsers)."""
        if not namespace or namespace.startswith("AWS/"):
            return None
        rows = self._metrics[
            (self._metrics["namespace"] == namespace)
            & (self._metrics["metric"] == name)
            & (self._metrics["dimensions"] == dimensions_text(tuple(dimensions.items())))
        ]
        return _row_points(rows)


def _row_points(rows: pd.DataFrame) -> list[tuple[float, float]]:
    """(moment, value) of each metric row (EMF values of one series)."""
    moments = rows["start"].map(pd.Timestamp.timestamp).to_numpy(dtype=float)
    return list(zip(moments, rows["value"].to_numpy(dtype=float), strict=True))


def _function_key(value: Any) -> str | None:
    """``{"Ref": "EnrichFunction"}`` -> ``enrich`` (the run's function key)."""
    if isinstance(value, Mapping) and str(value.get("Ref", "")).endswith("Function"):
        return str(value["Ref"]).removesuffix("Function").lower()
    return None


def _statistic(stat: str, values: list[float]) -> float:
    if stat == "Sum":
        return float(sum(values))
    if stat == "SampleCount":
        return float(len(values))
    if stat == "Maximum":
        return float(max(values))
    if stat == "Average":
        return float(np.mean(values))
    if stat.startswith("p"):
        return float(np.percentile(values, float(stat[1:])))
    raise ValueError(f"statistic {stat!r} is not supported")


def dimensions_text(dimensions: tuple[tuple[str, str], ...]) -> str:
    """A metric's dimensions as one CSV cell (JSON object, keys sorted)."""
    return json.dumps(dict(dimensions), sort_keys=True)
