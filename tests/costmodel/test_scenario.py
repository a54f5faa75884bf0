"""The onboarding scenario: template facts, defaults, measurements, hand-computed bills."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from scenario_fixtures import TEMPLATE, fixture_scenario, measurement_totals

from costmodel.forecast.scenario import GIB, Inputs, adjusted, estimate, load_scenario
from costmodel.measurement import Measurement, write_measurement
from costmodel.pricing.template_costs import read_stack
from kernel.errors import UsageError


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


def test_the_audit_table_streams_only_with_the_data_lake() -> None:
    """The real template: AuditTable's StreamSpecification is an Fn::If to AWS::NoValue."""
    assert not read_stack().tables["audit"].stream
    assert read_stack(parameters={"EnableDataLake": "true"}).tables["audit"].stream
    assert read_stack().tables["users"].stream


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
    """Every invoice line computed here from the defaults and list prices, without the engine.

    One line per usage type for the account (all functions' GB-seconds together, both
    tables' write units together), each rounded to cents. The default shape bills INIT:
    1 % of invocations start cold, 400 ms each (scenario.DEFAULT_COLD_START_SHARE/INIT_MS).
    Before invoice lines and INIT (per-resource rounding, no INIT) this bill was $134.06.
    """
    arm, wru = Decimal("0.0000133334"), Decimal("0.000000625")
    stored_gb = Decimal(1_000_000 * 900) / GIB
    log_gb = Decimal(1_000_000 * (600 * 3.1 + 350 * 1.1)) / GIB
    init_s = {"register": Decimal("1.1e6") * Decimal("0.01") * Decimal("0.4"), "other": 4_000}
    gb_seconds = (
        (16_500 + init_s["register"]) * Decimal("0.25")  # register: 15 ms x 1.1M, 256 MB
        + (40_000 + init_s["other"]) * Decimal("0.5")  # enrich: 40 ms, 512 MB
        + (180_000 + init_s["other"]) * Decimal("0.5")  # provision: 180 ms, 512 MB
    )
    assert gb_seconds == 119_225
    lines = [
        Decimal("1.1e6") * Decimal("0.000001"),  # HTTP API requests
        Decimal("3.1e6") * Decimal("0.0000002"),  # Lambda requests, all three functions
        gb_seconds * arm,  # Lambda arm64 GB-seconds, all three functions
        # write units: users 5 + audit 4 per onboarding (3 entries, and enrich's repeat of the
        # pending entry register wrote: a failed conditional put is billed a write unit too)
        Decimal("9e6") * wru,
        2 * stored_gb * Decimal("0.25"),  # storage: users row + audit events
        stored_gb * Decimal("0.20"),  # PITR (users only)
        Decimal("1e6") * Decimal("0.0001"),  # SES recipients
        Decimal("1e6") * Decimal("0.000005"),  # S3 PUT
        Decimal("1e6") * Decimal("0.0000004"),  # S3 HEAD
        8 * Decimal("0.10"),  # 5 alarm metrics + 1 anomaly alarm (3): one usage type
        8 * Decimal("0.30"),  # 8 custom metric series, every hour with data at this volume
        log_gb * Decimal("0.50"),  # log ingestion
        log_gb * Decimal("0.03"),  # log storage, 30 days' retention
        Decimal("3.1e6") * Decimal("0.000005"),  # X-Ray traces
    ]
    bill = fixture_scenario("none").bill(1_000_000)
    assert [line.usd for line in bill.lines] == [cents(line) for line in lines]
    assert bill.total == sum(cents(line) for line in lines) == Decimal("134.74")


def test_small_bill_and_fixed_variable_split() -> None:
    result = estimate(1000, fixture_scenario("none"))
    # SES 0.10 + S3 PUT 0.005 -> 0.01 + alarms 0.80 + X-Ray 0.0155 -> 0.02
    # + write units 9,000 x $0.000000625 = $0.005625 -> 0.01 (one invoice line for both
    # tables; rounded per table, 0.003125 and 0.0025, they were 0.00 each) + custom metrics:
    # 8 series x (1 - exp(-1000 / 730)) of the hours with data = 5.97 metric-months -> 1.79.
    # A custom metric with no data costs nothing: the fixed part (no onboarding) is the alarms.
    assert result.total == Decimal("2.73")
    assert result.fixed == Decimal("0.80")
    assert result.variable == Decimal("1.93")
    assert result.per_1000 == Decimal("2.73")
    assert result.variable_per_1000 == Decimal("1.93")
    assert result.bill.by_service()["ses"] == Decimal("0.10")


def test_free_tier_absorbs_the_fixed_monitoring() -> None:
    result = estimate(1000, fixture_scenario("always-free"))
    assert result.fixed == Decimal("0.00")  # 8 alarm metrics and 8 custom metrics: free 10 each
    # SES, S3 PUTs and DynamoDB write units are not in the always-free tier
    assert result.total == Decimal("0.12")


def test_measurement_shape_replaces_the_defaults(tmp_path: Path) -> None:
    path = write_measurement(
        Measurement.from_dict(measurement_totals()), tmp_path / "measurement.json"
    )
    scenario = load_scenario(path, template=TEMPLATE, free_tier="none")
    per = scenario.per
    assert per.source == "measured: run 20261129T101500Z-test"
    # exact: the measurement's totals over accepted onboardings, as Decimals
    assert per.api_requests == Decimal("1.25")
    assert per.rejected_per_accepted == Decimal("0.25")
    assert per.billed_ms == {"register": 25, "enrich": 60, "provision": 300}
    assert per.write_units == {"users": 5, "audit": 3}
    assert per.stored_bytes == {"users": 1000, "audit": 750}
    assert per.emails == Decimal("0.95")
    assert per.api_request_kb == 0  # the recorder's requests are already in 512 KB steps
    usage = scenario.usage(2000)
    register = next(r for r in usage["resources"] if r.get("name") == "register")
    assert (register["requests"], register["billed_ms_total"]) == (2500, 50_000)
    assert all(isinstance(v, Decimal) for k, v in register.items() if k == "requests")


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
    inputs = Inputs(duration_factor=2, invalid_share=Decimal("0.2"), retry_rate=Decimal("0.1"))
    moved = adjusted(per, inputs)
    assert moved.api_requests == Decimal("1.25")  # 0.2 / 0.8 rejected per accepted
    assert moved.invocations["register"] == Decimal("1.25")
    assert moved.invocations["enrich"] == Decimal("1.1")
    assert moved.billed_ms["register"] == 2 * Decimal("1.25") * 15
    assert moved.billed_ms["provision"] == 2 * Decimal("1.1") * 180
    assert moved.invalid_share == Decimal("0.2")
    assert adjusted(per, Inputs()) == per


def test_default_shape_bills_lambda_init() -> None:
    """INIT is billed since 2025-08-01: the defaults add cold_start_share x init_ms per call."""
    per = load_scenario(template=TEMPLATE).per
    assert per.init_ms == {"register": Decimal("4.4"), "enrich": 4, "provision": 4}
    warm = load_scenario(template=TEMPLATE, cold_start_share=Decimal(0)).bill(1_000_000)
    cold = load_scenario(template=TEMPLATE, cold_start_share=Decimal("0.5"), init_ms=Decimal(800))
    assert cold.bill(1_000_000).total > warm.total
    assert "cold starts 50" in cold.per.source


def test_measured_api_requests_are_stepped_once(tmp_path: Path) -> None:
    """The recorder already counted each request in 512 KB steps (metered_requests): a mean
    request size over 512 KB must not step them again (it did: 2 x 1,250 requests, not 1,250)."""
    totals = measurement_totals()
    accepted = totals["onboardings"]["accepted"]
    totals["api"] |= {"metered_requests": accepted + 250, "request_bytes_total": 10**9}
    path = write_measurement(Measurement.from_dict(totals), tmp_path / "measurement.json")
    bill = load_scenario(path, template=TEMPLATE, free_tier="none").bill(accepted)
    api = next(line for line in bill.lines if line.service == "http_api")
    assert api.quantity == accepted + 250
