"""Read a Cost Explorer export of daily cost by service, for the budget review.

Either the console's "Download CSV" (header ``Service, <service>($)..., Total costs($)``, a
``Service total`` row, then one row per day) or the JSON of ``aws ce get-cost-and-usage
--granularity DAILY`` (``ResultsByTime``); and the JSON of ``aws ce get-cost-forecast`` for
the rest of the month. A file that is none of these is one UsageError naming it.

Example::

    costs = read_cost_explorer("samples/cost-explorer/daily-costs-by-service.csv")
    costs.by_service()      # {"AWS Lambda": Decimal("1.23"), ...}
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from costmodel.forecast.budget_review import CostForecast, DailyCosts
from costmodel.pricing.engine import to_cents
from kernel.errors import UsageError

CSV_TOTAL_COLUMN = "Total costs($)"
CSV_TOTAL_ROW = "Service total"
CSV_SUFFIX = "($)"
METRICS = ("UnblendedCost", "NetUnblendedCost", "AmortizedCost", "BlendedCost")
"""Cost Explorer metrics in order of preference (what the console shows by default first)."""


def _amount(text: Any, where: str) -> Decimal:
    try:
        value = Decimal(str(text).strip() or "0")
    except InvalidOperation:
        raise UsageError(f"{where}: {text!r} is not an amount") from None
    if not value.is_finite():
        raise UsageError(f"{where}: {text!r} is not an amount")
    return value


def _day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise UsageError(f"{where}: {text!r} is not a date (YYYY-MM-DD)") from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read Cost Explorer export {path}: {exc.strerror}") from None


def _from_csv(path: Path) -> DailyCosts:
    rows = list(csv.reader(_read_text(path).splitlines()))
    if not rows or not rows[0] or rows[0][0].strip() != "Service":
        raise UsageError(f"{path}: not a Cost Explorer CSV (first header cell must be 'Service')")
    header = [cell.strip() for cell in rows[0]]
    services = {
        index: name.removesuffix(CSV_SUFFIX)
        for index, name in enumerate(header)
        if index and name.endswith(CSV_SUFFIX) and name != CSV_TOTAL_COLUMN
    }
    if not services:
        raise UsageError(f"{path}: no '<service>($)' column in the header")
    days: dict[date, dict[str, Decimal]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not row or row[0].strip() == CSV_TOTAL_ROW:
            continue
        where = f"{path} line {number}"
        day = _day(row[0], where)
        days[day] = {
            name: _amount(row[index] if index < len(row) else "", where)
            for index, name in services.items()
        }
    return DailyCosts(days, str(path))


def _metric(metrics: dict[str, Any], where: str) -> Decimal:
    for name in METRICS:
        if name in metrics:
            return _amount(metrics[name].get("Amount"), f"{where} {name}")
    raise UsageError(f"{where}: none of the metrics {', '.join(METRICS)}")


def _from_json(path: Path, data: Any) -> DailyCosts:
    if not isinstance(data, dict) or not isinstance(data.get("ResultsByTime"), list):
        raise UsageError(f"{path}: not a get-cost-and-usage result (no 'ResultsByTime' list)")
    days: dict[date, dict[str, Decimal]] = {}
    for index, result in enumerate(data["ResultsByTime"]):
        where = f"{path} ResultsByTime[{index}]"
        try:
            day = _day(result["TimePeriod"]["Start"], where)
        except (KeyError, TypeError):
            raise UsageError(f"{where}: no TimePeriod.Start") from None
        groups = result.get("Groups") or []
        if groups:
            days[day] = {
                " / ".join(group["Keys"]): _metric(group["Metrics"], where) for group in groups
            }
        else:
            days[day] = {"Total": _metric(result.get("Total") or {}, where)}
    return DailyCosts(days, str(path))


def read_cost_explorer(path: Path | str) -> DailyCosts:
    """Read a Cost Explorer export: the console's CSV or get-cost-and-usage JSON (by suffix)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return _from_csv(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(_read_text(path))
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}: not valid JSON ({exc})") from None
        return _from_json(path, data)
    raise UsageError(f"{path}: expected a .csv or .json Cost Explorer export")


def read_cost_forecast(path: Path | str) -> CostForecast:
    """Read the JSON of ``aws ce get-cost-forecast`` (its Total and the interval bounds)."""
    path = Path(path)
    try:
        data = json.loads(_read_text(path))
        total = data["Total"]["Amount"]
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON ({exc})") from None
    except (KeyError, TypeError):
        raise UsageError(f"{path}: not a get-cost-forecast result (no Total.Amount)") from None
    periods = data.get("ForecastResultsByTime") or []

    def bound(key: str) -> Decimal | None:
        values = [p[key] for p in periods if key in p]
        if not values:
            return None
        return to_cents(sum((_amount(v, f"{path} {key}") for v in values), Decimal(0)))

    return CostForecast(
        to_cents(_amount(total, f"{path} Total")),
        bound("PredictionIntervalLowerBound"),
        bound("PredictionIntervalUpperBound"),
    )
