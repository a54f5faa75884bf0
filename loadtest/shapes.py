"""Locust LoadTestShape classes for the profiles in ``profiles.py``, selectable by name.

Only the Locust subprocess imports this module. Parameters come from the environment
(``ONRAMP_SHAPE``, ``ONRAMP_USERS``, ``ONRAMP_RATE``, ``ONRAMP_DURATION``).
"""

from __future__ import annotations

import dataclasses

from locust import LoadTestShape

from loadtest.profiles import LoadPlan


class PlannedShape(LoadTestShape):
    """Follows ``LoadPlan.users_at`` each tick.

    Users spawn at ``rate`` a second: each sends its first registration on arrival, so during
    spawning the arrival rate is already ``rate`` and the users' later requests stay evenly
    staggered instead of arriving in waves.
    """

    abstract = True
    shape_name = "steady"

    def __init__(self) -> None:
        super().__init__()
        self.plan = dataclasses.replace(LoadPlan.from_env(), shape=self.shape_name)

    def tick(self) -> tuple[int, float] | None:
        """Users and spawn rate now, or None to end the test."""
        users = self.plan.users_at(self.get_run_time())
        return None if users is None else (users, self.plan.rate)


class SteadyShape(PlannedShape):
    """Constant load."""

    shape_name = "steady"


class RampShape(PlannedShape):
    """Linear ramp to peak, then hold."""

    shape_name = "ramp"


class SpikeShape(PlannedShape):
    """Low base with a spike in the middle."""

    shape_name = "spike"


class DiurnalShape(PlannedShape):
    """A compressed day."""

    shape_name = "diurnal"


SHAPES: dict[str, type[PlannedShape]] = {
    cls.shape_name: cls for cls in (SteadyShape, RampShape, SpikeShape, DiurnalShape)
}
