"""The onboarding scenario: template facts, defaults, measurements, hand-computed bills."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from scenario_fixtures import TEMPLATE, fixture_scenario, measurement_totals

from costmodel.scenario import GIB, Inputs, adjusted, estimate, load_scenario
from costmodel.template_costs import read_stack
from onramp.errors import UsageError
from onramp.measurement import finalise, write_measurement


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_template_facts_of_the_test_template() -> None:
    stack = read_stack(TEMPLATE)
    assert list(stack.functions) == ["register", "enrich", "provision"]
    assert stack.functions["enrich"].memory_mb == 512
    assert stack.functions["register"].log_retention_days == 30
    assert {a.logical_id: (a.kind, a.alarm_metrics) for a in stack.alarms} == {
        "RegisterDurationAlarm": ("plain", 1),
        "EnrichDurationAlarm": ("plain", 1),
        "ProvisionDurationAlarm": ("plain", 1),
        "RegisterErrorRateAlarm": ("metric-math", 2),
        "UsersWriteAnomalyAlarm": ("anomaly", 3),
    }
    assert (stack.alarm_metrics, stack.anomaly_alarms) == (5, 1)
    assert stack.tables["users"].pitr and not stack.tables["audit"].pitr
    assert stack.tables["audit"].append_only and not stack.tables["users"].append_only
    assert stack.budget_usd == Decimal(100)
    assert stack.queues == ("deadletter",)


def test_conditions_follow_the_parameters() -> None:
    stack = read_stack(TEMPLATE, parameters={"EnableDataLake": "true"})
    assert "datalake" in stack.functions


def test_the_real_template_alarms_are_classified_by_what_they_watch() -> None:
    stack = read_stack()
    assert {"register", "enrich", "provision"} <= set(stack.functions)
    for alarm in stack.alarms:
        if "ErrorRate" in alarm.logical_id:
            assert (alarm.kind, alarm.alarm_metrics) == ("metric-math", 2)
        if "Anomaly" in alarm.logical_id:
            assert (alarm.kind, alarm.alarm_metrics) == ("anomaly", 3)
    assert stack.anomaly_alarms >= 1


def test_missing_template_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.yaml"):
        read_stack(tmp_path / "nope.yaml")


def test_bill_of_a_million_onboardings_by_hand() -> None:
    """Every line computed here from the defaults and list prices, without the engine."""
    arm, wru = Decimal("0.0000133334"), Decimal("0.000000625")
    stored_gb = Decimal(1_000_000 * 900) / GIB
    log_gb = Decimal(1_000_000 * (600 * 3.1 + 350 * 1.1)) / GIB
    lines = [
        Decimal("1.1e6") * Decimal("0.000001"),  # HTTP API
        Decimal("1.1e6") * Decimal("0.0000002"),  # register requests
        Decimal(16_500) * Decimal("0.25") * arm,  # register: 15 ms x 1.1M, 256 MB
        Decimal("1e6") * Decimal("0.0000002"),  # enrich requests
        Decimal(40_000) * Decimal("0.5") * arm,  # enrich: 40 ms, 512 MB
        Decimal("1e6") * Decimal("0.0000002"),  # provision requests
        Decimal(180_000) * Decimal("0.5") * arm,  # provision: 180 ms, 512 MB
        Decimal("5e6") * wru,  # users table writes: 5 per onboarding
        stored_gb * Decimal("0.25"),  # users storage
        stored_gb * Decimal("0.20"),  # users PITR
        Decimal("3e6") * wru,  # audit writes
        stored_gb * Decimal("0.25"),  # audit storage (no PITR)
        Decimal("1e6") * Decimal("0.0001"),  # SES recipients
        Decimal("1e6") * Decimal("0.000005"),  # S3 PUT
        Decimal("1e6") * Decimal("0.0000004"),  # S3 HEAD
        5 * Decimal("0.10"),  # 5 alarm metrics
        3 * Decimal("0.10"),  # 1 anomaly alarm = 3 alarm metrics
        8 * Decimal("0.30"),  # 8 custom metric series, every hour with data at this volume
        log_gb * Decimal("0.50"),  # log ingestion
        log_gb * Decimal("0.03"),  # log storage, 30 days' retention
        Decimal("3.1e6") * Decimal("0.000005"),  # X-Ray traces
    ]
    bill = fixture_scenario("none").bill(1_000_000)
    assert bill.total == sum(cents(line) for line in lines) == Decimal("134.06")


def test_small_bill_and_fixed_variable_split() -> None:
    result = estimate(1000, fixture_scenario("none"))
    # SES 0.10 + S3 PUT 0.005 -> 0.01 + alarms 0.80 + X-Ray 0.0155 -> 0.02 + custom metrics:
    # 8 series x (1 - exp(-1000 / 730)) of the hours with data = 5.97 metric-months -> 1.79.
    # A custom metric with no data costs nothing: the fixed part (no onboarding) is the alarms.
    assert result.total == Decimal("2.72")
    assert result.fixed == Decimal("0.80")
    assert result.variable == Decimal("1.92")
    assert result.per_1000 == Decimal("2.72")
    assert result.variable_per_1000 == Decimal("1.92")
    assert result.bill.by_service()["ses"] == Decimal("0.10")


def test_free_tier_absorbs_the_fixed_monitoring() -> None:
    result = estimate(1000, fixture_scenario("always-free"))
    assert result.fixed == Decimal("0.00")  # 8 alarm metrics and 8 custom metrics: free 10 each
    assert result.total == Decimal("0.11")  # SES and S3 PUTs are not in the always-free tier


def test_measurement_shape_replaces_the_defaults(tmp_path: Path) -> None:
    path = write_measurement(finalise(measurement_totals()), tmp_path / "measurement.json")
    scenario = load_scenario(path, template=TEMPLATE, free_tier="none")
    per = scenario.per
    assert per.source == "measurement 20261129T101500Z-test"
    assert per.api_requests == pytest.approx(1.25)
    assert per.rejected_per_accepted == pytest.approx(0.25)
    assert per.billed_ms == pytest.approx({"register": 25.0, "enrich": 60.0, "provision": 300.0})
    assert per.write_units == pytest.approx({"users": 5.0, "audit": 3.0})
    assert per.stored_bytes == pytest.approx({"users": 1000.0, "audit": 750.0})
    assert per.emails == pytest.approx(0.95)
    usage = scenario.usage(2000)
    register = next(r for r in usage["resources"] if r.get("name") == "register")
    assert (register["requests"], register["billed_ms_total"]) == (2500, 50_000)


def test_malformed_measurement_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(UsageError, match=r"broken\.json"):
        load_scenario(path, template=TEMPLATE)
    path.write_text(json.dumps({"schema_version": 1}))
    with pytest.raises(UsageError, match=r"broken\.json"):
        load_scenario(path, template=TEMPLATE)


def test_adjusted_inputs_move_the_right_quantities() -> None:
    per = fixture_scenario().per
    moved = adjusted(per, Inputs(duration_factor=2.0, invalid_share=0.2, retry_rate=0.1))
    assert moved.api_requests == pytest.approx(1.25)  # 0.2 / 0.8 rejected per accepted
    assert moved.invocations["register"] == pytest.approx(1.25)
    assert moved.invocations["enrich"] == pytest.approx(1.1)
    assert moved.billed_ms["register"] == pytest.approx(2 * 1.25 * 15)
    assert moved.billed_ms["provision"] == pytest.approx(2 * 1.1 * 180)
    assert moved.invalid_share == pytest.approx(0.2)
    assert adjusted(per, Inputs()) == per
