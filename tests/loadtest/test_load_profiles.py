"""Load profiles: users over time, the per-user rate, and the environment round trip."""

from __future__ import annotations

import pytest

from kernel.errors import UsageError
from loadtest.profiles import SHAPE_NAMES, LoadPlan, default_users


def _users(shape: str, users: int = 100, duration_s: float = 100.0) -> list[int | None]:
    plan = LoadPlan(shape, users, rate=50.0, duration_s=duration_s)
    return [plan.users_at(t) for t in range(0, 101, 10)]


def test_steady() -> None:
    assert _users("steady") == [100] * 10 + [None]


def test_ramp_climbs_then_holds() -> None:
    users = _users("ramp")
    expected = [1, 12.5, 25, 37.5, 50, 62.5, 75, 87.5, 100, 100]
    assert all(abs(got - want) <= 0.5 for got, want in zip(users, expected, strict=False))
    assert users[-1] is None


def test_spike_in_the_middle_fifth() -> None:
    assert _users("spike") == [20, 20, 20, 20, 100, 100, 20, 20, 20, 20, None]


def test_diurnal_trough_at_night_peak_at_midday() -> None:
    users = _users("diurnal")[:-1]
    assert users[0] == 15 and max(users) == users[5] == 100
    assert users[1:5] == sorted(users[1:5]) and users[6:] == sorted(users[6:], reverse=True)


def test_rate_is_spread_over_users() -> None:
    plan = LoadPlan("steady", users=40, rate=20.0, duration_s=60)
    assert plan.per_user_rate == pytest.approx(0.5)
    assert default_users(20) == 80 and default_users(0.2) == 1


def test_environment_round_trip() -> None:
    plan = LoadPlan("diurnal", users=7, rate=3.5, duration_s=42.5)
    assert LoadPlan.from_env(plan.to_env()) == plan
    assert LoadPlan.from_env({}) == LoadPlan("steady", 10, 10.0, 60.0)


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [({"shape": "sawtooth"}, "--shape"), ({"users": 0}, "--users"), ({"rate": 0}, "--rate"),
     ({"rate": float("nan")}, "--rate"), ({"duration_s": -1}, "--duration")],
)  # fmt: skip
def test_bad_plans_name_the_flag(kwargs: dict, flag: str) -> None:
    with pytest.raises(UsageError, match=f"^{flag}: "):
        LoadPlan(**{"shape": "steady", "users": 1, "rate": 1.0, "duration_s": 1.0, **kwargs})


def test_every_shape_is_listed() -> None:
    assert SHAPE_NAMES == ("steady", "ramp", "spike", "diurnal")
