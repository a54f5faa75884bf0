"""Run Locust as a subprocess and collect its results into ``<out_dir>/<run id>/``.

Locust monkey-patches the process with gevent, which breaks boto3 and Jupyter, so it never
runs in our process: ``run_locust`` starts ``python -m locust`` headless, polls its history
CSV for progress, and parses the stats CSV when it ends. Each run gets a fresh directory
named by its UTC start time and a random suffix; an existing directory is never reused.

Across machines, Locust's distributed mode: ``run_locust(..., master=Master(expect_workers=N))``
runs the master (it holds the shape and writes the reports) and ``run_locust_worker`` one
worker (it sends the requests and records the ids it had accepted in its own run directory).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kernel.errors import UsageError
from kernel.rundir import new_run_dir
from loadtest import results
from loadtest.payloads import DEFAULT_MIX_TEXT, parse_mix
from loadtest.profiles import LoadPlan, default_users
from loadtest.progress import ProgressCallback, read_progress
from loadtest.results import LoadResult

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
STOP_TIMEOUT_S = 10
STARTUP_GRACE_S = 60
POLL_INTERVAL_S = 1.0


WORKERS_WAIT_S = 120
"""How long a master waits for its workers before giving up (Locust's own timeout)."""


class LoadRunError(RuntimeError):
    """Locust failed to run or to finish (its log file is named in the message)."""


@dataclass(frozen=True)
class Master:
    """Run as Locust's master: wait for ``expect_workers`` workers on ``bind_host:bind_port``."""

    expect_workers: int
    bind_host: str = "*"
    bind_port: int = 5557

    def __post_init__(self) -> None:
        if self.expect_workers < 1:
            raise UsageError(f"--expect-workers: {self.expect_workers} must be at least 1")
        _check_port(self.bind_port, "--master-bind-port")

    def flags(self) -> list[str]:
        return [
            "--master",
            "--expect-workers",
            str(self.expect_workers),
            "--expect-workers-max-wait",
            str(WORKERS_WAIT_S),
            "--master-bind-host",
            self.bind_host,
            "--master-bind-port",
            str(self.bind_port),
        ]


def validate_host(host: str) -> str:
    """``host`` without a trailing slash, if it is an http(s) URL; else UsageError."""
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--host: {host!r} is not an http:// or https:// URL")
    return host.rstrip("/")


def run_locust(
    host: str,
    shape: str = "steady",
    users: int | None = None,
    rate: float = 10.0,
    duration_s: float = 60.0,
    processes: int = 1,
    out_dir: Path = Path("runs"),
    env_extra: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
    mix: str = DEFAULT_MIX_TEXT,
    run_dir: Path | None = None,
    master: Master | None = None,
) -> LoadResult:
    """Run Locust headless against ``host`` and return its parsed results.

    ``rate`` is the peak arrival rate in registrations a second, spread over ``users``
    (default: four users per registration a second); ``processes`` > 1 (or -1, one per core)
    uses Locust's ``--processes``. ``env_extra`` adds variables for the locustfile (e.g.
    ``ONRAMP_BEARER_TOKEN``; values are not recorded). Writes under ``out_dir/<run id>/``:
    Locust's CSVs (full history), HTML and JSON reports, its log, ``accepted.<pid>.txt``
    files and ``manifest.json`` (or into ``run_dir``, an existing empty directory).
    Bad parameters raise UsageError before anything starts;
    a Locust crash or hang raises LoadRunError. With ``master``, Locust runs as the master of
    distributed workers (``run_locust_worker``) and ``processes`` must stay 1. Example::

        result = run_locust("http://127.0.0.1:3000", rate=20, duration_s=60)
        result.aggregated.p95_ms, result.accepted_ids()
    """
    host = validate_host(host)
    plan = LoadPlan(shape, users or default_users(rate), rate, duration_s)
    parse_mix(mix, "--mix")
    if processes < 1 and processes != -1:
        raise UsageError(f"--processes: {processes} must be at least 1 (or -1, one per core)")
    if master is not None and processes != 1:
        raise UsageError("--processes: the workers of a --master run are separate processes")
    locust_version = _locust_version()
    if run_dir is None:
        run_dir = new_run_dir(out_dir)[1]
    command = _locust_command(host, run_dir, processes) + (master.flags() if master else [])
    manifest: dict[str, Any] = {
        "run_id": run_dir.name,
        "tool": "locust",
        "locust_version": locust_version,
        "git_commit": _git_commit(),
        "host": host,
        "role": "master" if master else "local",
        "expect_workers": master.expect_workers if master else None,
        "parameters": {
            "shape": plan.shape,
            "users": plan.users,
            "rate": plan.rate,
            "per_user_rate": plan.per_user_rate,
            "duration_s": plan.duration_s,
            "processes": processes,
            "mix": mix,
            "extra_env": sorted(env_extra or {}),
            "bearer_token": bool((env_extra or {}).get("ONRAMP_BEARER_TOKEN"))
            or bool(os.environ.get("ONRAMP_BEARER_TOKEN")),
        },
        "command": command,
        "started_at": _now_iso(),
        "ended_at": None,
        "locust_exit_code": None,
    }
    _write_manifest(run_dir, manifest)
    env = _locust_env(plan, mix, run_dir, env_extra or {})
    waits = WORKERS_WAIT_S if master else 0
    exit_code = _supervise(command, env, run_dir, plan.duration_s + waits, progress)
    manifest.update(ended_at=_now_iso(), locust_exit_code=exit_code)
    _write_manifest(run_dir, manifest)
    log = run_dir / results.LOG_FILE
    if exit_code is None:
        raise LoadRunError(f"locust did not finish in time and was stopped; see {log}")
    if not (run_dir / results.JSON_REPORT).exists():
        raise LoadRunError(f"locust exited with {exit_code} before writing results; see {log}")
    return LoadResult.load(run_dir)


def run_locust_worker(
    master_host: str,
    master_port: int = 5557,
    shape: str = "steady",
    users: int | None = None,
    rate: float = 10.0,
    duration_s: float = 60.0,
    out_dir: Path = Path("runs"),
    env_extra: Mapping[str, str] | None = None,
    mix: str = DEFAULT_MIX_TEXT,
) -> Path:
    """Run one Locust worker of a distributed run until its master stops; its run directory.

    The plan (shape, users, rate, duration, mix) must be the master's: each user's throughput
    and the payload mix are computed on the worker. The directory holds the worker's log,
    manifest and ``accepted.<pid>.txt``; the master's holds the reports.
    """
    _check_port(master_port, "--master-port")
    if not master_host:
        raise UsageError("--master-host: give the master's host name or address")
    plan = LoadPlan(shape, users or default_users(rate), rate, duration_s)
    parse_mix(mix, "--mix")
    locust_version = _locust_version()
    run_dir = new_run_dir(out_dir)[1]
    command = [
        *_locust_base(),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
        # Users finish the request in flight when the master stops the test, so its stats
        # (sent with the worker's last report) count every request the API received.
        "--stop-timeout",
        str(STOP_TIMEOUT_S),
    ]
    manifest: dict[str, Any] = {
        "run_id": run_dir.name,
        "tool": "locust",
        "locust_version": locust_version,
        "git_commit": _git_commit(),
        "role": "worker",
        "master": f"{master_host}:{master_port}",
        "parameters": {"shape": plan.shape, "users": plan.users, "rate": plan.rate,
                       "duration_s": plan.duration_s, "mix": mix,
                       "extra_env": sorted(env_extra or {})},
        "command": command,
        "started_at": _now_iso(),
        "ended_at": None,
        "locust_exit_code": None,
    }  # fmt: skip
    _write_manifest(run_dir, manifest)
    env = _locust_env(plan, mix, run_dir, env_extra or {})
    exit_code = _supervise(command, env, run_dir, plan.duration_s + WORKERS_WAIT_S, None)
    manifest.update(ended_at=_now_iso(), locust_exit_code=exit_code)
    _write_manifest(run_dir, manifest)
    if exit_code is None:
        raise LoadRunError(f"the worker did not finish in time and was stopped; see {run_dir}")
    return run_dir


def _check_port(port: int, flag: str) -> None:
    if not 1 <= port <= 65535:
        raise UsageError(f"{flag}: {port} must be between 1 and 65535")


def _locust_base() -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]


def _locust_command(host: str, run_dir: Path, processes: int) -> list[str]:
    prefix = str(run_dir / "locust")
    command = [
        *_locust_base(),
        "--headless",
        "--host",
        host,
        "--csv",
        prefix,
        "--csv-full-history",
        "--html",
        str(run_dir / results.HTML_REPORT),
        "--json-file",
        prefix,
        "--only-summary",
        "--stop-timeout",
        str(STOP_TIMEOUT_S),
    ]
    return command if processes == 1 else [*command, "--processes", str(processes)]


def _locust_env(
    plan: LoadPlan, mix: str, run_dir: Path, env_extra: Mapping[str, str]
) -> dict[str, str]:
    """Our environment plus what the locustfile reads (see its module docstring)."""
    python_path = [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {
        **os.environ,
        **plan.to_env(),
        "ONRAMP_MIX": mix,
        "ONRAMP_ACCEPTED_FILE": str(run_dir / results.ACCEPTED_FILE),
        "PYTHONPATH": os.pathsep.join(python_path),
        **env_extra,
    }


def _supervise(
    command: list[str],
    env: dict[str, str],
    run_dir: Path,
    duration_s: float,
    progress: ProgressCallback | None,
) -> int | None:
    """Run ``command`` to completion, reporting progress; its exit code, None if it hung."""
    deadline = time.monotonic() + duration_s + STOP_TIMEOUT_S + STARTUP_GRACE_S
    history = run_dir / results.HISTORY_CSV
    started = time.monotonic()
    with (run_dir / results.LOG_FILE).open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            while process.poll() is None:
                if time.monotonic() > deadline:
                    _stop(process)
                    return None
                elapsed = time.monotonic() - started
                if progress and (snapshot := read_progress(history, elapsed, duration_s)):
                    progress(snapshot)
                time.sleep(POLL_INTERVAL_S)
        except BaseException:
            _stop(process)
            raise
    return process.returncode


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ask Locust to stop (it writes its reports on SIGTERM), then kill it if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S + 20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _locust_version() -> str:
    try:
        return metadata.version("locust")
    except metadata.PackageNotFoundError:
        raise LoadRunError("locust is not installed: pip install -e '.[load]'") from None


def _git_commit() -> str | None:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_manifest(run_dir: Path, manifest: Mapping[str, Any]) -> None:
    (run_dir / results.MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
