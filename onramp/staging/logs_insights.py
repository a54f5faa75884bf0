"""Lambda REPORT lines summed by CloudWatch Logs Insights, one query for every function.

Each invocation ends with a REPORT line (``Billed Duration``, ``Init Duration`` on a cold
start, ``Max Memory Used``); Insights parses them into ``@billedDuration``,
``@initDuration`` and ``@maxMemoryUsed`` (bytes). Insights bills $0.005 per GB scanned.

Example::

    usage = report_usage(aws.client("logs"), {"register": "/aws/lambda/fn"}, window)
    usage["register"].billed_ms_total
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kernel.errors import UsageError
from onramp.staging.backoff import call_with_backoff
from onramp.staging.timewindow import Window

REPORT_QUERY = (
    'filter @type = "REPORT"'
    " | stats sum(@billedDuration) as billed_ms, sum(@initDuration) as init_ms,"
    " count(@initDuration) as cold_starts, max(@maxMemoryUsed / 1000 / 1000) as max_memory_mb,"
    " count(*) as reports by @log"
)
MAX_LOG_GROUPS_PER_QUERY = 50
DONE = frozenset({"Complete", "Failed", "Cancelled", "Timeout", "Unknown"})


@dataclass(frozen=True)
class ReportUsage:
    """What one function's REPORT lines add up to over the window."""

    reports: int
    billed_ms_total: float
    init_ms_total: float
    cold_starts: int
    max_memory_used_mb: float | None


def report_usage(
    logs: Any,
    log_groups: Mapping[str, str],
    window: Window,
    *,
    poll_s: float = 1.0,
    timeout_s: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, ReportUsage]:
    """REPORT totals per function key (``log_groups``: key -> log group name).

    A function whose log group is missing or had no REPORT line in the window is absent.
    """
    by_group = {group: key for key, group in log_groups.items()}
    usage: dict[str, ReportUsage] = {}
    groups = [group for group in by_group if _exists(logs, group)]
    for start in range(0, len(groups), MAX_LOG_GROUPS_PER_QUERY):
        batch = groups[start : start + MAX_LOG_GROUPS_PER_QUERY]
        rows = _run_query(logs, batch, window, poll_s, timeout_s, sleep)
        for row in rows:
            group = row["@log"].split(":", 1)[-1]
            if group in by_group:
                usage[by_group[group]] = _usage(row)
    return usage


def _exists(logs: Any, group: str) -> bool:
    """StartQuery fails on a missing log group (a function never invoked has none)."""
    found = call_with_backoff(logs.describe_log_groups, logGroupNamePrefix=group)["logGroups"]
    return any(g["logGroupName"] == group for g in found)


def _run_query(
    logs: Any,
    groups: list[str],
    window: Window,
    poll_s: float,
    timeout_s: float,
    sleep: Callable[[float], None],
) -> list[dict[str, str]]:
    query_id = call_with_backoff(
        logs.start_query,
        sleep=sleep,
        logGroupNames=groups,
        startTime=int(window.start.timestamp()),
        endTime=int(window.end.timestamp()),
        queryString=REPORT_QUERY,
        limit=10000,
    )["queryId"]
    waited = 0.0
    while True:
        response = call_with_backoff(logs.get_query_results, sleep=sleep, queryId=query_id)
        status = response["status"]
        if status in DONE:
            break
        if waited >= timeout_s:
            logs.stop_query(queryId=query_id)
            raise UsageError(f"Logs Insights query {query_id} still {status} after {timeout_s} s")
        sleep(poll_s)
        waited += poll_s
    if status != "Complete":
        raise UsageError(f"Logs Insights query {query_id} ended {status} ({', '.join(groups)})")
    return [{f["field"]: f["value"] for f in row} for row in response.get("results", [])]


def _usage(row: Mapping[str, str]) -> ReportUsage:
    def number(name: str) -> float:
        return float(row.get(name) or 0)

    memory = row.get("max_memory_mb")
    return ReportUsage(
        reports=round(number("reports")),
        billed_ms_total=number("billed_ms"),
        init_ms_total=number("init_ms"),
        cold_starts=round(number("cold_starts")),
        max_memory_used_mb=float(memory) if memory else None,
    )
