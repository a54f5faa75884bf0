"""Real, short Locust runs (subprocess) against a local fake of the register API."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from load_fake_api import FakeRegisterApi
from moto import mock_aws

from loadtest.payloads import BAD_KINDS
from loadtest.runner import run_locust
from onramp.cli import load as cli
from onramp.cli import main
from onramp.staging.preflight import PreflightReport

EVERY_BAD_KIND = ",".join(f"{kind}=0.12" for kind in BAD_KINDS)


@pytest.fixture(autouse=True)
def _no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONRAMP_BEARER_TOKEN", raising=False)


def test_run_writes_every_output_and_counts_expected_4xx_as_success(tmp_path: Path) -> None:
    with FakeRegisterApi(bearer_token="staging-jwt") as api:
        result = run_locust(
            api.url,
            rate=12.0,
            duration_s=4.0,
            processes=2,
            out_dir=tmp_path,
            env_extra={"ONRAMP_BEARER_TOKEN": "staging-jwt", "ONRAMP_SEED": "1"},
            mix=EVERY_BAD_KIND,
        )
    run_dir = result.run_dir
    assert run_dir.parent == tmp_path
    for name in ("locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv",
                 "locust.html", "locust.json", "locust.log", "manifest.json"):  # fmt: skip
        assert (run_dir / name).stat().st_size > 0, name
    assert json.loads((run_dir / "locust.json").read_text())

    total = result.aggregated
    assert total.requests > 20 and total.failures == 0, (run_dir / "locust.log").read_text()
    assert total.requests == sum(api.status_counts.values())
    assert {202, 400, 413} <= set(api.status_counts) and 401 not in api.status_counts
    assert {"POST /register [valid]", "POST /register [invalid_email]"} <= set(result.by_name)
    assert all(row.failures == 0 for row in result.by_name.values())

    with (run_dir / "locust_stats.csv").open(newline="") as handle:
        csv_total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    assert int(csv_total["Request Count"]) == total.requests  # the fake API is never in flight
    for column, ours in (("50%", total.p50_ms), ("95%", total.p95_ms), ("99%", total.p99_ms)):
        assert float(csv_total[column]) == ours, column  # Locust's percentile rule, reproduced

    # a duplicate's 202 names the registered user again: the accepted ids, as a set, are the users
    assert set(result.accepted_ids()) == set(api.accepted)
    assert len(list(run_dir.glob("accepted.*.txt"))) == 2  # one file per worker process

    manifest = result.manifest
    assert manifest["host"] == api.url and manifest["locust_exit_code"] == 0
    assert manifest["parameters"]["processes"] == 2 and manifest["parameters"]["rate"] == 12.0
    assert manifest["parameters"]["bearer_token"] is True
    assert "staging-jwt" not in (run_dir / "manifest.json").read_text()
    assert manifest["locust_version"] and manifest["started_at"] <= manifest["ended_at"]


def test_cli_exits_1_on_unexpected_statuses_breaching_the_error_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeRegisterApi(bearer_token="needed") as api:  # no token sent: every reply is 401
        argv = ["load", "--host", api.url, "--rate", "5", "--duration", "3s",
                "--out", str(tmp_path), "--max-error-rate", "1%", "--p95", "10s"]  # fmt: skip
        assert main(argv) == 1
    out, err = capsys.readouterr()
    assert "Aggregated" in out and "POST /register [valid]" in out
    assert "threshold breached: error rate 100.00% > 1.00%" in err
    assert "p95" not in err.split("threshold breached")[-1]
    assert set(api.status_counts) == {401}
    (run_dir,) = tmp_path.iterdir()
    assert (run_dir / "locust.html").exists() and not list(run_dir.glob("accepted.*.txt"))


def test_cli_bad_flags_exit_2_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for flags, named in [
        (["--host", "not-a-url"], "--host"),
        (["--host", "http://127.0.0.1:9", "--duration", "abc"], "--duration"),
        (["--host", "http://127.0.0.1:9", "--min-rps", "-3"], "--min-rps"),
        (["--host", "http://127.0.0.1:9", "--processes", "0"], "--processes"),
    ]:
        assert main(["load", *flags, "--out", str(tmp_path)]) == 2
        assert capsys.readouterr().err.startswith(f"onramp: error: {named}: ")
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("fake_credentials")
def test_measure_stack_measures_the_load_window_after_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The preflight (tests/onramp/staging/test_preflight.py) passes here, so the load runs.
    monkeypatch.setattr(cli, "check_account", lambda *_: PreflightReport([]))
    with mock_aws(), FakeRegisterApi() as api:
        argv = ["load", "--host", api.url, "--rate", "3", "--duration", "2s", "--out",
                str(tmp_path), "--measure-stack", "ghost", "--region", "us-east-1"]  # fmt: skip
        assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "Aggregated" in out  # the load ran first, then the measurement was attempted
    assert err.strip() == "onramp: error: stack ghost not found in region us-east-1"
    (run_dir,) = tmp_path.iterdir()
    assert (run_dir / "locust.json").exists() and not (run_dir / "measurement.json").exists()


@pytest.mark.usefixtures("fake_credentials")
def test_measure_stack_checks_the_stack_before_any_traffic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The preflight reads the stack first: a wrong name stops the test before Locust starts."""
    with mock_aws(), FakeRegisterApi() as api:
        argv = ["load", "--host", api.url, "--rate", "3", "--duration", "2s", "--out",
                str(tmp_path), "--measure-stack", "ghost", "--region", "us-east-1"]  # fmt: skip
        assert main(argv) == 2
        assert sum(api.status_counts.values()) == 0
    assert capsys.readouterr().err == "onramp: error: stack ghost not found in region us-east-1\n"
    assert not list(tmp_path.iterdir())


@pytest.mark.usefixtures("fake_credentials")
def test_measure_stack_judges_the_cost_thresholds_on_the_measured_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The measured window's shape is priced and every cost threshold judged: a breach exits 1.

    The window's measurement is the shipped sample's (the collector that writes one from
    CloudWatch is tested in tests/onramp/staging/test_collector.py); its fixed part is
    $0.90 (19 alarm metrics, 10 free, $0.10 each), so --max-fixed 0.50 is breached.
    """
    sample = Path(__file__).resolve().parents[2] / "samples" / "sample-run" / "measurement.json"
    monkeypatch.setattr(cli, "check_account", lambda *_: PreflightReport([]))
    monkeypatch.setattr(cli, "measure_after_load", lambda *_: (sample, None))
    with FakeRegisterApi() as api:
        argv = ["load", "--host", api.url, "--rate", "3", "--duration", "2s", "--out",
                str(tmp_path), "--measure-stack", "s", "--region", "us-east-1",
                "--max-fixed", "0.50", "--max-per-1000", "5@10k"]  # fmt: skip
        assert main(argv) == 1
    out, err = capsys.readouterr()
    check = out[out.index("cost check (measured: run sample-run; free tier always-free") :]
    assert [line.split()[0] for line in check.splitlines()[1:3]] == ["PASS", "FAIL"]
    assert err.startswith("onramp: cost threshold breached: FAIL  fixed monthly")
