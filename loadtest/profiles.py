"""Load profiles as pure functions of time: how many users run at each moment of a test.

Each user sends ``rate / users`` registrations a second (Locust's ``constant_throughput``),
so the arrival rate follows the user count and ``rate`` is the rate at peak (for ``steady``,
the rate throughout). No Locust import here: ``shapes.py`` wraps these for Locust, and the
CLI and tests use them directly.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kernel.errors import UsageError


def steady(progress: float) -> float:
    """Full load for the whole test."""
    return 1.0


def ramp(progress: float) -> float:
    """Linear climb to full load over the first 80% of the test, then hold it."""
    return min(1.0, progress / 0.8)


def spike(progress: float) -> float:
    """A fifth of the load, with full load for the middle fifth of the test."""
    return 1.0 if 0.4 <= progress < 0.6 else 0.2


def diurnal(progress: float) -> float:
    """A day compressed into the test: a night trough of 15% at both ends, a midday peak."""
    return 0.15 + 0.85 * (1 - math.cos(2 * math.pi * progress)) / 2


PROFILES: dict[str, Callable[[float], float]] = {
    "steady": steady,
    "ramp": ramp,
    "spike": spike,
    "diurnal": diurnal,
}
SHAPE_NAMES: tuple[str, ...] = tuple(PROFILES)


@dataclass(frozen=True)
class LoadPlan:
    """A test's shape, peak users, peak arrival rate (registrations/s) and duration."""

    shape: str
    users: int
    rate: float
    duration_s: float

    def __post_init__(self) -> None:
        if self.shape not in PROFILES:
            raise UsageError(f"--shape: {self.shape!r} is not one of {', '.join(SHAPE_NAMES)}")
        if self.users < 1:
            raise UsageError(f"--users: {self.users} must be at least 1")
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise UsageError(f"--rate: {self.rate} must be a positive number")
        if not (math.isfinite(self.duration_s) and self.duration_s > 0):
            raise UsageError(f"--duration: {self.duration_s} must be a positive number")

    @property
    def per_user_rate(self) -> float:
        """Registrations a second each user sends."""
        return self.rate / self.users

    def users_at(self, elapsed_s: float) -> int | None:
        """Users that should run ``elapsed_s`` into the test; None once it is over."""
        if elapsed_s >= self.duration_s:
            return None
        fraction = PROFILES[self.shape](elapsed_s / self.duration_s)
        return max(1, round(self.users * fraction))

    def to_env(self) -> dict[str, str]:
        """The ``ONRAMP_*`` variables the Locust subprocess reads back with ``from_env``."""
        return {
            "ONRAMP_SHAPE": self.shape,
            "ONRAMP_USERS": str(self.users),
            "ONRAMP_RATE": repr(self.rate),
            "ONRAMP_DURATION": repr(self.duration_s),
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> LoadPlan:
        """The plan in ``environ`` (defaults: steady, 10 users, 10/s, 60 s)."""
        try:
            return cls(
                shape=environ.get("ONRAMP_SHAPE", "steady"),
                users=int(environ.get("ONRAMP_USERS", "10")),
                rate=float(environ.get("ONRAMP_RATE", "10")),
                duration_s=float(environ.get("ONRAMP_DURATION", "60")),
            )
        except ValueError as exc:
            raise UsageError(f"ONRAMP_USERS/ONRAMP_RATE/ONRAMP_DURATION: {exc}") from None


def default_users(rate: float) -> int:
    """Users for a target rate: four per registration a second (each sends one every 4 s).

    A user cannot exceed ``1 / latency`` requests a second, so one request every 4 s per user
    keeps the rate with replies of up to 4 s (the embedded stack under load answers in 1-4 s).
    """
    return max(1, math.ceil(4 * rate))
