"""Custom metrics: counted from the Lambda code's own table, billed by the hours with data."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from onboarding.domain import metric_catalog

from costmodel.forecast.scenario import estimate, load_scenario
from costmodel.pricing.custom_metrics import HOURS_PER_MONTH, catalog_series, metric_months
from costmodel.pricing.template_costs import read_stack
from kernel.sam_template import DEFAULT_TEMPLATE, functions, load_template

CODE = Path(__file__).resolve().parents[2] / "stack" / "src" / "onboarding"


def test_the_table_lists_every_metric_the_code_emits() -> None:
    """Every metric name the handlers pass to count/count_by/gauge/EMF is a row of the table."""
    used = set()
    for source in CODE.rglob("*.py"):
        used |= set(re.findall(r"\b(?:count(?:_by)?|gauge)\(([A-Z_]+)\b", source.read_text()))
    names = {name for name in vars(metric_catalog) if name.isupper()}
    assert used and used <= names
    emitted = {getattr(metric_catalog, name).name for name in used} | {
        metric_catalog.FAILURES.name,
        metric_catalog.RECORD_PROCESSING_TIME.name,
        metric_catalog.RECORD_FAILURES.name,
    }
    assert emitted == {metric.name for metric in metric_catalog.METRICS}


def test_the_cost_model_counts_the_tables_series_for_the_deployed_functions() -> None:
    template = load_template(DEFAULT_TEMPLATE)
    specs = list(functions(template, DEFAULT_TEMPLATE.parent))
    default = read_stack(DEFAULT_TEMPLATE)
    # enrich and provision read the stream (DataLake is off by default): 2 per-record series each
    assert default.custom_metric_series == metric_catalog.series_count(stream_functions=2)
    # 3 counts, Failures by 7 reasons, Rejections by 4 statuses, 2 per stream function, and
    # the sweeper's StuckUsers (data in every hour: fixed)
    assert default.custom_metric_series == 3 + 7 + 4 + 2 * 2 + 1
    assert default.every_hour_metric_series == metric_catalog.every_hour_series_count() == 1
    lake = read_stack(DEFAULT_TEMPLATE, {"EnableDataLake": "true"})
    assert lake.custom_metric_series == metric_catalog.series_count(stream_functions=3)
    assert catalog_series(specs) == lake.custom_metric_series  # every function, no condition


def test_no_data_no_charge_and_a_full_month_at_volume() -> None:
    assert metric_months(17, 0) == 0
    assert float(metric_months(17, HOURS_PER_MONTH)) == pytest.approx(17 * (1 - 1 / 2.718281828))
    assert float(metric_months(17, 10_000_000)) == pytest.approx(17)


def test_fixed_bill_at_zero_traffic_carries_only_the_sweeps_metric() -> None:
    """No traffic, no data in the traffic's series; the sweep emits StuckUsers every 5 minutes
    (0 included), so that one series is billed the whole month."""
    scenario = load_scenario(free_tier="none")
    fixed = estimate(0, scenario).bill
    custom = [line for line in fixed.lines if line.item == "custom_metrics"]
    assert sum(line.usd for line in custom) == Decimal("0.30")
    busy = [line for line in scenario.bill(1_000_000).lines if line.item == "custom_metrics"]
    assert sum(line.usd for line in busy) == Decimal("0.30") * 19


def test_the_catalog_runs_once_per_version_not_on_every_read_stack(tmp_path: Path) -> None:
    """read_stack runs for every scenario (the sensitivity sweep builds dozens): the catalog
    file is executed once per path and version, and again once it is edited."""
    template = tmp_path / "template.yaml"
    template.write_text(DEFAULT_TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    catalog = tmp_path / "src" / "onboarding" / "domain" / "metric_catalog.py"
    catalog.parent.mkdir(parents=True)
    runs = tmp_path / "runs.log"

    def write_catalog(base: int) -> None:
        catalog.write_text(
            f"with open({str(runs)!r}, 'a') as log:\n"
            "    log.write('ran\\n')\n\n\n"
            "def series_count(stream_functions):\n"
            f"    return {base} + 2 * stream_functions\n",
            encoding="utf-8",
        )

    write_catalog(3)
    assert [read_stack(template).custom_metric_series for _ in range(3)] == [7, 7, 7]
    assert runs.read_text().splitlines() == ["ran"]
    write_catalog(10)
    os.utime(catalog, ns=(catalog.stat().st_atime_ns, catalog.stat().st_mtime_ns + 10**9))
    assert read_stack(template).custom_metric_series == 14
    assert runs.read_text().splitlines() == ["ran", "ran"]
