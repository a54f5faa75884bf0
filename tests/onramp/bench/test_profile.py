"""The profile's buckets and table on hand-written py-spy output."""

from collections import Counter

from onramp.bench import profile

WORKER = "<module> (onramp/local/runtime/worker.py:170);serve (onramp/local/runtime/worker.py:160)"
HANDLER = WORKER + ";handler (onboarding/handlers/enrich.py:40)"
RAW = "\n".join(
    [
        HANDLER + ";_make_api_call (botocore/client.py:1000) 30",
        HANDLER + ";validate (onboarding/domain/rules.py:12) 10",
        WORKER + ";recv_bytes (multiprocessing/connection.py:216) 5",
        "run (threading.py:1) ;garbage",
        "_run (onramp/local/streams/pump.py:120);get_records (botocore/client.py:10) 7",
        "dispatch (werkzeug/serving.py:1);call (moto/dynamodb/models/__init__.py:5) 4",
        "dispatch (werkzeug/serving.py:1);serialize (moto/core/responses.py:5) 3",
        "loop (threading.py:100) 1",
    ]
)


def test_each_stack_lands_in_the_component_its_innermost_frames_name() -> None:
    buckets = profile.parse_raw(RAW)
    assert buckets == Counter(
        {
            profile.HANDLER_SDK: 30,  # the handler's SDK calls
            profile.HANDLER_CODE: 10,  # the handler's own code
            "worker IPC (socket protocol, JSON, log capture)": 5,
            "stream polling (pumps and their GetRecords client)": 7,  # the pump's SDK call
            "moto: backends (DynamoDB, S3, SES, Cognito models)": 4,
            "moto: request parsing and response serialisation": 3,
            profile.OTHER: 1,
        }
    )


def test_a_wrapper_around_every_request_does_not_take_the_requests_time() -> None:
    wrapped = "run (socketserver.py:1);serve (onramp/local/aws/stream_reads.py:50)"
    assert profile.classify(wrapped + ";get_item (moto/dynamodb/models/table.py:9)").startswith(
        "moto: backends"
    )
    assert profile.classify(wrapped + ";dumps (json/__init__.py:1)").startswith("embedded AWS")
    assert profile.classify("x (threading.py:1);send (botocore/endpoint.py:1)") == (
        profile.SDK_ELSEWHERE
    )


def test_the_table_divides_cpu_by_completed_onboardings() -> None:
    raw = {
        "run": {"completed": 100, "sent": 400},
        "rate": 20.0,
        "elapsed_s": 20.0,
        "out": "runs/profile",
        "roles": {
            "embedded AWS (moto)": {
                "cpu_s": 3.0,
                "processes": 1,
                "buckets": Counter({"moto: backends (models)": 75, "http": 25}),
            },
            "worker enrich": {"cpu_s": 1.0, "processes": 1, "buckets": Counter({"h": 1})},
        },
        "handlers_floor_ms": 5.0,
        "cores": 2,
    }
    result = profile.profile_result(raw)
    assert result.figures[0].value == "40 ms (100 of 400 completed in the run)"  # (3 + 1) s / 100
    assert "at 20/s offered" in result.figures[0].label
    assert result.rows[0] == [
        "embedded AWS (moto) (x1)",
        "30.0",
        "moto: backends (models)",
        "75%",
        "22.5",
    ]
    assert result.rows[1] == ["", "", "http", "25%", "7.5"]
    # the floor: the handlers' 5 ms + moto's backends' 22.5 ms (75 % of the AWS process's 30 ms)
    _, floor, against = result.figures
    assert floor.value.startswith("27.5 ms = 5.0 + 22.5") and "73/s on 2 cores" in floor.value
    assert "0.0 ms more" in floor.value  # no sample in moto's parsing here
    assert against.ratio == 40 / 27.5
