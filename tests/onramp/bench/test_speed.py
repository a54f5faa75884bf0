"""Cold start, warm overhead and Monte Carlo benchmarks, run briefly (times never asserted)."""

import pytest

from costmodel.forecast.montecarlo import SpeedUp
from kernel.errors import UsageError
from onramp.bench import cold_start, montecarlo, warm_overhead


def test_cold_start_ratios_are_against_boto3_in_the_same_run() -> None:
    medians = cold_start.measure(1, modules=("onboarding.domain.status",))
    assert set(medians) == set(cold_start.ENVIRONMENTS)
    for by_module in medians.values():
        assert set(by_module) == {"boto3", "onboarding.domain.status"}
        assert all(seconds > 0 for seconds in by_module.values())
    result = cold_start.cold_start_result(medians, 1)
    assert len(result.figures) == len(cold_start.ENVIRONMENTS)


def test_cold_start_figures_on_hand_numbers() -> None:
    medians = {
        "tracing off": {"boto3": 0.2, "onboarding.handlers.register": 0.25, "onboarding.x": 0.4}
    }
    result = cold_start.cold_start_result(medians, 3)
    assert [(f.ratio, f.met) for f in result.figures] == [(1.25, True), (2.0, False)]
    assert result.rows[0] == ["tracing off", "boto3", "200.0", "1.00"]


def test_a_failing_import_is_one_line() -> None:
    with pytest.raises(UsageError, match=r"importing onboarding\.nope failed"):
        cold_start.import_seconds("onboarding.nope", cold_start.environment({}))


def test_warm_handlers_make_their_aws_calls_against_the_fakes() -> None:
    figures = warm_overhead.measure(5)
    # the source's counter, the pending user, its audit entry
    assert figures["register"]["aws_calls"] == {"dynamodb": 3}
    provision = figures["provision"]["aws_calls"]
    assert provision["ses"] == provision["s3"] == provision["cognito-idp"] == 1
    assert figures["enrich"]["aws_calls"]["dynamodb"] >= 2  # audit + status update
    result = warm_overhead.warm_result(figures, 5)
    assert [f.label.split()[0] for f in result.figures] == ["register", "enrich", "provision"]
    assert all(f.ratio > 0 for f in result.figures)


def test_montecarlo_speedup_and_million_scaling() -> None:
    result = montecarlo.montecarlo_result(SpeedUp(100_000, 0.05, 1_000, 0.1))
    speedup, million = result.figures
    assert speedup.ratio == pytest.approx(200.0) and speedup.met
    assert million.value == "0.50 s" and million.met and "scaled" in million.label
    real = montecarlo.run(simulations=2_000, loop_simulations=50)
    assert all(f.ratio > 0 for f in real.figures)


def test_heaviest_imports_name_packages_beyond_boto3() -> None:
    env = cold_start.environment(cold_start.ENVIRONMENTS["tracing off"])
    heaviest = cold_start.heaviest_imports("onboarding.handlers.register", env, top=3)
    assert 0 < len(heaviest) <= 3
    assert "boto3" not in dict(heaviest) and "botocore" not in dict(heaviest)
    assert [ms for _, ms in heaviest] == sorted((ms for _, ms in heaviest), reverse=True)
