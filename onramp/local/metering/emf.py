"""CloudWatch's reading of the embedded metric format: the metric values a log stream carries.

A log line is an EMF document when it is a JSON object with ``_aws.CloudWatchMetrics``; each
directive names a namespace, dimension sets and metrics, whose values are the document's
top-level members of the same names (a number, or an array of up to 100 numbers, each one
sample). CloudWatch's specification:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
The embedded stack's workers read their handlers' output with this, so the alarms of the
template can be judged on the metrics the code really emits. Standard library only: the
worker imports it.

Example::

    extract('{"_aws": {"CloudWatchMetrics": [{"Namespace": "Onramp", "Dimensions": '
            '[["service"]], "Metrics": [{"Name": "Registrations"}]}]}, '
            '"service": "onramp", "Registrations": [1]}')
    # [MetricValues(namespace='Onramp', name='Registrations',
    #               dimensions=(('service', 'onramp'),), values=(1.0,))]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MetricValues:
    """The samples one EMF document gives one metric series."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    values: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (the worker sends them to the runtime)."""
        return {
            "namespace": self.namespace,
            "name": self.name,
            "dimensions": [list(pair) for pair in self.dimensions],
            "values": list(self.values),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricValues:
        """The inverse of :meth:`to_dict`."""
        return cls(
            namespace=str(data["namespace"]),
            name=str(data["name"]),
            dimensions=tuple((str(k), str(v)) for k, v in data["dimensions"]),
            values=tuple(float(v) for v in data["values"]),
        )


def extract(text: str) -> list[MetricValues]:
    """Every metric series' values in ``text`` (one log event a line); other lines are skipped."""
    found: list[MetricValues] = []
    for line in text.splitlines():
        if '"_aws"' not in line or not line.lstrip().startswith("{"):
            continue
        try:
            document = json.loads(line)
            found.extend(_document_values(document))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # CloudWatch drops an invalid EMF document too
    return found


def _document_values(document: dict[str, Any]) -> list[MetricValues]:
    found = []
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            dimensions = tuple((name, str(document[name])) for name in dimension_set)
            for metric in directive["Metrics"]:
                raw = document[metric["Name"]]
                values = raw if isinstance(raw, list) else [raw]
                found.append(
                    MetricValues(
                        namespace=str(directive["Namespace"]),
                        name=str(metric["Name"]),
                        dimensions=dimensions,
                        values=tuple(float(v) for v in values),
                    )
                )
    return found
