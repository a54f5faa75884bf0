"""Cold start: import time of each handler module against a bare ``import boto3``.

Each import runs in a fresh interpreter (``time.perf_counter`` around the import statement,
interpreter start-up excluded), rounds interleaved so every module and the baseline see the
same machine noise; the median of the rounds is reported. Two environments: tracing off
(``POWERTOOLS_TRACE_DISABLED=true``, as the embedded stack runs them) and as in Lambda
(``LAMBDA_TASK_ROOT`` set, tracing on: Powertools loads the X-Ray SDK and patches botocore).

Example::

    result = run(repetitions=5)
    result.figures[0].ratio      # register's import time / boto3's
"""

from __future__ import annotations

import os
from pathlib import Path

from onramp.bench.interpreter import run_python
from onramp.bench.result import BenchResult, Figure, median, ratio

HANDLER_SOURCE = Path(__file__).resolve().parents[2] / "stack" / "src"
HANDLER_MODULES = (
    "onboarding.handlers.register",
    "onboarding.handlers.enrich",
    "onboarding.handlers.provision",
)
BASELINE = "boto3"
GOAL_RATIO = 1.5
TIMER = (
    "import time; started = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - started)"
)
ENVIRONMENTS = {
    "tracing off": {"POWERTOOLS_TRACE_DISABLED": "true"},
    "as in Lambda (tracing on)": {
        "LAMBDA_TASK_ROOT": str(HANDLER_SOURCE),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_REGION": "us-east-1",
        "_HANDLER": "onboarding.handlers.register.handler",
    },
}
"""Extra environment of each mode (on top of a copy of ours without Powertools settings)."""


def environment(extra: dict[str, str]) -> dict[str, str]:
    """Our environment without Lambda or Powertools settings, the handlers importable, plus
    ``extra``."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POWERTOOLS_", "LAMBDA_", "AWS_LAMBDA_", "AWS_SAM_"))
    }
    return {**base, "PYTHONPATH": str(HANDLER_SOURCE), **extra}


def import_seconds(module: str, env: dict[str, str]) -> float:
    """Seconds ``import module`` takes in a fresh interpreter with ``env``."""
    code = TIMER.format(module=module)
    done = run_python(["-c", code], env, f"cold start: importing {module}")
    return float(done.stdout.strip().splitlines()[-1])


def heaviest_imports(module: str, env: dict[str, str], top: int = 4) -> list[tuple[str, float]]:
    """The packages ``module`` loads beyond boto3, heaviest first: ms of their modules' own
    import time (``python -X importtime``, boto3 imported first, so what follows is extra)."""
    done = run_python(
        ["-X", "importtime", "-c", f"import {BASELINE}; import {module}"],
        env,
        f"cold start: importing {module}",
    )
    totals: dict[str, float] = {}
    after_baseline = False
    for line in done.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2].strip()
        if after_baseline:
            package = name.split(".")[0]
            totals[package] = totals.get(package, 0.0) + int(fields[0]) / 1000
        after_baseline = after_baseline or name == BASELINE
    return sorted(totals.items(), key=lambda item: -item[1])[:top]


def measure(repetitions: int, modules: tuple[str, ...] = HANDLER_MODULES) -> dict[str, dict]:
    """Median import seconds per environment and module (baseline included), interleaved."""
    samples: dict[str, dict[str, list[float]]] = {
        mode: {m: [] for m in (BASELINE, *modules)} for mode in ENVIRONMENTS
    }
    envs = {mode: environment(extra) for mode, extra in ENVIRONMENTS.items()}
    for env in envs.values():  # warm-up: byte-compile, fill the OS file cache
        for module in (BASELINE, *modules):
            import_seconds(module, env)
    for _ in range(repetitions):
        for mode, env in envs.items():
            for module in samples[mode]:
                samples[mode][module].append(import_seconds(module, env))
    return {
        mode: {module: median(values) for module, values in by_module.items()}
        for mode, by_module in samples.items()
    }


def cold_start_result(medians: dict[str, dict[str, float]], repetitions: int) -> BenchResult:
    """Figures: each handler's import time over boto3's, per environment."""
    result = BenchResult(
        name="cold",
        title="Cold start: handler import time against a bare `import boto3`",
        header=["environment", "module", "median import ms", "x boto3"],
        notes=[
            f"Median of {repetitions} fresh interpreters per module, rounds interleaved; "
            "interpreter start-up excluded."
        ],
    )
    for mode, by_module in medians.items():
        baseline = by_module[BASELINE]
        for module, seconds in by_module.items():
            times = ratio(seconds, baseline)
            result.rows.append([mode, module, f"{seconds * 1000:.1f}", f"{times:.2f}"])
            if module != BASELINE:
                result.figures.append(
                    Figure(
                        f"{module} import, {mode} (x boto3)",
                        f"{seconds * 1000:.1f} ms vs {baseline * 1000:.1f} ms",
                        f"<= {GOAL_RATIO}x",
                        times <= GOAL_RATIO,
                        times,
                    )
                )
    return result


def run(repetitions: int) -> BenchResult:
    """Measure and report (see the module docstring), naming where each handler's excess goes."""
    result = cold_start_result(measure(repetitions), repetitions)
    env = environment(ENVIRONMENTS["tracing off"])
    for module in HANDLER_MODULES:
        heaviest = ", ".join(f"{name} {ms:.0f} ms" for name, ms in heaviest_imports(module, env))
        result.notes.append(f"{module} beyond boto3 (tracing off, -X importtime): {heaviest}")
    return result
