"""The cost floor on hand-checked numbers, the comparison on a recorded run, and a real demo."""

from decimal import Decimal
from pathlib import Path

import pytest

from costmodel.forecast.scenario import (
    GIB,
    IN_FLIGHT_SECONDS,
    INDEX_ENTRY_BYTES,
    SECONDS_PER_MONTH,
    Scenario,
    load_scenario,
)
from costmodel.measurement import Onboardings, load_measurement
from onramp.bench.cost_efficiency import (
    compare,
    cost_result,
    floor_per_onboarding,
    floor_stack,
    platform_log_bytes,
    run,
    variable_per_1000,
)

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "sample-run" / "measurement.json"
COUNTS = {"accepted": 100, "completed": 70, "failed": 30, "rejected": 10}


def test_platform_lines_are_their_real_byte_size() -> None:
    request_id = "00000000-0000-0000-0000-000000000000"
    start = f"START RequestId: {request_id} Version: $LATEST\n"
    end = f"END RequestId: {request_id}\n"
    report = (
        f"REPORT RequestId: {request_id}\tDuration: 1.00 ms\tBilled Duration: 1 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 128 MB\t\n"
    )
    assert platform_log_bytes() == len(start) + len(end) + len(report) == 263


def test_floor_serves_the_same_traffic_at_the_least_usage() -> None:
    measured = load_scenario().per
    counts = {**COUNTS, "failure_reasons": {"domain_not_allowed": 25, "provisioning_rejected": 5}}
    floor = floor_per_onboarding(Onboardings(**counts, lost=0), measured)
    assert floor.api_requests == Decimal("1.1")
    assert floor.invocations == {
        "register": Decimal("1.1"),
        "enrich": 1,
        "provision": Decimal("0.75"),
    }
    assert floor.billed_ms == floor.invocations  # 1 ms each
    # pending put + processing/failed update (every user) + completed/failed (provisioned ones);
    # the per-source counter: one write per request
    assert floor.write_units == {
        "users": Decimal("2.75"),
        "audit": Decimal("2.75"),
        "registerlimits": Decimal("1.1"),
    }
    assert floor.emails == floor.s3_put_requests == Decimal("0.75")
    assert floor.log_bytes == 263 * Decimal("2.85")
    assert floor.s3_get_requests == floor.sqs_requests == 0


def test_floor_price_matches_the_hand_computed_bill() -> None:
    scenario = load_scenario()
    counts = {"accepted": 1000, "completed": 1000, "failed": 0, "rejected": 0}
    floor = Scenario(
        floor_per_onboarding(Onboardings(**counts, lost=0), scenario.per),
        floor_stack(scenario.stack),
        free_tier="none",
    )
    assert {fn.memory_mb for fn in floor.stack.functions.values()} == {128}
    lines = variable_per_1000(floor)
    # per 1,000, exact (the per-resource table, unrounded): API $0.001, 3 x $0.0002 requests,
    # 3,000 WRU x 2 tables and 1,000 on the per-source counter at $0.625/M, 1 S3 put $0.005,
    # 3 ms at 128 MB on arm64, 789,000 bytes of platform log lines (ingested at $0.50/GB,
    # stored 30 days at $0.03), SES $0.10, and the custom metric series at $0.30 each (every
    # hour has data at 1M onboardings a month; the sweep's StuckUsers has data every hour at
    # any volume: fixed, not variable).
    log_gb = Decimal(3 * 263 * 1000) / GIB
    index_gb = Decimal(1_000_000) * IN_FLIGHT_SECONDS / SECONDS_PER_MONTH * INDEX_ENTRY_BYTES / GIB
    expected = (
        Decimal("0.001")
        + Decimal("0.0006")
        + 7000 * Decimal("0.000000625")
        + Decimal("0.005")
        + Decimal(3000) / 1000 * Decimal("0.125") * Decimal("0.0000133334")
        + log_gb * Decimal("0.50")
        + log_gb * Decimal("0.03")
        + Decimal("0.30")
        * (floor.stack.custom_metric_series - floor.stack.every_hour_metric_series)
        / 1000
        # the in-flight index's entries: 1M a month x 5 s in flight (Little's law) x 220 B,
        # stored ($0.25) and backed up (PITR $0.20): transient, so priced even without storage
        + index_gb * (Decimal("0.25") + Decimal("0.20")) / 1000
    )
    no_ses = sum(usd for key, usd in lines.items() if key[0] not in ("ses", "cognito"))
    assert no_ses == expected
    assert lines[("ses", "welcome", "recipients")] == Decimal("0.1")
    # one Lite-plan MAU per user, no free tier: 100,000 x $0.0055 + 900,000 x $0.0046, per 1,000
    cognito = {key[2]: usd for key, usd in lines.items() if key[0] == "cognito"}
    assert cognito == {"mau_lite": Decimal("0.55"), "mau_lite (tier 2)": Decimal("4.14")}


def test_comparison_of_a_recorded_run_itemises_every_excess() -> None:
    measurement = load_measurement(SAMPLE)
    comparison = compare(load_scenario(SAMPLE), measurement)
    assert comparison.ratio(with_ses=True) > 1 and comparison.ratio(with_ses=False) > 1
    # SES is the same on both sides, so it dilutes the ratio
    assert comparison.ratio(with_ses=False) > comparison.ratio(with_ses=True)
    rows = comparison.rows()
    excess = [Decimal(row[3]) for row in rows]
    assert excess == sorted(excess, reverse=True)
    by_component = {row[0]: row for row in rows}
    assert "active tracing" in by_component["xray lambda traces_recorded"][4]
    users_wru = measurement.dynamodb["users"].write_request_units
    wru = users_wru / measurement.onboardings.accepted
    assert f"{wru:.2f} WRU/onboarding vs" in by_component["dynamodb users write_request_units"][4]
    register_log = measurement.functions["register"].log_bytes
    register_bytes = register_log / measurement.functions["register"].invocations
    assert f"register {register_bytes:.0f} B" in by_component["cloudwatch ops log_ingest"][4]
    result = cost_result(comparison)
    without = result.figures[1]
    assert without.ratio == comparison.ratio(with_ses=False)
    assert without.met == (without.ratio <= 1.5)
    assert any(note.startswith("Without X-Ray tracing the ratio") for note in result.notes)


@pytest.mark.integration
@pytest.mark.usefixtures("fast_streams")
def test_a_real_short_demo_is_compared(tmp_path: Path) -> None:
    result = run(duration_s=3, rate=5, out=tmp_path)
    assert [f.ratio > 0 for f in result.figures] == [True, True]
    assert any(row[0] == "ses welcome recipients" for row in result.rows)
    assert (next(tmp_path.iterdir()) / "measurement.json").exists()
