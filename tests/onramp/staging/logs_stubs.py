"""Logs Insights answers in the API's real shape, queued on a botocore Stubber."""

from __future__ import annotations

from botocore.stub import ANY, Stubber

from onramp.staging.logs_insights import REPORT_QUERY

ACCOUNT = "123456789012"


def report_row(log_group: str, **fields: str) -> list[dict[str, str]]:
    """One ``stats ... by @log`` result row."""
    return [{"field": "@log", "value": f"{ACCOUNT}:{log_group}"}] + [
        {"field": name, "value": value} for name, value in fields.items()
    ]


def queue_report_query(
    stub: Stubber, groups: list[str], rows: list[list[dict[str, str]]], running_polls: int = 1
) -> None:
    """describe_log_groups per group, start_query, ``running_polls`` Running, then Complete."""
    for group in groups:
        stub.add_response(
            "describe_log_groups",
            {"logGroups": [{"logGroupName": group, "storedBytes": 1}]},
            {"logGroupNamePrefix": group},
        )
    stub.add_response(
        "start_query",
        {"queryId": "q-1"},
        {
            "logGroupNames": groups,
            "startTime": ANY,
            "endTime": ANY,
            "queryString": REPORT_QUERY,
            "limit": 10000,
        },
    )
    for _ in range(running_polls):
        stub.add_response("get_query_results", {"status": "Running", "results": []})
    stub.add_response(
        "get_query_results",
        {
            "status": "Complete",
            "results": rows,
            "statistics": {"recordsMatched": 3.0, "recordsScanned": 9.0, "bytesScanned": 900.0},
        },
        {"queryId": "q-1"},
    )
