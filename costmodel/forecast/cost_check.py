"""Money thresholds, k6-style: each one judged on a priced scenario, pass or fail, all printed.

Four kinds, each a limit on one figure of the exact Decimal bill:

- ``max-per-1000``: all-in cost per 1,000 onboardings (fixed part included) at a volume;
- ``max-monthly``: the month's bill at a volume;
- ``min-breakeven``: the most onboardings a month the budget holds (costmodel.forecast.breakeven);
- ``max-fixed``: the bill with no onboarding at all (alarms, action budgets).

A volume or a limit takes human units (``1M``, ``500k``, ``$0.15``, ``1,000``); a per-volume
threshold may carry its own volume after ``@`` (``0.50@10k``), else it is judged at the
check's default volume.

Example::

    check = CostCheck.parse(max_per_1000=["0.50@10k"], max_fixed="1.20", min_breakeven="25k")
    result = check.evaluate(load_scenario("samples/sample-run"))
    result.passed, [r.line() for r in result.results]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from costmodel.forecast.breakeven import BreakEven, breakeven
from costmodel.forecast.scenario import (
    MAX_ONBOARDINGS,
    MAX_ONBOARDINGS_WHY,
    Estimate,
    Scenario,
    estimate,
)
from kernel.errors import UsageError

DEFAULT_VOLUME = 1_000
"""Onboardings a month a per-volume threshold is judged at when it names none (the demo's
headline volume)."""
SUFFIXES = {"k": Decimal(10**3), "m": Decimal(10**6), "b": Decimal(10**9)}
"""Human multipliers, case-insensitive: 500k, 1M, 2B (counts never mean milli)."""
_NUMBER = re.compile(
    r"^\$?((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9][0-9_]*)(?:\.[0-9]+)?|\.[0-9]+)([kmb]?)$", re.IGNORECASE
)
"""Commas only between groups of three digits: ``0,15`` (a decimal comma) is refused, never
read as 15."""


def parse_amount(text: str, flag: str) -> Decimal:
    """A non-negative number with an optional ``$`` and k/M/B suffix; UsageError naming ``flag``.

    >>> parse_amount("1.5M", "--users"), parse_amount("$0.15", "--max-per-1000")
    (Decimal('1500000.0'), Decimal('0.15'))
    """
    match = _NUMBER.match(str(text).strip())
    if not match:
        raise UsageError(f"{flag}: expected a number such as 100, 0.15, 500k or 1M, got {text!r}")
    digits, suffix = match.groups()
    try:
        value = Decimal(digits.replace("_", "").replace(",", ""))
    except InvalidOperation:
        raise UsageError(f"{flag}: expected a number, got {text!r}") from None
    return value * SUFFIXES.get(suffix.lower(), Decimal(1))


def parse_count(text: str, flag: str, minimum: int = 0) -> int:
    """A whole count of onboardings (``1M``, ``500k``, ``29,028``) up to MAX_ONBOARDINGS."""
    value = parse_amount(text, flag)
    if value != value.to_integral_value():
        raise UsageError(f"{flag}: expected a whole number, got {text!r}")
    if value < minimum:
        raise UsageError(f"{flag}: expected a whole number >= {minimum}, got {text!r}")
    if value > MAX_ONBOARDINGS:
        raise UsageError(
            f"{flag}: {value:.3g} is above the bound ({MAX_ONBOARDINGS:.0e} a month: "
            f"{MAX_ONBOARDINGS_WHY})"
        )
    return int(value)


@dataclass(frozen=True)
class Threshold:
    """One limit: ``kind`` (see the module), the limit, and the volume it is judged at."""

    kind: str
    limit: Decimal
    users: int | None = None
    """Onboardings a month (per-volume kinds only)."""

    @property
    def figure(self) -> str:
        """What is measured, in words."""
        if self.kind == "max-per-1000":
            return f"per 1,000 onboardings at {self.users:,}/month"
        if self.kind == "max-monthly":
            return f"monthly bill at {self.users:,}/month"
        if self.kind == "min-breakeven":
            return "break-even (onboardings/month within budget)"
        return "fixed monthly (no onboarding)"


@dataclass(frozen=True)
class ThresholdResult:
    """A threshold judged: the actual figure, pass or fail, and the margin either way."""

    threshold: Threshold
    actual: Decimal | int | None
    """None when the break-even does not exist (fixed costs alone exceed the budget)."""
    passed: bool

    @property
    def margin(self) -> str:
        """``headroom $0.09, 18% of the limit`` or ``over by $0.10, 11% of the limit`` (a count
        of onboardings for the break-even: ``short by 7,513, ...``)."""
        limit = self.threshold.limit
        if self.actual is None:
            return "the fixed costs alone exceed the budget"
        gap = (Decimal(self.actual) - limit).copy_abs()
        amount = f"{int(gap):,}" if self.threshold.kind == "min-breakeven" else f"${gap:.2f}"
        share = f", {gap / limit:.0%} of the limit" if limit else ""
        if self.passed:
            return f"headroom {amount}{share}"
        worse = "short by" if self.threshold.kind == "min-breakeven" else "over by"
        return f"{worse} {amount}{share}"

    def values(self) -> tuple[str, str, str]:
        """(actual, operator, limit) as printed."""
        if self.threshold.kind == "min-breakeven":
            actual = "none" if self.actual is None else f"{int(self.actual):,}"
            return actual, ">=", f"{int(self.threshold.limit):,}"
        return f"${self.actual}", "<=", f"${self.threshold.limit}"

    def line(self, width: int = 0) -> str:
        """One line: ``PASS  per 1,000 onboardings at 10,000/month  $0.40 <= $0.50  (...)``;
        the figure's name padded to ``width``."""
        actual, op, limit = self.values()
        verdict = "PASS" if self.passed else "FAIL"
        name = self.threshold.figure.ljust(width)
        return f"{verdict}  {name}  {actual} {op} {limit}  ({self.margin})"

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values (amounts as decimal strings)."""
        return {
            "threshold": self.threshold.kind,
            "users": self.threshold.users,
            "limit": str(self.threshold.limit),
            "actual": None if self.actual is None else str(self.actual),
            "passed": self.passed,
            "margin": self.margin,
        }


@dataclass(frozen=True)
class CheckResult:
    """Every threshold judged on one scenario (its shape and free tier named)."""

    context: str
    """``<shape>; free tier <profile>; <region>``: Scenario.describe()."""
    budget: Decimal
    results: list[ThresholdResult]

    @property
    def passed(self) -> bool:
        """True when every threshold passed."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[ThresholdResult]:
        """The thresholds that failed."""
        return [r for r in self.results if not r.passed]

    def text(self) -> str:
        """Every threshold with PASS/FAIL, then the verdict line."""
        lines = [f"cost check ({self.context}; budget ${self.budget}):"]
        width = max((len(r.threshold.figure) for r in self.results), default=0)
        lines += [f"  {r.line(width)}" for r in self.results]
        verdict = "ok" if self.passed else "FAILED"
        lines.append(
            f"cost check {verdict}: {len(self.results) - len(self.failures)} of "
            f"{len(self.results)} thresholds passed"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The check as a JSON-ready document."""
        return {
            "context": self.context,
            "budget": str(self.budget),
            "passed": self.passed,
            "results": [r.to_dict() for r in self.results],
        }


@dataclass(frozen=True)
class CostCheck:
    """A set of thresholds and the volume per-volume ones default to."""

    thresholds: tuple[Threshold, ...] = ()
    budget: Decimal | None = None
    """The budget the break-even is judged against (None: the template's)."""

    @classmethod
    def parse(
        cls,
        *,
        max_per_1000: Iterable[str] = (),
        max_monthly: Iterable[str] = (),
        min_breakeven: str | None = None,
        max_fixed: str | None = None,
        users: str | int = DEFAULT_VOLUME,
        budget: Decimal | None = None,
    ) -> CostCheck:
        """Thresholds from flag texts; ``AMOUNT@VOLUME`` overrides ``users`` for one threshold.

        UsageError (naming the flag) for any malformed value.
        """
        default_users = parse_count(str(users), "--users", minimum=1)
        found: list[Threshold] = []
        for kind, texts in (("max-per-1000", max_per_1000), ("max-monthly", max_monthly)):
            for text in texts:
                amount, _, volume = str(text).partition("@")
                at = parse_count(volume, f"--{kind}", minimum=1) if volume else default_users
                found.append(Threshold(kind, parse_amount(amount, f"--{kind}"), at))
        if min_breakeven is not None:
            found.append(
                Threshold("min-breakeven", Decimal(parse_count(min_breakeven, "--min-breakeven")))
            )
        if max_fixed is not None:
            found.append(Threshold("max-fixed", parse_amount(max_fixed, "--max-fixed")))
        return cls(tuple(found), budget)

    def evaluate(self, scenario: Scenario) -> CheckResult:
        """Judge every threshold on ``scenario`` (each volume priced once)."""
        budget = scenario.stack.budget_usd if self.budget is None else self.budget
        estimates: dict[int, Estimate] = {}
        found_breakeven: BreakEven | None = None

        def at(users: int) -> Estimate:
            if users not in estimates:
                estimates[users] = estimate(users, scenario)
            return estimates[users]

        results = []
        for threshold in self.thresholds:
            actual: Decimal | int | None
            if threshold.kind == "max-per-1000":
                actual = at(threshold.users or DEFAULT_VOLUME).per_1000
            elif threshold.kind == "max-monthly":
                actual = at(threshold.users or DEFAULT_VOLUME).total
            elif threshold.kind == "max-fixed":
                actual = scenario.fixed_bill.total
            else:
                found_breakeven = found_breakeven or breakeven(scenario, budget)
                actual = found_breakeven.within_budget
            if threshold.kind == "min-breakeven":
                passed = actual is not None and actual >= threshold.limit
            else:
                passed = actual is not None and actual <= threshold.limit
            results.append(ThresholdResult(threshold, actual, passed))
        return CheckResult(scenario.describe(), budget, results)
