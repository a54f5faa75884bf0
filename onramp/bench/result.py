"""What every benchmark returns: headline figures against their goals, a detail table, notes."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One headline figure: its value as printed, the goal, whether it is met, the ratio.

    ``met`` None means the figure has no goal (reported for information).
    """

    label: str
    value: str
    goal: str = ""
    met: bool | None = None
    ratio: float | None = None

    @property
    def verdict(self) -> str:
        """``met``, ``not met`` or ``-`` (no goal)."""
        if self.met is None:
            return "-"
        return "met" if self.met else "not met"


@dataclass
class BenchResult:
    """A benchmark's outcome: figures, one table (header + rows) and explanatory notes."""

    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def ratio(value: float, baseline: float) -> float:
    """``value / baseline`` (infinite for a zero baseline), for figures given as ratios."""
    return value / baseline if baseline else float("inf")


def median(values: list[float]) -> float:
    """The median of a non-empty list of timings."""
    return float(statistics.median(values))
