"""``onramp up`` as a process: signals drain it, a second one stops it, a dead AWS stops it.

Each test runs the real command (``python -m onramp up --port 0``) and talks to it over
HTTP, as a script or a process manager would.
"""

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest

pytestmark = pytest.mark.integration

VALID = {"name": "Ada Lovelace", "phone": "+442071838750"}
# Every SendEmail throttled: provisioning retries (SDK, then the stream), so a drain lasts.
THROTTLED_SES = "aws-error:service=ses,operation=SendEmail,code=Throttling"
SERVICE_UNAVAILABLE = {"message": "Service Unavailable"}


class Up:
    """A running ``onramp up``: its URL, its output, its exit."""

    def __init__(self, *extra, ignore_sigint=False):
        def ignore():  # what a non-interactive shell does to a job started with `&`
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        self.process = subprocess.Popen(
            [sys.executable, "-m", "onramp", "up", "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=ignore if ignore_sigint else None,
        )
        self.lines = []
        while True:
            line = self.process.stdout.readline()
            assert line, f"onramp up exited: {self.process.stderr.read()}"
            self.lines.append(line)
            if "local API at " in line:
                self.url = line.split("local API at ")[1].split()[0]
                break

    def post(self, email, timeout=10):
        body = json.dumps({**VALID, "email": email}).encode()
        request = urllib.request.Request(
            self.url + "/register", body, {"content-type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def finish(self, timeout=60):
        """Wait for the exit; return (code, stdout, stderr)."""
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, "".join(self.lines) + out, err

    def aws_process(self):
        children = psutil.Process(self.process.pid).children(recursive=True)
        return next(c for c in children if "onramp.local.aws.process" in " ".join(c.cmdline()))

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_drains_and_prints_the_summary(signum):
    """Before: SIGTERM exited at once and silently, the accepted users gone."""
    up = Up()
    try:
        assert up.post("drain@example.com")[0] == 202
        up.process.send_signal(signum)
        code, out, err = up.finish()
    finally:
        up.kill()
    assert code == 0, err
    assert "draining" in out and "users: completed=1" in out and "onramp: stopped" in out
    assert "Traceback" not in err


def test_a_run_started_with_sigint_ignored_still_honours_it():
    """Before: started with `&` from a script, SIGINT was inherited ignored and did nothing."""
    up = Up(ignore_sigint=True)
    try:
        up.process.send_signal(signal.SIGINT)
        code, out, err = up.finish(timeout=30)
    finally:
        up.kill()
    assert code == 0 and "onramp: stopped" in out, err


def test_during_the_drain_the_api_answers_503_and_a_second_signal_stops_at_once():
    """Before: the API kept answering 202 while draining; nothing stopped a long drain."""
    up = Up("--fault", THROTTLED_SES)
    try:
        assert up.post("slow@example.com")[0] == 202
        time.sleep(1.0)  # enrich done, provision retrying its throttled email
        up.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        status, body = up.post("late@example.com")
        while status == 202 and time.monotonic() < deadline:  # the signal is on its way
            status, body = up.post(f"late{time.monotonic()}@example.com")
        assert (status, body) == (503, SERVICE_UNAVAILABLE)
        stopped_at = time.monotonic()
        up.process.send_signal(signal.SIGTERM)
        code, out, err = up.finish(timeout=30)
    finally:
        up.kill()
    assert time.monotonic() - stopped_at < 10  # the drain alone would wait 30 s
    assert code == 0 and "onramp: stopped" in out, err
    assert "Traceback" not in err


def test_a_killed_aws_process_is_503_then_one_line_and_exit_1():
    """Before: ~30 s of 500s, pump tracebacks, then a chained traceback and no stop."""
    up = Up()
    try:
        assert up.post("before@example.com")[0] == 202
        up.aws_process().send_signal(signal.SIGKILL)
        killed_at, answers = time.monotonic(), []  # a request racing the kill may get a 500
        while time.monotonic() - killed_at < 1.0 and (503, SERVICE_UNAVAILABLE) not in answers:
            try:
                answers.append(up.post(f"after{len(answers)}@example.com", timeout=2))
            except OSError:  # stopped already
                break
        code, _, err = up.finish(timeout=30)
    finally:
        up.kill()
    assert (503, SERVICE_UNAVAILABLE) in answers, answers
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "embedded AWS" in err, err
