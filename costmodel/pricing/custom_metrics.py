"""The custom metrics (EMF) the stack's code emits, counted from the Lambda code's own table.

The handlers' metric list is one table, ``onboarding/domain/metric_catalog.py`` under the functions'
``CodeUri``; this module loads it from there (standard library only, no AWS imports), so the
bill counts exactly the series the code can emit: none is copied here. A template whose code
has no such table emits no custom metric.

CloudWatch bills a custom metric pro rata by the hours it receives data (PRICING_FACTS.md,
"CloudWatch custom metrics: billed pro rata per hour with data"; source
https://aws.amazon.com/cloudwatch/pricing/): a series with no datapoint in a month costs
nothing, so the fixed bill at zero traffic carries none. With onboardings spread over the
month's 730 hours as a Poisson process, an hour has data when it has at least one onboarding,
a share of ``1 - exp(-users / 730)``; every series is priced at that share, an upper bound
for the rarer ones (failures of one reason, one rejection status). The catalog's
``every_hour`` series (the sweeper's ``StuckUsers``, emitted by every scheduled sweep, zero
included) have data in every hour whatever the traffic: a full metric-month each, fixed.

Example::

    series = catalog_series(functions(load_template(DEFAULT_TEMPLATE), Path("stack")))  # 21
    metric_months(series, 1_000)    # 15.7: 21 series x 0.746 of the hours
    metric_months(series, 0)        # 0.0

(21 counts every function of the template, the data lake's too; ``read_stack`` counts the
deployed ones: 19 with the data lake off.)
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from kernel.sam_template import FunctionSpec

CATALOG_FILE = Path("onboarding") / "domain" / "metric_catalog.py"
HOURS_PER_MONTH = 730
"""AWS's month for pro-rata hourly billing (8,760 hours / 12)."""
STREAM_EVENT = "DynamoDB"


def stream_functions(specs: Iterable[FunctionSpec]) -> list[FunctionSpec]:
    """The functions with a DynamoDB stream event source (they emit the per-record metrics)."""
    return [
        spec
        for spec in specs
        if any(event.get("Type") == STREAM_EVENT for event in spec.events.values())
    ]


def catalog_series(specs: Iterable[FunctionSpec]) -> int:
    """Metric series the deployed functions' code can emit (its catalog's own count)."""
    specs = list(specs)
    streams = stream_functions(specs)
    return sum(
        int(catalog.series_count(sum(1 for s in streams if s.code_dir == code_dir)))
        for code_dir, catalog in _catalogs(specs).items()
    )


def catalog_every_hour_series(specs: Iterable[FunctionSpec]) -> int:
    """Of :func:`catalog_series`, the series with data in every hour (a catalog without
    ``every_hour_series_count`` has none)."""
    return sum(
        int(getattr(catalog, "every_hour_series_count", lambda: 0)())
        for catalog in _catalogs(specs).values()
    )


def _catalogs(specs: Iterable[FunctionSpec]) -> dict[Path, Any]:
    """The metric catalog of each code dir of ``specs`` that has one, by code dir."""
    code_dirs = {spec.code_dir for spec in specs if (spec.code_dir / CATALOG_FILE).exists()}
    return {code_dir: _catalog(code_dir) for code_dir in sorted(code_dirs)}


def metric_months(series: int, users: Any) -> Any:
    """Metric-months billed for ``series`` in a month of ``users`` onboardings: a Decimal for
    the exact bill, an array for the vectorised model."""
    if isinstance(users, np.ndarray):
        return series * -np.expm1(-users.astype(float) / HOURS_PER_MONTH)
    share = 1 - (-Decimal(users) / HOURS_PER_MONTH).exp()
    return series * share


def _catalog(code_dir: Path) -> Any:
    """The metric catalog under ``code_dir``, loaded once per version of the file."""
    path = (code_dir / CATALOG_FILE).resolve()
    return _load(path, path.stat().st_mtime_ns)


@cache
def _load(path: Path, mtime_ns: int) -> Any:
    """The catalog file at ``path`` as a module of its own, run once per path and version
    (``read_stack`` asks on every call; ``mtime_ns`` runs an edited file again). Its code dir
    is on the path while it runs, for its imports of the code's other modules."""
    code_dir = path.parents[len(CATALOG_FILE.parts) - 1]
    name = f"_metric_catalog_{abs(hash(str(path)))}_{mtime_ns}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    added = str(code_dir) not in sys.path
    if added:
        sys.path.insert(0, str(code_dir))
    try:
        spec.loader.exec_module(module)
    finally:
        if added:
            sys.path.remove(str(code_dir))
    return module
