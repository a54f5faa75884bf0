"""The two local AWSs the peer benchmark drives, behind one face: an API URL, the Users table,
a DynamoDB endpoint, and the whole process tree (for RSS, and to freeze it while the other
one runs, so an idle peer takes no CPU from a measured one).

- ``onramp_target``: ``onramp up --port 0 --stream-timing T`` as a subprocess (the runtime,
  its embedded AWS and its workers: every process the user would run);
- ``ministack_target``: MiniStack's server with the template deployed (``peer.ministack``).

Example::

    with onramp_target("aws") as onramp:
        onramp.pause(); onramp.resume(); onramp.rss_bytes(); onramp.users()
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from onramp.bench.peer import ministack
from onramp.local.aws.resources import physical_name
from onramp.local.aws.server import internal_client
from onramp.local.stack import USERS_TABLE, scan_items

START_TIMEOUT_S = 90.0
_API_LINE = re.compile(r"onramp: local API at (\S+)")
_MOTO_LINE = re.compile(r"onramp: moto at (\S+);")


@dataclass
class Target:
    """One local AWS running the pipeline."""

    name: str
    api_url: str
    dynamodb_endpoint: str
    root: psutil.Process
    read_users: Callable[[], list[dict[str, Any]]]
    notes: tuple[str, ...] = ()

    def users(self) -> list[dict[str, Any]]:
        """Every item of the Users table, as plain Python values."""
        return self.read_users()

    def processes(self) -> list[psutil.Process]:
        """The root process and all its descendants."""
        return ministack.process_tree(self.root.pid)

    def rss_bytes(self) -> int:
        """Resident memory of every process of the tree, summed."""
        total = 0
        for process in self.processes():
            try:
                total += process.memory_info().rss
            except psutil.Error:  # exited between listing and reading
                continue
        return total

    def pause(self) -> None:
        """Freeze every process of the tree (SIGSTOP): an idle peer takes no CPU."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Thaw the tree (SIGCONT)."""
        self._signal(signal.SIGCONT)

    def _signal(self, signum: int) -> None:
        for process in self.processes():
            try:
                process.send_signal(signum)
            except psutil.Error:
                continue


@contextmanager
def onramp_target(stream_timing: str) -> Iterator[Target]:
    """``onramp up`` on a free port with that stream timing, until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "onramp", "up", "--port", "0", "--stream-timing", stream_timing],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        api_url, endpoint = _announced_urls(process)
        yield Target(
            name=f"onramp ({stream_timing})",
            api_url=api_url,
            dynamodb_endpoint=endpoint,
            root=psutil.Process(process.pid),
            read_users=lambda: scan_items(
                internal_client(endpoint, "dynamodb"), physical_name(USERS_TABLE)
            ),
        )
    finally:
        # The second SIGINT: stop at once, no drain; nothing outlives the runtime.
        ministack.stop_tree(process, (signal.SIGINT, signal.SIGINT), 30)


def _announced_urls(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The API and moto URLs ``onramp up`` prints first; then its output is drained."""
    assert process.stdout is not None
    found: dict[str, str] = {}
    timer = threading.Timer(START_TIMEOUT_S, process.kill)
    timer.start()
    try:
        for line in process.stdout:
            for key, pattern in (("api", _API_LINE), ("moto", _MOTO_LINE)):
                match = pattern.search(line)
                if match:
                    found[key] = match.group(1)
            if len(found) == 2:
                break
    finally:
        timer.cancel()
    if len(found) != 2:
        raise RuntimeError(f"onramp up did not start (exit code {process.poll()})")
    stdout = process.stdout
    threading.Thread(target=lambda: [None for _ in stdout], daemon=True).start()
    return found["api"], found["moto"]


@contextmanager
def ministack_target(template_path: Path, venv: Path = ministack.VENV) -> Iterator[Target]:
    """MiniStack (installed in ``venv`` if needed) with the template deployed on it."""
    python = ministack.install(venv)
    with ministack.MiniStackServer(python) as server:
        deployed = ministack.deploy(server.endpoint_url, template_path, venv / "build")
        assert server.process is not None
        table = deployed.tables["UsersTable"]
        notes = tuple(f"not deployed: {logical_id} ({why})" for logical_id, why in deployed.skipped)
        notes += tuple(f"route added by API: {route}" for route in deployed.routes_added)
        yield Target(
            name="MiniStack",
            api_url=deployed.api_url,
            dynamodb_endpoint=server.endpoint_url,
            root=psutil.Process(server.process.pid),
            read_users=lambda: scan_users(server.endpoint_url, table),
            notes=notes,
        )


def scan_users(endpoint_url: str, table: str) -> list[dict[str, Any]]:
    """Every item of ``table`` on ``endpoint_url`` as plain Python values."""
    return scan_items(ministack.client(endpoint_url, "dynamodb"), table)
