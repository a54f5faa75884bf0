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


def _leg(
    start_total: int, end_total: int, stored: tuple[int, int], peak: int = 0
) -> soak.MemoryLeg:
    mib = soak.MIB
    return soak.MemoryLeg(
        soak.MemoryPoint(start_total * mib, aws=50 * mib, stored=stored[0] * mib),
        soak.MemoryPoint(end_total * mib, aws=90 * mib, stored=stored[1] * mib),
        peak=peak * mib,
    )


def test_soak_verdicts_on_hand_numbers(tmp_path: Path) -> None:
    verification = {"accepted": 1000, "completed": 999, "failed": 1, "emails": 999}
    legs = [{**verification, "dead_letters": 0, "problems": []}] * 2
    # 14 MiB grown for 10 MiB stored (1.4x); refilled to at most 1.05x the first end
    held = soak.MemoryRun(_leg(300, 314, (20, 30)), _leg(314, 320, (0, 10), peak=329))
    ok = soak.soak_result(5, 60, legs, True, held, tmp_path)
    assert [f.met for f in ok.figures] == [True, True, True]
    assert ok.figures[1].ratio == pytest.approx(1.4)
    assert "14.0 MiB per 1,000 onboardings for 10.0 MiB stored" in ok.figures[1].value
    assert ok.figures[2].ratio == pytest.approx(329 / 314)  # the peak, not the drained end
    # 20 MiB for 10 (2x), and the second leg kept growing: neither is met
    kept = soak.MemoryRun(_leg(300, 320, (20, 30)), _leg(320, 360, (0, 10)))
    lost = [{**legs[0], "problems": ["1 lost"]}, legs[1]]
    bad = soak.soak_result(5, 60, lost, True, kept, tmp_path)
    assert [f.met for f in bad.figures] == [False, False, False]
    assert [row[0] for row in bad.rows] == ["first", "second (after clearing)"]


def test_every_process_is_measured_together() -> None:
    filled = "x = bytearray(b'x') * (200 << 20); print(flush=True); input()"
    aws = subprocess.Popen(
        [sys.executable, "-c", filled], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        aws.stdout.readline()  # its 200 MiB are written
        with soak.MemorySampler(0.0, aws.pid, stored=lambda: 42, interval_s=0.05) as sampler:
            time.sleep(0.5)
    finally:
        aws.communicate(b"\n")
    leg = sampler.leg()
    assert leg.end.aws > 200 << 20 and leg.end.stored == 42
    assert leg.end.total > leg.end.aws  # the child counted with this process
    assert leg.peak > 200 << 20  # sampled with it too


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
    assert result.figures[1].ratio is not None and result.figures[2].ratio > 0
    assert (tmp_path / "first").is_dir() and (tmp_path / "second").is_dir()
