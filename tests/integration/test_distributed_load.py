"""`onramp load --master` with two `onramp load --worker` processes on loopback, against the
embedded stack: the master's aggregated request count is what the stack received, and the
workers' accepted ids are the users it holds."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.results import accepted_ids_in
from loadtest.runner import Master, run_locust
from onramp.demo import LOCAL_PARAMETERS
from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration
RATE, DURATION_S = 6, 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_master_and_two_workers_send_what_the_stack_receives(tmp_path: Path) -> None:
    port = free_port()
    plan = ["--rate", str(RATE), "--duration", f"{DURATION_S}s", "--mix", ""]
    worker_command = [sys.executable, "-m", "onramp", "load", "--worker", "--master-host",
                      "127.0.0.1", "--master-port", str(port), *plan]  # fmt: skip
    with EmbeddedStack(parameters=LOCAL_PARAMETERS) as stack:
        workers = [
            subprocess.Popen(
                [*worker_command, "--out", str(tmp_path / f"worker{n}")],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for n in range(2)
        ]
        try:
            result = run_locust(
                stack.api_url,
                rate=RATE,
                duration_s=DURATION_S,
                out_dir=tmp_path / "master",
                mix="",
                master=Master(expect_workers=2, bind_host="127.0.0.1", bind_port=port),
            )
            outputs = [worker.communicate(timeout=120)[0] for worker in workers]
        finally:
            for worker in workers:
                worker.kill() if worker.poll() is None else None
        assert [worker.returncode for worker in workers] == [0, 0], outputs
        assert stack.wait_until_drained(timeout=60)
        received = sum(stack.recorder.counters()["api_status_counts"].values())
        users = {user["user_id"] for user in stack.users()}

    assert result.manifest["role"] == "master" and result.manifest["expect_workers"] == 2
    assert result.aggregated.requests == received > RATE * DURATION_S / 2
    assert result.aggregated.failures == 0
    accepted = [accepted_ids_in(d) for d in (tmp_path / "worker0", tmp_path / "worker1")
                for d in d.iterdir()]  # fmt: skip
    assert all(accepted), "both workers sent requests"
    assert sorted(i for ids in accepted for i in ids) == sorted(users)
    assert not list(result.run_dir.glob("accepted.*.txt"))  # the master sends nothing itself
