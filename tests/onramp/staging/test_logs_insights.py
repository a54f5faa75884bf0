from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from kernel.errors import UsageError
from onramp.staging.logs_insights import ReportUsage, report_usage
from onramp.staging.timewindow import Window

from .logs_stubs import queue_report_query, report_row

WINDOW = Window(datetime(2026, 11, 29, 10, tzinfo=UTC), datetime(2026, 11, 29, 11, tzinfo=UTC))
GROUPS = {"register": "/aws/lambda/reg", "enrich": "/aws/lambda/enr"}


def test_report_lines_summed_per_function() -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    rows = [
        report_row(
            "/aws/lambda/reg",
            billed_ms="1350",
            init_ms="350.5",
            cold_starts="1",
            max_memory_mb="81.2",
            reports="100",
        ),
        report_row("/aws/lambda/enr", billed_ms="400", cold_starts="0", reports="10"),
    ]
    sleeps: list[float] = []
    with Stubber(logs) as stub:
        queue_report_query(stub, list(GROUPS.values()), rows, running_polls=2)
        usage = report_usage(logs, GROUPS, WINDOW, sleep=sleeps.append)
        stub.assert_no_pending_responses()
    assert usage == {
        "register": ReportUsage(100, 1350.0, 350.5, 1, 81.2),
        "enrich": ReportUsage(10, 400.0, 0.0, 0, None),
    }
    assert sleeps == [1.0, 1.0]


def test_missing_log_group_is_skipped() -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    with Stubber(logs) as stub:
        stub.add_response("describe_log_groups", {"logGroups": []})
        assert report_usage(logs, {"register": "/aws/lambda/reg"}, WINDOW) == {}


def test_failed_query_is_one_clear_error() -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    with Stubber(logs) as stub:
        stub.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "/g"}]})
        stub.add_response("start_query", {"queryId": "q-9"})
        stub.add_response("get_query_results", {"status": "Failed", "results": []})
        with pytest.raises(UsageError, match=r"query q-9 ended Failed \(/g\)"):
            report_usage(logs, {"register": "/g"}, WINDOW)


def test_query_still_running_is_stopped_after_the_timeout() -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    with Stubber(logs) as stub:
        stub.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "/g"}]})
        stub.add_response("start_query", {"queryId": "q-7"})
        for _ in range(3):
            stub.add_response("get_query_results", {"status": "Running", "results": []})
        stub.add_response("stop_query", {"success": True}, {"queryId": "q-7"})
        with pytest.raises(UsageError, match=r"q-7 still Running after 2\.0 s"):
            report_usage(logs, {"register": "/g"}, WINDOW, timeout_s=2.0, sleep=lambda s: None)
        stub.assert_no_pending_responses()
