"""Pipeline and soak benchmarks: their verdicts on hand numbers, and brief real runs."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from onramp.bench import pipeline, soak


def _run(rate: float, p95: float | None, per_s: float, drained: bool = True) -> dict:
    latency = {"mean": p95, "p50": p95, "p95": p95, "p99": p95, "max": p95}
    return {
        "rate": rate,
        "seconds": 10,
        "sent": int(rate * 10),
        "completed": int(rate * 10),
        "drained": drained,
        "latency_ms": latency,
        "onboardings_per_s": per_s,
    }


def test_highest_sustained_rate() -> None:
    runs = [_run(5, 900, 5.0), _run(20, 1400, 18.5), _run(50, 4000, 30.0)]
    assert pipeline.highest_sustained_rate(runs) == 20
    assert pipeline.highest_sustained_rate([_run(5, 900, 5.0, drained=False)]) is None
    assert pipeline.highest_sustained_rate([_run(5, None, 0.0)]) is None
    assert not pipeline.sustained(_run(20, 1000, 17.0))  # fell behind the rate
    result = pipeline.pipeline_result(runs)
    assert [f.met for f in result.figures] == [True, True, False]
    assert result.rows[2][7] == "4000" and "20/s" in result.notes[-1]


def test_soak_verdicts_on_hand_numbers(tmp_path: Path) -> None:
    verification = {"accepted": 9, "completed": 8, "failed": 1, "emails": 8, "dead_letters": 0}
    mib = soak.MIB
    aws_grew = soak.MemoryRun(
        soak.MemoryPoint(100 * mib, aws=50 * mib, stored=30 * mib),
        soak.MemoryPoint(95 * mib, aws=150 * mib, stored=100 * mib),
        peak_runtime=105 * mib,
    )
    ok = soak.soak_result(5, 60, {**verification, "problems": []}, True, aws_grew, tmp_path)
    assert [f.met for f in ok.figures] == [True, True]
    assert ok.figures[1].ratio == pytest.approx(1.05)  # the peak, not the drained end
    assert any("AWS" in note and "50 MiB -> 150 MiB" in note for note in ok.notes)
    leaked = soak.MemoryRun(
        soak.MemoryPoint(100 * mib, aws=50 * mib, stored=30 * mib),
        soak.MemoryPoint(120 * mib, aws=50 * mib, stored=30 * mib),
        peak_runtime=100 * mib,
    )
    lost = soak.soak_result(5, 60, {**verification, "problems": ["1 lost"]}, True, leaked, tmp_path)
    assert [f.met for f in lost.figures] == [False, False]


def test_the_runtime_is_measured_without_the_aws_process() -> None:
    filled = "x = bytearray(b'x') * (200 << 20); print(flush=True); input()"
    aws = subprocess.Popen(
        [sys.executable, "-c", filled], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        aws.stdout.readline()  # its 200 MiB are written
        with soak.MemorySampler(0.0, aws.pid, stored=lambda: 42, interval_s=0.05) as sampler:
            time.sleep(0.5)
        everything = soak.runtime_rss()
    finally:
        aws.communicate(b"\n")
    memory = sampler.run()
    assert memory.end.aws > 200 << 20 and memory.end.stored == 42
    assert everything - memory.end.runtime > 190 << 20
    assert 0 < sampler.peak_runtime < everything - (190 << 20)  # sampled without the AWS either


@pytest.mark.integration
@pytest.mark.usefixtures("fast_streams")
def test_a_real_pipeline_run() -> None:
    result = pipeline.run(rates=(5.0,), seconds=1.0)
    (run,) = result.raw["runs"]
    assert run["sent"] == 5 and run["drained"] and run["completed"] == 5
    assert result.figures[0].ratio > 0


@pytest.mark.integration
@pytest.mark.usefixtures("fast_streams")
def test_a_real_short_soak(tmp_path: Path) -> None:
    result = soak.run(rate=5, duration_s=3, out=tmp_path)
    assert result.figures[0].met, result.notes
    assert result.figures[1].ratio > 0
