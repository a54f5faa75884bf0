"""Every `onramp` sub-command, given a missing file, a malformed YAML/JSON file or a wrong flag
value, says so in one line on stderr and exits 2: never a traceback, never a second line.

CASES maps each leaf sub-command to its bad inputs; a command registered in onramp/cli/__init__.py
without a row here fails ``test_every_command_has_bad_input_cases``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from onramp.cli import build_parser

RUNNER = Path(__file__).with_name("fork_runner.py")

# Placeholders: {missing} a path that does not exist, {yaml} malformed YAML, {json} malformed
# JSON, {shape} valid JSON of the wrong shape, {run} a run directory with a malformed
# measurement.json, {binary} a binary (non-UTF-8) file, {huge} a usage file with 1e999999999
# requests, {product} one whose requests x duration passes what an account can meter.
# Each case: (argv after the command path, a word the one line must contain).
MEASUREMENT_CASES = [
    (["--measurement", "{missing}"], "missing.json"),
    (["--measurement", "{json}"], "bad.json"),
    (["--measurement", "{shape}"], "shape.json"),
    (["--template", "{yaml}"], "bad.yaml"),
    (["--template", "{missing}"], "missing.json"),
    (["--region", "mars-1"], "mars-1"),
    (["--free-tier", "forever"], "--free-tier"),
]
CASES: dict[str, list[tuple[list[str], str]]] = {
    "bench": [
        (["--only", "nonsense"], "--only"),
        (["--only", "peer", "--peer-rounds", "1.5"], "--peer-rounds"),
        (["--only", "peer", "--peer-seconds", "0"], "--peer-seconds"),
        (["--rates", "fast"], "--rates"),
        (["--soak-duration", "forever"], "--soak-duration"),
        (["--soak-rate", "x"], "--soak-rate"),
    ],
    "cost price": [
        (["{missing}"], "missing.json"),
        (["{yaml}"], "bad.yaml"),
        (["{json}"], "bad.json"),
        (["{shape}"], "shape.json"),
        (["{yaml}", "--format", "xml"], "--format"),
        (["{binary}"], "not UTF-8"),
        (["{huge}"], "above the bound (1e15"),
        (["{product}"], "above the bound (1e15"),
    ],
    "cost refresh-prices": [
        (["--region", "mars-1"], "--region"),
        ([], "--region"),
        # no credentials (the runner's environment has none, and no metadata service)
        (["--region", "us-east-1"], "--profile"),
        (["--region", "us-east-1", "--profile", "no-such-profile"], "no-such-profile"),
    ],
    "cost estimate": [
        *[(["--users", "1000", *argv], word) for argv, word in MEASUREMENT_CASES],
        (["--users", "many"], "--users"),
        (["--users", "1e32"], "--users"),
        (["--users", "1" + "0" * 32], "above the bound (1e+12"),
    ],
    "cost breakeven": [*MEASUREMENT_CASES, (["--budget", "-5"], "--budget")],
    "cost project": [
        *[(["--users", "1000", *argv], word) for argv, word in MEASUREMENT_CASES],
        (["--users", "1000", "--months", "x"], "--months"),
        (["--users", "1000", "--growth", "fast"], "--growth"),
        (["--users", "1000", "--growth", "10"], "--growth"),  # 10 = 1000 %: needs its unit
        (["--users", "1000", "--growth-spread", "-1%"], "--growth-spread"),
        (["--users", "1000", "--format", "focus", "--period", "December"], "--period"),
        (["--users", "1000", "--format", "focus", "--period", "2026-13"], "--period"),
    ],
    "cost sensitivity": [
        *MEASUREMENT_CASES,
        (["--users", "-3"], "--users"),
        (["--format", "focus"], "--format focus"),
        (["--measurement", "{missing}", "--shape", "defaults"], "--shape"),
    ],
    "cost article": [*MEASUREMENT_CASES, (["--users", "x"], "--users")],
    "cost check": [
        ([], "no threshold given"),
        (["--max-per-1000", "cheap"], "--max-per-1000"),
        (["--max-monthly", "100@lots"], "--max-monthly"),
        (["--min-breakeven", "1.5k5"], "--min-breakeven"),
        (["--min-breakeven", "2.5"], "--min-breakeven"),
        (["--max-fixed", "-1"], "--max-fixed"),
        (["--max-fixed", "1", "--users", "1e32"], "--users"),
        (["--max-fixed", "1", "--budget", "lots"], "--budget"),
        (["--max-fixed", "1", "--run", "{missing}"], "--run"),
        (["--max-fixed", "1", "--run", "{run}"], "measurement.json"),
        (["--max-fixed", "1", "--measurement", "{json}"], "bad.json"),
        (["--max-fixed", "1", "--template", "{yaml}"], "bad.yaml"),
        (["--max-fixed", "1", "--format", "html"], "--format"),
    ],
    "cost diff": [
        (["{missing}", "{missing}"], "missing.json"),
        (["{yaml}", "{yaml}"], "bad.yaml"),
        (["{run}", "{run}"], "measurement.json"),
        (["git:HEAD", "{yaml}"], "git:REF:PATH"),
        (["git:HEAD:stack/template.yaml", "{yaml}"], "not a git repository"),
        (["{missing}", "{missing}", "--users", "x"], "--users"),
        (["{missing}", "{missing}", "--format", "html"], "--format"),
        (["{missing}", "{missing}", "--run", "{missing}"], "--run"),
    ],
    "cost actuals": [
        (["--start", "-1h", "--measurement", "{missing}"], "missing.json"),
        (["--start", "-1h", "--measurement", "{json}"], "bad.json"),
        (["--start", "yesterday"], "--start"),
        (["--start", "-1h", "--free-tier", "forever"], "--free-tier"),
        (["--start", "-1h", "--granularity", "HOURLY"], "--granularity"),
    ],
    "demo": [
        (["--sign-in-share", "2"], "--sign-in-share"),
        (["--template", "{missing}"], "missing.json"),
        (["--template", "{yaml}"], "bad.yaml"),
        (["--duration", "forever"], "--duration"),
        (["--rate", "fast"], "--rate"),
        (["--region", "mars-1"], "--region"),
        (["--mix", "{yaml}"], "--mix"),
        (["--free-tier", "forever"], "--free-tier"),
        (["--account", "production"], "--account"),
        (["--account", "none", "--ses-quota", "5"], "--ses-rate/--ses-quota"),
        (["--max-fixed", "cheap"], "--max-fixed"),
        (["--max-monthly", "5@x"], "--max-monthly"),
        (["--stream-timing", "instant"], "--stream-timing"),
    ],
    "load": [
        (["--host", "not-a-url"], "--host"),
        (["--host", "http://127.0.0.1:9", "--duration", "forever"], "--duration"),
        (["--host", "http://127.0.0.1:9", "--users", "x"], "--users"),
        (["--host", "http://127.0.0.1:9", "--mix", "{yaml}"], "--mix"),
        (["--host", "http://127.0.0.1:9", "--shape", "zigzag"], "--shape"),
        (["--rate", "5"], "--host"),
        (["--host", "http://127.0.0.1:9", "--recipients", "everyone"], "--recipients"),
        (["--host", "http://127.0.0.1:9", "--master", "--expect-workers", "0"], "--expect-workers"),
        (["--worker"], "--master-host"),
        (["--worker", "--master-host", "h", "--host", "http://127.0.0.1:9"], "--host"),
        (["--worker", "--master-host", "h", "--p95", "1s"], "--max-error-rate/--p95/--min-rps"),
        (["--host", "http://127.0.0.1:9", "--max-fixed", "1"], "--measure-stack"),
        (["--host", "http://127.0.0.1:9", "--max-per-1000", "x"], "--max-per-1000"),
        (["--worker", "--master-host", "h", "--max-fixed", "1"], "--max-fixed"),
    ],
    "preflight": [
        (["--stack", "s", "--duration", "forever"], "--duration"),
        (["--stack", "s", "--rate", "-1"], "--rate"),
        (["--stack", "s", "--mix", "{yaml}"], "--mix"),
        (["--stack", "s", "--recipients", "everyone"], "--recipients"),
    ],
    "cleanup": [(["--stack", "s", "--run", "{missing}"], "--run")],
    "measure": [
        (["--stack", "s", "--start", "yesterday"], "--start"),
        (["--stack", "s", "--start", "-1h", "--end", "garbage"], "--end"),
    ],
    "up": [
        (["--template", "{missing}"], "missing.json"),
        (["--template", "{yaml}"], "bad.yaml"),
        (["--template", "{json}"], "bad.json"),
        (["--param", "NoEquals"], "--param"),
        (["--port", "abc"], "--port"),
        (["--fault", "explode"], "--fault"),
        (["--fault", "aws-error:service=ses,operation=SendEmail"], "--fault"),
        (["--handler-log", "/nonexistent/x.log"], "--handler-log"),
        (["--jwt-key", "{yaml}"], "--jwt-key"),
        (["--jwt-key", "{yaml}", "--param", "AuthMode=jwt"], "--jwt-key"),
        (["--account", "production", "--ses-rate", "0", "--ses-quota", "5"], "--ses-rate"),
        (["--stream-timing", "instant"], "--stream-timing"),
    ],
    "status": [(["--url", "not-a-url"], "--url")],
    "smoke": [
        (["--stack", "s", "--timeout", "0"], "--timeout"),
        (["--stack", "s", "--timeout", "soon"], "--timeout"),
    ],
    "replay-dlq": [
        (["--url", "not-a-url"], "--url"),
        (["--region", "eu-west-1"], "--region"),
        (["--url", "x", "--queue-url", "y"], "--queue-url"),
    ],
    "token": [
        (["--key", "{missing}"], "missing.json"),
        (["--key", "{yaml}"], "bad.yaml"),
        (["--key", "{yaml}", "--ttl", "-1"], "--ttl"),
    ],
    "report": [
        (["{missing}"], "missing.json"),
        (["{run}"], "measurement.json"),
        (["{run}", "--param", "x"], "--param"),
        (["{run}", "--notebook", "nope.ipynb"], "--notebook"),
    ],
}


def leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[str]:
    """Every runnable sub-command path (``cost price``, ``up``...) of the parser."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        return [" ".join(path)]
    return [
        leaf
        for group in groups
        for name, sub in group.choices.items()
        for leaf in leaf_commands(sub, (*path, name))
    ]


def test_every_command_has_bad_input_cases() -> None:
    assert sorted(leaf_commands(build_parser())) == sorted(CASES)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The placeholder values: bad files of every kind."""
    root = tmp_path_factory.mktemp("bad-input")
    (root / "bad.yaml").write_text("Resources: [1, 2\n  key: : value\n", encoding="utf-8")
    (root / "bad.json").write_text('{"schema_version": 1, ', encoding="utf-8")
    (root / "shape.json").write_text('["a", "list"]', encoding="utf-8")
    run = root / "run"
    run.mkdir()
    (run / "measurement.json").write_text("{not json", encoding="utf-8")
    (root / "binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00")
    lambda_line = "resources:\n  - {service: lambda, name: f, %s}\n"
    (root / "huge.yaml").write_text(lambda_line % "requests: 1e999999999", encoding="utf-8")
    product = lambda_line % "requests: 1e15, duration_ms: 1e15"
    (root / "product.yaml").write_text(product, encoding="utf-8")
    return {
        "missing": str(root / "missing.json"),
        "yaml": str(root / "bad.yaml"),
        "json": str(root / "bad.json"),
        "shape": str(root / "shape.json"),
        "run": str(run),
        "binary": str(root / "binary.yaml"),
        "huge": str(root / "huge.yaml"),
        "product": str(root / "product.yaml"),
    }


def without_aws_credentials(home: Path) -> dict[str, str]:
    """This environment with no AWS credentials anywhere botocore looks, offline: no keys, no
    config or credentials file, no container or instance metadata endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


ALL_CASES = [(command, argv, word) for command, cases in CASES.items() for argv, word in cases]


@pytest.fixture(scope="module")
def outcomes(bad_files: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """Every case run as its own `onramp` process (forked after one import, see RUNNER)."""
    argvs = [
        [*command.split(), *(a.format(**bad_files) for a in argv)] for command, argv, _ in ALL_CASES
    ]
    proc = subprocess.run(
        [sys.executable, str(RUNNER)],
        input=json.dumps(argvs),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path_factory.mktemp("cwd"),  # nothing written into the repo by a failing case
        env=without_aws_credentials(tmp_path_factory.mktemp("aws")),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize(
    ("index", "word"),
    [(i, word) for i, (_, _, word) in enumerate(ALL_CASES)],
    ids=[f"{command} {' '.join(argv)}" for command, argv, _ in ALL_CASES],
)
def test_bad_input_is_one_line_and_exit_2(outcomes: list[Any], index: int, word: str) -> None:
    outcome = outcomes[index]
    lines = outcome["stderr"].splitlines()
    assert outcome["exit_code"] == 2, outcome
    assert len(lines) == 1 and lines[0].strip(), outcome
    assert "Traceback" not in outcome["stderr"]
    assert lines[0].startswith("onramp"), outcome
    assert word in lines[0], outcome


def test_the_runner_sees_a_traceback_and_a_clean_exit(tmp_path: Path) -> None:
    """Control: the runner reports what the process really did (here: help, exit 0)."""
    proc = subprocess.run(
        [sys.executable, str(RUNNER)],
        input=json.dumps([["--help"]]),
        capture_output=True,
        text=True,
    )
    [outcome] = json.loads(proc.stdout)
    assert outcome["exit_code"] == 0 and outcome["stderr"] == ""
