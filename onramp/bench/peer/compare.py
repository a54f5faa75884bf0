"""`onramp bench --only peer`: the embedded stack against MiniStack, same template, same load,
runs alternating, figures as ratios.

Targets (``peer.targets``): ``onramp up`` in ``aws`` timing (Lambda's 4 polls a second), the
same in ``fast`` timing (writes wake the pumps), and MiniStack with the template deployed
through its CloudFormation. All three stay up for the whole benchmark; the ones not being
measured are frozen (SIGSTOP), so they take no CPU. Each round measures every figure on each
target in turn, and the order of the targets flips every round.

Figures per target (median of the rounds, range beside it):

- PutItem/s: one client, sequential, on a fresh plain table (the AWS side's speed alone);
- open-loop registrations (``throughput.send_on_schedule``) at 5/s and 20/s: p50/p95
  register-to-completed from each user's own ``created_at`` and ``updated_at``; again at 20/s
  with a second process burning one core (``busy_core``), so the figure survives a busy box;
- at 40/s offered (saturation): completed onboardings per second;
- RSS of every process of the target after the same work.

Example::

    result = run(PeerSizes(seconds=15, rounds=2))
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from kernel.sam_template import DEFAULT_TEMPLATE
from onramp.bench.peer import ministack
from onramp.bench.peer.targets import Target, ministack_target, onramp_target
from onramp.bench.result import BenchResult, Figure
from onramp.bench.throughput import TARGET_P95_MS, run_figures, send_on_schedule

DRAIN_TIMEOUT_S = 90.0
DRAIN_POLL_S = 0.5
ONRAMP, FAST, PEER = "onramp (aws)", "onramp (fast)", "MiniStack"
SATURATION_GOAL = 1.5  # onramp's completed/s at saturation against MiniStack's
FAST_P50_GOAL = 1.5  # onramp fast's p50 at 5/s against MiniStack's, at most
MIB = 1024 * 1024
WARM_UP_RATE, WARM_UP_S, WARM_UP_SEED, WARM_UP_ATTEMPTS = 2.0, 2.0, 999_000, 3


@dataclass(frozen=True)
class PeerSizes:
    """How long and how often the peer benchmark measures."""

    seconds: float = 15.0
    rounds: int = 2
    put_items: int = 500
    latency_rates: tuple[float, ...] = (5.0, 20.0)
    saturation_rate: float = 40.0


@dataclass(frozen=True)
class Load:
    """One open-loop run: its label (``5/s``, ``20/s + busy core``...), rate and noise."""

    label: str
    rate: float
    busy_core: bool = False


def loads(sizes: PeerSizes) -> list[Load]:
    """The runs of a round: each latency rate, 20/s with a core burned, the saturation rate."""
    runs = [Load(f"{rate:g}/s", rate) for rate in sizes.latency_rates]
    runs.append(Load("20/s + busy core", 20.0, busy_core=True))
    runs.append(Load(f"{sizes.saturation_rate:g}/s (saturation)", sizes.saturation_rate))
    return runs


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of a round's values."""
    return {
        "median": float(statistics.median(values)),
        "min": float(min(values)),
        "max": float(max(values)),
    }


def ratio(value: float | None, baseline: float | None) -> float | None:
    """``value / baseline``; None when either is missing or the baseline is zero."""
    if value is None or not baseline:
        return None
    return value / baseline


@contextmanager
def busy_core() -> Iterator[None]:
    """A second process spinning on one core for the block's duration."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def open_loop(target: Target, load: Load, seconds: float, seed: int) -> dict[str, Any]:
    """Register ``load.rate`` users a second for ``seconds`` and wait for them to settle."""
    from loadtest.payloads import PayloadFactory

    factory = PayloadFactory({}, seed=seed)
    bodies = [factory.next().body for _ in range(max(1, int(load.rate * seconds)))]
    emails = {json.loads(body)["email"] for body in bodies}
    with busy_core() if load.busy_core else nullcontext():
        statuses = send_on_schedule(target.api_url, bodies, load.rate)
        accepted = statuses.get(202, 0)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while True:
            figures = run_figures(target.users(), emails)
            if figures["settled"] >= accepted or time.monotonic() > deadline:
                break
            time.sleep(DRAIN_POLL_S)
    return {
        **figures,
        "accepted": accepted,
        "unanswered": statuses.get(0, 0),
        "drained": figures["settled"] >= accepted,
    }


def put_items_per_s(target: Target, count: int) -> float:
    """Sequential PutItem calls a second, one client, on a fresh plain table of ``target``."""
    dynamodb = ministack.client(target.dynamodb_endpoint, "dynamodb")
    table = f"bench-put-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(TableName=table)
    item = {"status": {"S": "pending"}, "email": {"S": "ann@example.com"}, "n": {"N": "1"}}
    dynamodb.put_item(TableName=table, Item={"id": {"S": "warm-up"}, **item})
    started = time.perf_counter()
    for index in range(count):
        dynamodb.put_item(TableName=table, Item={"id": {"S": f"u{index}"}, **item})
    return count / (time.perf_counter() - started)


def warm_up(target: Target) -> None:
    """A few registrations, settled, before anything is measured: every function's first
    invocation (its cold start, MiniStack's unpacking of the code zip) is out of the figures."""
    for attempt in range(WARM_UP_ATTEMPTS):  # a cold start may outlast a request's timeout
        load = Load("warm-up", WARM_UP_RATE)
        if open_loop(target, load, WARM_UP_S, seed=WARM_UP_SEED + attempt)["completed"]:
            return
    raise RuntimeError(f"{target.name}: no registration completed in the warm-up")


def measure(targets: Sequence[Target], sizes: PeerSizes) -> dict[str, Any]:
    """Every figure on every target, rounds alternating the order; the raw per-round values."""
    raw: dict[str, Any] = {t.name: {"put_items_per_s": [], "runs": {}} for t in targets}
    for target in targets:
        warm_up(target)
        target.pause()
    for round_index in range(sizes.rounds):
        order = list(targets) if round_index % 2 == 0 else list(reversed(targets))
        for target in order:
            target.resume()
            raw[target.name]["put_items_per_s"].append(put_items_per_s(target, sizes.put_items))
            target.pause()
        for load_index, load in enumerate(loads(sizes)):
            seed = 1000 * round_index + load_index
            for target in order:
                target.resume()
                figures = open_loop(target, load, sizes.seconds, seed)
                target.pause()
                raw[target.name]["runs"].setdefault(load.label, []).append(figures)
                _progress(target.name, load.label, figures)
    for target in targets:
        raw[target.name]["rss_bytes"] = target.rss_bytes()  # after the same work on each
        raw[target.name]["notes"] = list(target.notes)
        target.resume()
    return raw


def _progress(name: str, label: str, figures: dict[str, Any]) -> None:
    latency = figures["latency_ms"]
    print(
        f"  {name} at {label}: {figures['completed']}/{figures['sent']} completed, "
        f"{figures['completed_per_s']}/s, p50 {latency['p50']} ms, p95 {latency['p95']} ms",
        file=sys.stderr,
        flush=True,
    )


def peer_result(raw: dict[str, Any], sizes: PeerSizes) -> BenchResult:
    """Ratios and the table from ``measure``'s values (pure: testable on hand numbers)."""
    labels = [load.label for load in loads(sizes)]
    saturation, latency_5, latency_20, busy_20 = labels[-1], labels[0], labels[1], labels[-2]

    def median_of(name: str, label: str, key: str, percentile: str = "") -> float | None:
        values = _values(raw.get(name, {}), key, label, percentile)
        return spread(values)["median"] if values else None

    result = BenchResult(
        name="peer",
        title="Against the fastest peer: the embedded stack and MiniStack, same template",
        header=["figure", *raw.keys()],
        raw={"targets": raw, "sizes": sizes.__dict__},
    )
    rows: list[tuple[str, str, str, str]] = [
        ("PutItem/s, one client, sequential", "put", "", ""),
        *((f"p50 ms at {label}", "latency_ms", label, "p50") for label in labels[:-1]),
        *((f"p95 ms at {label}", "latency_ms", label, "p95") for label in labels[:-1]),
        *((f"completed/s at {label}", "completed_per_s", label, "") for label in labels),
    ]
    for title, key, label, percentile in rows:
        cells = [_cell(_values(raw[name], key, label, percentile)) for name in raw]
        result.rows.append([title, *cells])
    result.rows.append(
        ["RSS of all processes after the runs, MiB"]
        + [f"{raw[name].get('rss_bytes', 0) / MIB:.0f}" for name in raw]
    )
    onramp_sat = median_of(ONRAMP, saturation, "completed_per_s")
    peer_sat = median_of(PEER, saturation, "completed_per_s")
    result.figures.append(
        Figure(
            f"completed/s at {saturation} (onramp aws / MiniStack)",
            f"{_num(onramp_sat)} / {_num(peer_sat)}",
            f">= {SATURATION_GOAL:g}x",
            _at_least(ratio(onramp_sat, peer_sat), SATURATION_GOAL),
            ratio(onramp_sat, peer_sat),
        )
    )
    onramp_put, peer_put = median_of(ONRAMP, "", "put"), median_of(PEER, "", "put")
    result.figures.append(
        Figure(
            "PutItem/s one client (onramp / MiniStack)",
            f"{_num(onramp_put)} / {_num(peer_put)}",
            ">= 1x",
            _at_least(ratio(onramp_put, peer_put), 1.0),
            ratio(onramp_put, peer_put),
        )
    )
    fast_p50, peer_p50 = (
        median_of(FAST, latency_5, "latency_ms", "p50"),
        median_of(PEER, latency_5, "latency_ms", "p50"),
    )
    fast_ratio = ratio(fast_p50, peer_p50)
    result.figures.append(
        Figure(
            f"p50 ms at {latency_5} (onramp fast / MiniStack)",
            f"{_num(fast_p50)} / {_num(peer_p50)}",
            f"<= {FAST_P50_GOAL:g}x",
            None if fast_ratio is None else fast_ratio <= FAST_P50_GOAL,
            fast_ratio,
        )
    )
    for label in (latency_20, busy_20):
        p95 = median_of(ONRAMP, label, "latency_ms", "p95")
        peer_p95 = _num(median_of(PEER, label, "latency_ms", "p95"))
        result.figures.append(
            Figure(
                f"p95 ms at {label}, onramp aws (MiniStack {peer_p95} ms)",
                f"{_num(p95)} ms",
                f"<= {TARGET_P95_MS:g} ms",
                None if p95 is None else p95 <= TARGET_P95_MS,
                ratio(p95, TARGET_P95_MS),
            )
        )
    onramp_rss, peer_rss = raw.get(ONRAMP, {}).get("rss_bytes"), raw.get(PEER, {}).get("rss_bytes")
    result.figures.append(
        Figure(
            "RSS of all processes after the same work (onramp aws / MiniStack)",
            f"{_num(onramp_rss and onramp_rss / MIB)} / {_num(peer_rss and peer_rss / MIB)} MiB",
            ratio=ratio(onramp_rss, peer_rss),
        )
    )
    result.notes += [
        f"{sizes.rounds} rounds; each round runs every figure on each target in turn (the "
        "order flips every round); the targets not being measured are frozen (SIGSTOP). "
        "Cells: median of the rounds [min-max].",
        f"Open-loop registrations for {sizes.seconds:g} s per run (valid sign-ups, a fresh "
        "seed per run, the same seeds on every target); latency from each user's own "
        "created_at and updated_at; completed/s from the first created to the last completed.",
        "busy core: a second process spinning on one core during the run (made by the bench).",
        "onramp runs as `onramp up` (the runtime, its embedded AWS and its workers); MiniStack "
        "as its server and its Lambda workers; RSS sums every process of each.",
        *sorted({note for name in raw for note in raw[name].get("notes", [])}),
    ]
    return result


def _values(target_raw: dict[str, Any], key: str, label: str, percentile: str) -> list[float]:
    if key == "put":
        return [float(v) for v in target_raw.get("put_items_per_s", [])]
    values = []
    for figures in target_raw.get("runs", {}).get(label, []):
        value = figures[key][percentile] if percentile else figures[key]
        if value is not None:
            values.append(float(value))
    return values


def _cell(values: list[float]) -> str:
    if not values:
        return "-"
    s = spread(values)
    if len(values) == 1:
        return _num(s["median"])
    return f"{_num(s['median'])} [{_num(s['min'])}-{_num(s['max'])}]"


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


def _at_least(value: float | None, goal: float) -> bool | None:
    return None if value is None else value >= goal


def run(sizes: PeerSizes | None = None) -> BenchResult:
    """Start the three targets, measure them alternating, stop them; the result."""
    sizes = sizes or PeerSizes()
    with ExitStack() as stack:
        targets = [
            stack.enter_context(onramp_target("aws")),
            stack.enter_context(onramp_target("fast")),
            stack.enter_context(ministack_target(DEFAULT_TEMPLATE)),
        ]
        raw = measure(targets, sizes)
    return peer_result(raw, sizes)
