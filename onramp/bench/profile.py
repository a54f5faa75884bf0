"""Where one onboarding's CPU goes: ``py-spy record`` on every process of an open-loop run.

``onramp up`` (aws timing) runs the pipeline; after a warm-up, every process of it (the runtime:
HTTP API, stream pumps, invoker, recorder; the embedded AWS: moto's server, its meter; one
worker per function environment) is sampled by py-spy for the whole run, and its CPU time is
read before and after. Each sampled stack is put in one bucket (``CATEGORIES``, first match
from the top), so the table says, per onboarding completed: CPU milliseconds per process, and
how each process's samples split between moto's request handling and serialisation, the
runtime<->AWS channel, worker IPC, stream polling and the handlers themselves.

The floor: the CPU one onboarding cannot go below with these handlers and this AWS. The
handlers' own work is the warm benchmark's (``warm_overhead``: each handler on one record,
AWS answered in memory at botocore's before-send hook, so SDK serialising and parsing count);
the AWS side's work is what the profile finds in moto's backends (the models: state and rules)
in the embedded AWS process; moto's generic request parsing and response serialisation, HTTP
serving, metering and the channel are shown beside it, not counted. ``cores / floor`` is then
the most onboardings a second this machine could give.

Example::

    result = run(rate=20, seconds=20, out=Path("runs/profile"))   # flame files in out/
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

from onramp.bench import warm_overhead
from onramp.bench.peer.compare import Load, open_loop, warm_up
from onramp.bench.peer.targets import onramp_target
from onramp.bench.result import BenchResult, Figure

SAMPLE_RATE_HZ = 50
FLOOR_ITERATIONS = 300
HANDLERS = ("register", "enrich", "provision")
AWS_PROCESS = "embedded AWS (moto)"
MOTO_BUCKETS = ("moto: backends", "moto: request parsing")
HANDLER_SDK = "handlers: SDK (botocore serialise/sign/parse, urllib3)"
HANDLER_CODE = "handlers: their own code (Powertools, pydantic, rules)"
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("moto: backends (DynamoDB, S3, SES, Cognito models)", ("moto/dynamodb/models",
     "moto/s3/models", "moto/ses/models", "moto/cognitoidp/models", "moto/iam/models")),
    ("moto: request parsing and response serialisation", ("moto/",)),
    ("embedded AWS: GetRecords fast path and stream retention", ("stream_reads.py",
     "stream_retention.py")),
    ("metering (traffic meter, recorder)", ("traffic.py", "recorder.py", "capacity.py")),
    ("runtime<->AWS channel (pickled calls, needs reporter)", ("aws/process.py",)),
    ("stream polling (pumps and their GetRecords client)", ("streams/pump.py",)),
    ("stream rules and invoking (delivery, invoker IPC)", ("event_source.py", "event_filter.py",
     "invoker.py")),
    ("worker IPC (socket protocol, JSON, log capture)", ("runtime/worker.py",)),
    ("local HTTP API (payload 2.0, routing)", ("local/api/",)),
    ("HTTP servers (the AWS's keep-alive server, waitress)", ("local/loopback.py", "werkzeug/",
     "waitress/", "socketserver")),
)  # fmt: skip
SDK = ("botocore/", "urllib3/", "http/client", "boto3/", "s3transfer/")
SDK_ELSEWHERE = "SDK elsewhere (botocore, urllib3, http.client)"
OTHER = "other (interpreter, json, threading)"


def classify(stack: str) -> str:
    """The bucket of one sampled stack (frames joined by ``;``, root first).

    A handler's stack (a frame of ``onboarding/``) is the handler's: its SDK part when an SDK
    frame lies below the handler's innermost frame, else its own code. Any other stack goes to
    its innermost frame that names a component (the leaf walked up to the root); SDK frames on
    the way are the SDK of whatever component called them."""
    frames = stack.split(";")
    handler = [i for i, frame in enumerate(frames) if "onboarding/" in frame]
    if handler:
        below = frames[handler[-1] + 1 :]
        return HANDLER_SDK if any(n in f for f in below for n in SDK) else HANDLER_CODE
    saw_sdk = False
    for frame in reversed(frames):
        for name, needles in CATEGORIES:
            if any(needle in frame for needle in needles):
                return name
        saw_sdk = saw_sdk or any(needle in frame for needle in SDK)
    return SDK_ELSEWHERE if saw_sdk else OTHER


def parse_raw(text: str) -> Counter[str]:
    """py-spy's ``--format raw`` (collapsed stacks: ``frame;frame;... count``) by bucket."""
    buckets: Counter[str] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            buckets[classify(stack)] += int(count)
    return buckets


def role(process: psutil.Process) -> str:
    """What a process of ``onramp up`` is: runtime, embedded AWS, or a function's worker."""
    try:
        command = process.cmdline()
    except psutil.Error:
        return "gone"
    if "onramp.local.aws.process" in command:
        return AWS_PROCESS
    if "onramp.local.runtime.worker" in command:
        handler = command[command.index("onramp.local.runtime.worker") + 2]
        return f"worker {handler.split('.')[-2]}"
    return "runtime (API, pumps, invoker)"


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def profile_run(rate: float, seconds: float, out: Path) -> dict[str, Any]:
    """The run: per process role, CPU seconds and the buckets of its samples."""
    out.mkdir(parents=True, exist_ok=True)
    with onramp_target("aws") as target:
        warm_up(target)
        processes = target.processes()
        before = {p.pid: _cpu_seconds(p) for p in processes}
        py_spy = [str(Path(sys.executable).with_name("py-spy")), "record", "--format", "raw"]
        # --gil: only threads running Python count. py-spy's idle test misses a thread blocked
        # in a socket read or a lock (the AWS's keep-alive threads wait so between requests),
        # and such samples, spread over the process's CPU time, would be CPU it never spent.
        py_spy += ["--rate", str(SAMPLE_RATE_HZ), "--nonblocking", "--gil"]
        recorders = [
            subprocess.Popen(
                [*py_spy, "--pid", str(p.pid), "--output", str(out / f"{p.pid}.txt")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for p in processes
        ]
        time.sleep(1.0)  # py-spy attached
        started = time.monotonic()
        figures = open_loop(target, Load(f"{rate:g}/s", rate), seconds, seed=4242)
        elapsed = time.monotonic() - started
        after = {p.pid: _cpu_seconds(p) for p in processes}
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)
        for recorder in recorders:
            recorder.wait(30)
        roles = {p.pid: role(p) for p in processes}
    per_role: dict[str, dict[str, Any]] = {}
    for pid, name in roles.items():
        entry = per_role.setdefault(name, {"cpu_s": 0.0, "processes": 0, "buckets": Counter()})
        entry["cpu_s"] += after.get(pid, 0.0) - before.get(pid, 0.0)
        entry["processes"] += 1
        path = out / f"{pid}.txt"
        if path.exists():
            entry["buckets"].update(parse_raw(path.read_text(encoding="utf-8", errors="replace")))
    raw = {"run": figures, "rate": rate, "elapsed_s": elapsed, "roles": per_role, "out": str(out)}
    (out / "profile.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return raw


def profile_result(raw: dict[str, Any]) -> BenchResult:
    """The table: per process role and bucket, CPU ms per completed onboarding."""
    completed = raw["run"]["completed"] or 1
    result = BenchResult(
        name="profile",
        title="Where one onboarding's CPU goes (py-spy on every process of `onramp up`)",
        header=["process", "CPU ms / onboarding", "bucket", "share of its samples", "ms"],
        raw=raw,
    )
    total_ms = 0.0
    for name, entry in sorted(raw["roles"].items(), key=lambda kv: -kv[1]["cpu_s"]):
        cpu_ms = entry["cpu_s"] * 1000 / completed
        total_ms += cpu_ms
        samples = sum(entry["buckets"].values()) or 1
        for index, (bucket, count) in enumerate(entry["buckets"].most_common()):
            share = count / samples
            if share < 0.02:
                continue
            label = f"{name} (x{entry['processes']})" if index == 0 else ""
            cpu = f"{cpu_ms:.1f}" if index == 0 else ""
            result.rows.append([label, cpu, bucket, f"{share:.0%}", f"{share * cpu_ms:.1f}"])
    run = raw["run"]
    result.figures.append(
        Figure(
            f"CPU per onboarding, all processes, at {raw.get('rate', 0):g}/s offered",
            f"{total_ms:.0f} ms ({run['completed']} of {run['sent']} completed in the run)",
        )
    )
    handlers_ms = raw.get("handlers_floor_ms", 0.0)
    backends_ms = moto_work_ms(raw, MOTO_BUCKETS[:1])
    parsing_ms = moto_work_ms(raw, MOTO_BUCKETS[1:])
    floor_ms = handlers_ms + backends_ms
    cores = raw.get("cores", 1)
    if floor_ms:
        result.figures.append(
            Figure(
                "floor: CPU one onboarding needs (handlers with AWS in memory + moto's backends)",
                f"{floor_ms:.1f} ms = {handlers_ms:.1f} + {backends_ms:.1f}; cores/floor = "
                f"{cores * 1000 / floor_ms:.0f}/s on {cores} cores (with moto's request parsing "
                f"and serialisation, {parsing_ms:.1f} ms more: "
                f"{cores * 1000 / (floor_ms + parsing_ms):.0f}/s)",
            )
        )
        result.figures.append(
            Figure(
                "measured CPU per onboarding against the floor",
                f"{total_ms:.0f} ms vs {floor_ms:.1f} ms",
                ratio=total_ms / floor_ms,
            )
        )
    result.notes += [
        f"py-spy {SAMPLE_RATE_HZ} Hz on every process (non-blocking; only the thread holding "
        "the GIL sampled); CPU from each process's user+system time over the run; a stack goes "
        "to the first component its innermost frames name (`classify`, onramp/bench/profile.py).",
        f"Raw stacks (py-spy --format raw) in {raw['out']}.",
    ]
    return result


def moto_work_ms(raw: dict[str, Any], buckets: tuple[str, ...] = MOTO_BUCKETS) -> float:
    """CPU ms per onboarding the profile finds in those moto buckets of the embedded AWS."""
    entry = raw["roles"].get(AWS_PROCESS)
    if not entry:
        return 0.0
    samples = sum(entry["buckets"].values()) or 1
    inside = sum(n for bucket, n in entry["buckets"].items() if bucket.startswith(buckets))
    return entry["cpu_s"] * 1000 / (raw["run"]["completed"] or 1) * inside / samples


def handlers_floor_ms(iterations: int = FLOOR_ITERATIONS) -> float:
    """The three handlers' warm medians on one record each, AWS answered in memory (ms)."""
    figures = warm_overhead.measure(iterations)
    return sum(figures[name]["median_us"] for name in HANDLERS) / 1000


def run(rate: float = 20.0, seconds: float = 20.0, out: Path = Path("runs/profile")) -> BenchResult:
    """Profile an open-loop run of ``rate`` registrations a second for ``seconds``; the floor."""
    raw = profile_run(rate, seconds, out)
    raw["handlers_floor_ms"] = handlers_floor_ms()
    raw["cores"] = psutil.cpu_count() or 1
    return profile_result(raw)
