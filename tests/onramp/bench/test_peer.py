"""The peer benchmark: what MiniStack is given, the figures of a run, the ratios; and, where
MiniStack is installed (``onramp bench --only peer`` installs it), a real deploy."""

from pathlib import Path

import pytest

from kernel.sam_template import DEFAULT_TEMPLATE, load_template
from onramp.bench import throughput
from onramp.bench.peer import compare, ministack

TEMPLATE = load_template(DEFAULT_TEMPLATE)


def test_what_ministack_refuses_is_taken_out_and_named() -> None:
    body, skipped = ministack.deployable_template(TEMPLATE, "s3://code/code.zip")
    names = dict(skipped)
    assert names["MonthlyBudget"].startswith("Unrecognized resource types")
    math_alarms = {
        logical_id
        for logical_id, resource in TEMPLATE["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm" and "Metrics" in resource["Properties"]
    }
    assert math_alarms and math_alarms <= set(names)
    assert set(names) == math_alarms | {"MonthlyBudget"}
    assert set(body["Resources"]) == set(TEMPLATE["Resources"]) - set(names)
    assert "RegisterDurationAlarm" in body["Resources"]  # a plain metric alarm deploys
    assert body["Globals"]["Function"]["CodeUri"] == "s3://code/code.zip"
    assert TEMPLATE["Globals"]["Function"]["CodeUri"] == "src/"  # the original is untouched


def test_the_routes_the_ignored_openapi_body_declared() -> None:
    assert ministack.http_api_routes(TEMPLATE) == [("RegisterFunction", "POST", "/register")]


def _user(email: str, created: str, updated: str, status: str = "completed") -> dict:
    return {"email": email, "created_at": created, "updated_at": updated, "status": status}


def test_a_runs_figures_come_from_its_own_users() -> None:
    users = [
        _user("a@x.io", "2026-12-01T10:00:00+00:00", "2026-12-01T10:00:00.100+00:00"),
        _user("b@x.io", "2026-12-01T10:00:01+00:00", "2026-12-01T10:00:01.300+00:00"),
        _user("c@x.io", "2026-12-01T10:00:02+00:00", "2026-12-01T10:00:02+00:00", "pending"),
        _user("old@x.io", "2026-12-01T09:00:00+00:00", "2026-12-01T09:59:00+00:00"),
    ]
    figures = throughput.run_figures(users, {"a@x.io", "b@x.io", "c@x.io", "lost@x.io"})
    assert figures["sent"] == 4 and figures["users"] == 3
    assert figures["completed"] == figures["settled"] == 2
    assert figures["latency_ms"]["max"] == pytest.approx(300.0)
    assert figures["completed_per_s"] == pytest.approx(2 / 1.3, abs=0.01)  # 10:00:00 to :01.3


def _run(p50: float, p95: float, per_s: float) -> dict:
    latency = {"mean": p50, "p50": p50, "p95": p95, "p99": p95, "max": p95}
    return {"latency_ms": latency, "completed_per_s": per_s}


def _target(put: list[float], p50_5: float, p95_20: float, saturation: list[float]) -> dict:
    sizes = compare.PeerSizes()
    labels = [load.label for load in compare.loads(sizes)]
    runs = {label: [_run(p50_5, p95_20, 10.0)] for label in labels[:-1]}
    runs[labels[-1]] = [_run(900.0, 2000.0, value) for value in saturation]
    return {"put_items_per_s": put, "runs": runs, "rss_bytes": 512 * compare.MIB, "notes": []}


def test_ratios_against_the_peer_on_hand_numbers() -> None:
    raw = {
        compare.ONRAMP: _target([300.0, 500.0, 400.0], 300.0, 1200.0, [30.0, 36.0]),
        compare.FAST: _target([400.0], 60.0, 900.0, [33.0]),
        compare.PEER: _target([400.0, 400.0], 50.0, 120.0, [22.0, 24.0]),
    }
    result = compare.peer_result(raw, compare.PeerSizes())
    saturation, put, fast_p50, p95_20, p95_busy, rss = result.figures
    assert "busy core" in p95_busy.label
    assert saturation.ratio == pytest.approx(33.0 / 23.0) and not saturation.met  # 1.43 < 1.5
    assert put.ratio == pytest.approx(1.0) and put.met  # medians 400 / 400
    assert fast_p50.ratio == pytest.approx(1.2) and fast_p50.met
    assert p95_20.met and p95_20.ratio == pytest.approx(1200 / 1500)
    assert "MiniStack 120 ms" in p95_20.label
    assert rss.ratio == pytest.approx(1.0) and rss.met is None
    put_row = next(row for row in result.rows if row[0].startswith("PutItem"))
    assert put_row[1] == "400 [300-500]" and put_row[3] == "400 [400-400]"


def test_a_missing_figure_is_no_verdict_rather_than_a_division_by_zero() -> None:
    assert compare.ratio(None, 3.0) is None and compare.ratio(3.0, 0.0) is None
    raw = {compare.ONRAMP: _target([100.0], 300.0, 1200.0, [0.0]), compare.PEER: {}}
    saturation, put, *_ = compare.peer_result(raw, compare.PeerSizes()).figures
    assert saturation.met is None and saturation.ratio is None
    assert put.met is None


VENV = Path(ministack.VENV)
BUILT = VENV / "build" / "packages"


@pytest.mark.integration
@pytest.mark.skipif(
    not (VENV / "bin" / "ministack").exists() or not BUILT.exists(),
    reason="MiniStack and the code's packages are installed by `onramp bench --only peer`",
)
def test_the_template_deploys_on_ministack_and_registers_a_user() -> None:
    from onramp.local.registrations import post_registration

    with ministack.MiniStackServer(VENV / "bin" / "python") as server:
        deployed = ministack.deploy(server.endpoint_url, DEFAULT_TEMPLATE, VENV / "build")
        assert deployed.routes_added == ["POST /register"]
        assert "MonthlyBudget" in dict(deployed.skipped)
        body = b'{"email": "ann@example.com", "name": "Ann Lee", "phone": "+14155550100"}'
        assert post_registration(deployed.api_url, body, timeout_s=60) == 202


@pytest.mark.integration
def test_the_onramp_target_reads_its_users_with_their_addresses() -> None:
    """The figures of a run are matched to its users by address: the target must read the
    table itself (the console's pages mask addresses)."""
    from onramp.bench.peer.targets import onramp_target
    from onramp.local.registrations import post_registration

    with onramp_target("fast") as target:
        body = b'{"email": "ann@example.com", "name": "Ann Lee", "phone": "+14155550100"}'
        assert post_registration(target.api_url, body, timeout_s=60) == 202
        users = target.users()
        assert [u["email"] for u in users] == ["ann@example.com"]
        assert users[0]["status"] in ("pending", "processing", "completed")
