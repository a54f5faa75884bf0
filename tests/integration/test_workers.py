"""Execution environments: one worker process per environment, cold starts, timeouts, crashes."""

import os
import threading
import time
from pathlib import Path

import psutil
import pytest

from kernel.sam_template import FunctionSpec
from onramp.local.runtime.invoker import FunctionRuntime

pytestmark = pytest.mark.integration

HANDLERS = Path(__file__).parent / "fixtures" / "handlers"


def _runtime(logical_id="SleepFunction", timeout_s=1, concurrency=1, log_sink=None):
    spec = FunctionSpec(
        logical_id=logical_id,
        handler="embedded_fixture_handlers.sleep_then_answer",
        code_dir=HANDLERS,
        runtime="python3.13",
        memory_mb=128,
        timeout_s=timeout_s,
        architecture="arm64",
        environment={},
        events={},
    )
    recorded = []
    runtime = FunctionRuntime(
        spec, {}, "http://127.0.0.1:9", recorded.append, concurrency, log_sink
    )
    return runtime, recorded


@pytest.fixture
def runtime():
    runtime, recorded = _runtime()
    yield runtime, recorded
    runtime.close()


def test_worker_is_a_separate_process_reused_while_warm(runtime):
    runtime, recorded = runtime
    first = runtime.invoke({"print": "hello"})
    second = runtime.invoke({})
    assert first.outcome == "ok" and first.value["pid"] != os.getpid()
    assert second.value["pid"] == first.value["pid"]
    assert [i.cold_start for i in recorded] == [True, False]
    assert first.init_ms > 0 and second.init_ms == 0
    assert first.billed_ms >= int(first.duration_ms) + int(first.init_ms)
    assert first.log_bytes - second.log_bytes >= len("hello")


def test_timed_out_invocation_kills_the_worker_and_the_next_is_a_cold_start(runtime):
    runtime, _ = runtime
    pid = runtime.invoke({}).value["pid"]
    timed_out = runtime.invoke({"seconds": 5})
    assert timed_out.outcome == "timeout" and timed_out.failed
    assert timed_out.duration_ms == 1000.0
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    after = runtime.invoke({})
    assert after.cold_start and after.outcome == "ok" and after.value["pid"] != pid


def test_crashing_worker_is_a_function_error_and_is_replaced(runtime):
    runtime, _ = runtime
    pid = runtime.invoke({}).value["pid"]
    crashed = runtime.invoke({"exit": 3})
    assert crashed.outcome == "error" and crashed.error_type == "Runtime.ExitError"
    assert "exit status 3" in crashed.value["errorMessage"]
    after = runtime.invoke({})
    assert after.cold_start and after.value["pid"] != pid


def test_handler_output_goes_to_the_log_sink_not_the_protocol():
    logged = []
    runtime, _ = _runtime(log_sink=logged.append)
    try:
        result = runtime.invoke({"print": '{"not": "a protocol message"}'})
    finally:
        runtime.close()
    assert result.outcome == "ok" and logged == ['{"not": "a protocol message"}']


def test_different_functions_and_api_environments_run_concurrently():
    slow, _ = _runtime("SlowBatchFunction", timeout_s=3)
    api, recorded = _runtime("ApiFunction", timeout_s=3, concurrency=2)
    try:
        slow.invoke({})  # warm both, so the timings below exclude cold starts
        api.invoke({})
        batch = threading.Thread(target=slow.invoke, args=({"seconds": 1.5},))
        batch.start()
        time.sleep(0.2)
        api.invoke({})
        assert batch.is_alive()  # the API answered while the batch still ran
        answers: list[dict] = []
        pair = [
            threading.Thread(target=lambda: answers.append(api.invoke({"seconds": 0.6}).value))
            for _ in range(2)
        ]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join()
        # Two environments side by side: their sleeps overlap in time (judged on the
        # intervals the workers report, so a loaded machine cannot fail or pass it by speed).
        first, second = sorted(answers, key=lambda answer: answer["began"])
        assert second["began"] < first["ended"] and first["pid"] != second["pid"]
        assert len(api.worker_pids) == 2
        batch.join()
    finally:
        slow.close()
        api.close()
    assert sum(1 for i in recorded if i.cold_start) == 2


def test_close_leaves_no_worker_process(runtime):
    runtime, _ = runtime
    runtime.invoke({})
    pids = runtime.worker_pids
    runtime.close()
    assert pids and runtime.worker_pids == []
    assert all(not psutil.pid_exists(pid) for pid in pids)
    with pytest.raises(RuntimeError):
        runtime.invoke({})
