"""The measured shape's own spread: a bootstrap of the run's invocations and onboardings.

One run measures a few hundred invocations and onboardings; another run of the same load
would measure slightly different means. Resampling the run's own records with replacement
(the bootstrap) gives that spread without inventing a range:

- billed ms per invocation, per function (``invocations.csv``);
- records per stream batch, per stream function (``invocations.csv``'s ``batch_size``,
  written by runs since 2026-12-01; older runs have none, and it is said so);
- the failure share of accepted onboardings and the invalid share of registration requests
  (binomial resampling of the measured counts).

Price changes are out of scope: prices are the catalog's dated facts.

Example::

    evidence = read_evidence("samples/sample-run", load_measurement("samples/sample-run"))
    factors = evidence.duration_factors(10_000, np.random.default_rng(0))   # per function
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from costmodel.measurement import Measurement

INVOCATIONS_CSV = "invocations.csv"
CHUNK = 512
"""Bootstrap rows resampled at a time (bounds memory: CHUNK x invocations integers)."""


@dataclass(frozen=True)
class RunEvidence:
    """What a run recorded one by one: the raw material of its bootstrap."""

    run_id: str
    billed_ms: dict[str, np.ndarray]
    """Per function: billed ms of each invocation."""
    accepted: int
    failed: int
    rejected: int
    batch_sizes: dict[str, np.ndarray] = field(default_factory=dict)
    """Per stream function: records in each invocation's batch (empty for older runs)."""

    @property
    def invocations(self) -> int:
        """Invocations resampled, all functions."""
        return sum(len(values) for values in self.billed_ms.values())

    def duration_factors(self, draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Per function: resampled mean billed ms / measured mean (1.0 = as measured)."""
        return {key: _mean_ratio(values, draws, rng) for key, values in self.billed_ms.items()}

    def batch_factors(self, draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Per stream function: invocations per onboarding, resampled / measured.

        A batch of more records means fewer invocations for the same records: the factor is
        the measured mean batch size over the resampled one.
        """
        return {
            key: 1.0 / _mean_ratio(values, draws, rng) for key, values in self.batch_sizes.items()
        }

    def failure_shares(self, draws: int, rng: np.random.Generator) -> np.ndarray:
        """Failed / accepted onboardings, resampled (binomial on the measured counts)."""
        return _share(self.failed, self.accepted, draws, rng)

    def invalid_shares(self, draws: int, rng: np.random.Generator) -> np.ndarray:
        """Rejected / all registration requests, resampled (binomial on the measured counts)."""
        return _share(self.rejected, self.accepted + self.rejected, draws, rng)


def _mean_ratio(values: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap means of ``values`` divided by their mean (1.0 where the mean is zero)."""
    mean = float(values.mean()) if len(values) else 0.0
    if mean == 0.0:
        return np.ones(draws)
    means = np.empty(draws)
    for start in range(0, draws, CHUNK):
        rows = min(CHUNK, draws - start)
        picks = rng.integers(0, len(values), size=(rows, len(values)))
        means[start : start + rows] = values[picks].mean(axis=1)
    return means / mean


def _share(count: int, total: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    if total <= 0:
        return np.zeros(draws)
    return rng.binomial(total, count / total, size=draws) / total


def read_evidence(run_dir: Path | str, measurement: Measurement) -> RunEvidence | None:
    """The evidence of a run directory, or None when it has no invocations.csv."""
    path = Path(run_dir) / INVOCATIONS_CSV
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError):
        return None
    if not {"function", "billed_ms"} <= set(frame.columns) or frame.empty:
        return None
    functions = measurement.functions
    billed = {
        str(key): group["billed_ms"].to_numpy(dtype=float)
        for key, group in frame.groupby("function")
    }
    batches: dict[str, np.ndarray] = {}
    if "batch_size" in frame.columns:
        for key, group in frame.groupby("function"):
            function = functions.get(str(key))
            if function is not None and (function.records or 0) > 0:
                batches[str(key)] = group["batch_size"].to_numpy(dtype=float)
    counts = measurement.onboardings
    return RunEvidence(
        run_id=measurement.run_id,
        billed_ms=billed,
        accepted=counts.accepted,
        failed=counts.failed,
        rejected=counts.rejected,
        batch_sizes=batches,
    )
