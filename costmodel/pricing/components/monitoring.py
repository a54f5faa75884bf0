"""Monitoring: CloudWatch (alarms, custom metrics, logs) and X-Ray traces."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costmodel.pricing.arithmetic import Arithmetic
from costmodel.pricing.components import Metered, Service, metered, number

METRICS_PER_ANOMALY_ALARM = 3


def meter_cloudwatch(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """Alarm metrics (an anomaly-detection alarm counts as 3), custom metrics, logs."""
    lines = metered(num, ("alarm_metrics", resource["alarm_metrics"]))
    anomaly = resource["anomaly_alarms"] * METRICS_PER_ANOMALY_ALARM
    if not num.always_zero(anomaly):
        lines.append(Metered("alarm_metrics", anomaly, "alarm_metrics (anomaly detection, x3)"))
    return lines + metered(
        num,
        ("high_resolution_alarm_metrics", resource["high_resolution_alarm_metrics"]),
        ("custom_metrics", resource["custom_metrics"]),
        ("log_ingest", resource["log_ingest_gb"]),
        ("log_storage", resource["log_storage_gb"]),
        ("log_insights_scanned", resource["log_insights_gb"]),
    )


def meter_xray(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """X-Ray traces recorded and traces retrieved or scanned."""
    return metered(
        num,
        ("traces_recorded", resource["traces_recorded"]),
        ("traces_retrieved", resource["traces_retrieved"]),
    )


CLOUDWATCH = Service(
    "cloudwatch",
    {
        "alarm_metrics": number(doc="standard-resolution alarm metrics"),
        "high_resolution_alarm_metrics": number(),
        "anomaly_alarms": number(doc="anomaly-detection alarms (3 alarm metrics each)"),
        "custom_metrics": number(),
        "log_ingest_gb": number(),
        "log_storage_gb": number(doc="GB-month stored"),
        "log_insights_gb": number(doc="GB scanned by Logs Insights"),
    },
    meter_cloudwatch,
)
XRAY = Service("xray", {"traces_recorded": number(), "traces_retrieved": number()}, meter_xray)
