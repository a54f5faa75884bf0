"""Locust entry point: users registering through ``POST /register`` with a realistic mix.

Run by ``loadtest.runner`` (or by hand: ``locust -f loadtest/locustfile.py --host URL``).
Environment:

- ``ONRAMP_SHAPE``, ``ONRAMP_USERS``, ``ONRAMP_RATE``, ``ONRAMP_DURATION``: the load plan
  (``loadtest.profiles.LoadPlan``); each user sends ``rate / users`` registrations a second.
- ``ONRAMP_MIX`` and the other payload variables: see ``loadtest.payloads``.
- ``ONRAMP_BEARER_TOKEN``: sent as ``Authorization: Bearer ...`` (JWT-protected staging API).
- ``ONRAMP_ACCEPTED_FILE``: ``DIR/accepted.txt`` makes each process append the user_id of
  every accepted registration to ``DIR/accepted.<pid>.txt``, one per line.

A deliberately bad payload answered with its expected 4xx is a success; any status outside
the kind's expected set is a failure. Stats are per kind: ``POST /register [<kind>]``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from locust import FastHttpUser, constant_throughput, events, task

from loadtest import shapes
from loadtest.payloads import ACCEPTED_STATUS, PayloadFactory
from loadtest.profiles import LoadPlan

PLAN = LoadPlan.from_env()
Shape = shapes.SHAPES[PLAN.shape]


class _ProcessState:
    """Per-process payload factory and accepted-ids file (Locust forks after importing us)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.factory = PayloadFactory.from_env()
        self._accepted: IO[str] | None = None

    def record_accepted(self, user_id: str) -> None:
        """Append ``user_id`` to this process's accepted file, if one was asked for."""
        template = os.environ.get("ONRAMP_ACCEPTED_FILE")
        if not template:
            return
        if self._accepted is None:
            path = Path(template)
            target = path.with_name(f"{path.stem}.{self.pid}{path.suffix}")
            self._accepted = target.open("a", encoding="utf-8")
        self._accepted.write(user_id + "\n")
        self._accepted.flush()

    def close(self) -> None:
        """Close the accepted file."""
        if self._accepted is not None:
            self._accepted.close()
            self._accepted = None


_state: _ProcessState | None = None


def process_state() -> _ProcessState:
    """This process's state, created on first use after any fork."""
    global _state
    if _state is None or _state.pid != os.getpid():
        _state = _ProcessState()
    return _state


@events.quitting.add_listener
def _close_accepted_file(**_kwargs: object) -> None:
    if _state is not None:
        _state.close()


def _headers() -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token := os.environ.get("ONRAMP_BEARER_TOKEN"):
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _user_id(text: str) -> str | None:
    try:
        user_id = json.loads(text).get("user_id")
    except (ValueError, AttributeError):
        return None
    return user_id if isinstance(user_id, str) and user_id else None


class RegisteringUser(FastHttpUser):
    """Registers one user per task at ``PLAN.per_user_rate`` registrations a second."""

    wait_time = constant_throughput(PLAN.per_user_rate)
    default_headers = _headers()

    @task
    def register(self) -> None:
        """POST one payload and judge the reply against its kind's expected statuses."""
        state = process_state()
        payload = state.factory.next()
        with self.client.post(
            "/register",
            data=payload.body,
            name=payload.request_name,
            catch_response=True,
        ) as response:
            status = response.status_code
            user_id = _user_id(response.text or "") if status == ACCEPTED_STATUS else None
            if status not in payload.expected_statuses:
                expected = "/".join(map(str, sorted(payload.expected_statuses)))
                response.failure(f"{payload.kind}: got {status}, expected {expected}")
            elif status == ACCEPTED_STATUS and user_id is None:
                response.failure(f"{payload.kind}: 202 without a user_id in the body")
            else:
                response.success()
            if user_id is not None:
                state.factory.remember_accepted(payload)
                state.record_accepted(user_id)
