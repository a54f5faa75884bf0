"""Register-to-completed latency and sustained onboardings per second on this machine.

Open-loop load: registrations are sent on a fixed schedule (``rate`` per second for
``seconds``), whatever the pipeline's pace. Latency is read from each completed user's
own timestamps (``updated_at`` of the completed write minus ``created_at`` written by
the register function), so measuring adds no polling load. Printed, never asserted.

Example::

    python -m onramp.bench.throughput 20 30        # or run_latency_benchmark(20, 30)
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from costmodel.measurement import json_value
from onramp.local.metering.recorder import percentiles
from onramp.local.registrations import post_registration
from onramp.local.stack import EmbeddedStack

TARGET_P95_MS = 1500.0
TERMINAL = ("completed", "failed")
SENDERS = 4


def run_latency_benchmark(rate: float, seconds: float) -> dict[str, Any]:
    """Run the real pipeline locally at ``rate`` registrations/s for ``seconds``; print and
    return latency percentiles (ms), onboardings per second and the per-function durations.
    The stream timing is ``ONRAMP_STREAM_TIMING``'s (aws when unset)."""
    from loadtest.payloads import PayloadFactory

    factory = PayloadFactory({}, seed=1)
    bodies = [factory.next().body for _ in range(int(rate * seconds))]
    with EmbeddedStack() as stack:
        started = time.time()
        statuses = send_on_schedule(stack.api_url, bodies, rate)
        sent_s = time.time() - started
        drained = stack.wait_until_drained(timeout=60)
        users = stack.users()
        measurement = stack.measurement("bench")
    figures = run_figures(users, {u["email"] for u in users})
    result = {
        "rate": rate,
        "seconds": seconds,
        "sent": len(bodies),
        "send_seconds": round(sent_s, 2),
        "statuses": dict(statuses),
        "completed": figures["completed"],
        "drained": drained,
        "latency_ms": figures["latency_ms"],
        "onboardings_per_s": figures["completed_per_s"],
        "target_p95_ms": TARGET_P95_MS,
        "function_duration_ms": {
            key: json_value(f.duration_ms) for key, f in measurement.functions.items()
        },
    }
    _print(result)
    return result


def send_on_schedule(api_url: str, bodies: list[bytes], rate: float) -> Counter[int]:
    """Send ``bodies`` at ``rate`` per second from a few threads (request i at t0 + i/rate);
    the count of each HTTP status (0: no answer)."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    t0 = time.monotonic() + 0.1

    def sender(offset: int) -> None:
        for index in range(offset, len(bodies), SENDERS):
            delay = t0 + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                status = post_registration(api_url, bodies[index])
            except OSError:  # no answer in time (or the connection refused): status 0
                status = 0
            with lock:
                statuses[status] += 1

    threads = [
        threading.Thread(target=sender, args=(i,), name=f"onramp-bench-{i}") for i in range(SENDERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def epoch(iso: str) -> float:
    """Seconds since the epoch of an ISO-8601 timestamp."""
    return datetime.fromisoformat(iso).timestamp()


def ms_between(start_iso: str, end_iso: str) -> float:
    """Milliseconds from one ISO-8601 timestamp to another."""
    return (epoch(end_iso) - epoch(start_iso)) * 1000


def _print(result: dict[str, Any]) -> None:
    latency = result["latency_ms"]
    print(
        f"embedded pipeline at {result['rate']:g} registrations/s for {result['seconds']:g} s: "
        f"{result['completed']}/{result['sent']} completed, drained={result['drained']}\n"
        f"  register-to-completed latency p50 {latency['p50']} ms, p95 {latency['p95']} ms "
        f"(target p95 < {TARGET_P95_MS:g} ms), max {latency['max']} ms\n"
        f"  sustained {result['onboardings_per_s']} onboardings/s"
    )
    for key, durations in result["function_duration_ms"].items():
        print(f"  {key}: duration p50 {durations['p50']} ms, p95 {durations['p95']} ms")


if __name__ == "__main__":
    arguments = [float(a) for a in sys.argv[1:3]]
    run_latency_benchmark(*(arguments + [20.0, 30.0][len(arguments) :]))


def run_figures(users: Sequence[dict[str, Any]], emails: set[str]) -> dict[str, Any]:
    """The figures of one run from the users it registered (by e-mail address): completed
    count, register-to-completed percentiles (ms), completed/s over the run's span (first
    created to last completed)."""
    mine = [u for u in users if u.get("email") in emails and u.get("created_at")]
    completed = [u for u in mine if u.get("status") == "completed"]
    latencies = [ms_between(u["created_at"], u["updated_at"]) for u in completed]
    span = 0.0
    if completed:
        span = max(epoch(u["updated_at"]) for u in completed) - min(
            epoch(u["created_at"]) for u in mine
        )
    return {
        "sent": len(emails),
        "users": len(mine),
        "completed": len(completed),
        "settled": sum(1 for u in mine if u.get("status") in TERMINAL),
        "latency_ms": json_value(percentiles(latencies)),
        "completed_per_s": round(len(completed) / span, 2) if span > 0 else 0.0,
    }
