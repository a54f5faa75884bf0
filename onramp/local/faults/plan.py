"""Fault injection for the embedded stack: the switch lives in the local runtime only.

A ``FaultPlan`` is a list of faults, each written ``KIND[:key=value,...]``, and a seed. The
Lambda code never sees it: the worker installs botocore event hooks before the handler is
imported (``fault_hooks``), the stack adds environment variables and wraps the invoke
callable its stream pumps use. Every fault counts the calls it saw and the ones it hit
("2 of 17") in one state file shared by the parent and all worker processes, so the choice
of which call fails is deterministic: the i-th matching call fails when ``skip <= i``,
fewer than ``times`` were hit, and (with ``rate``) a draw seeded by (seed, fault, i) says so.

Kinds (docs/faults.md has the full table):

- ``aws-error:service=ses,operation=SendEmail,code=Throttling[,status=400]``: the call
  gets AWS's error response on the wire (the SDK parses and retries it as it would AWS's).
- ``crash:service=ses,operation=SendEmail``: the worker exits right after the call
  succeeded (a side effect done, the status write not).
- ``slow:service=ses,operation=SendEmail,ms=1500``: the call waits ``ms`` before it is sent
  (a slow dependency: the call then succeeds as usual).
- ``lookup-hang``: the enrichment lookup never answers (``LOOKUP_FAKE_MODE=hang``).
- ``duplicate-batch``: the stream pump delivers each batch twice, one after the other.
- ``race``: the stream pump delivers each batch twice at the same time (two environments).

Common keys: ``function`` (function key; default every function), ``skip``, ``times``, ``rate``.

Example::

    plan = FaultPlan.parse(["aws-error:service=ses,operation=SendEmail,code=Throttling,times=4"])
    with EmbeddedStack(faults=plan) as stack: ...
    plan.stats()   # {'aws-error:...': {'matched': 12, 'injected': 4, 'text': '4 of 12'}}
"""

from __future__ import annotations

import fcntl
import json
import random
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the worker imports this module: keep it free of the runtime's imports
    from onramp.local.runtime.invoker import FunctionRuntime, Invocation

KINDS = ("aws-error", "crash", "slow", "lookup-hang", "duplicate-batch", "race")
AWS_KINDS = ("aws-error", "crash", "slow")
DELIVERY_KINDS = ("duplicate-batch", "race")
HOOKED_KINDS = (*AWS_KINDS, "race")  # installed in the worker (a race observes its conflicts)
PLAN_VARIABLE = "ONRAMP_FAULT_PLAN"
FUNCTION_VARIABLE = "ONRAMP_FAULT_FUNCTION"

# Status and message AWS answers with, for the error codes the pipeline meets.
KNOWN_ERRORS: dict[str, tuple[int, str]] = {
    "Throttling": (400, "Maximum sending rate exceeded."),
    "MessageRejected": (400, "Email address is not verified."),
    "InternalError": (500, "We encountered an internal error. Please try again."),
    "SlowDown": (503, "Please reduce your request rate."),
    "ServiceUnavailable": (503, "Service is unable to handle request."),
    "LimitExceeded": (409, "Cannot exceed quota for PoliciesPerAccount: 1500"),
    "ServiceFailure": (500, "Request processing has failed because of an unknown error."),
    "ConditionalCheckFailedException": (400, "The conditional request failed"),
    "ProvisionedThroughputExceededException": (
        400,
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    "ThrottlingException": (400, "Rate exceeded"),
    # Cognito user pools (JSON 1.1): the request-rate quota, a service fault, a bad attribute.
    "TooManyRequestsException": (400, "Too many requests"),
    "InternalErrorException": (500, "Internal server error"),
    "InvalidParameterException": (400, "Invalid attributes given."),
}


class FaultPlanError(ValueError):
    """A fault spec that cannot be applied; the message names the spec and the bad key."""


@dataclass(frozen=True)
class Fault:
    """One fault: its kind, where it applies, and which matching calls it hits."""

    kind: str
    function: str | None = None
    service: str | None = None
    operation: str | None = None
    code: str | None = None
    status: int | None = None
    ms: int | None = None
    skip: int = 0
    times: int | None = None
    rate: float | None = None

    @property
    def label(self) -> str:
        """The spec in canonical form (``kind:key=value,...``); names the fault in stats."""
        keys = [
            f"{f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if f.name != "kind" and getattr(self, f.name) not in (None, f.default)
        ]
        return self.kind + (":" + ",".join(keys) if keys else "")

    def applies_to(self, function: str) -> bool:
        """True when the fault targets ``function`` (no ``function`` key: every function)."""
        return self.function in (None, function)

    def hits(self, index: int, injected: int, seed: int) -> bool:
        """Whether the ``index``-th matching call (0-based) is hit, ``injected`` hit so far."""
        if index < self.skip or (self.times is not None and injected >= self.times):
            return False
        if self.rate is None:
            return True
        return random.Random(f"{seed}:{self.label}:{index}").random() < self.rate


def parse_fault(spec: str) -> Fault:
    """``KIND[:key=value,...]`` -> a validated :class:`Fault` (FaultPlanError naming the key)."""
    kind, _, rest = spec.strip().partition(":")
    if kind not in KINDS:
        raise FaultPlanError(f"fault {spec!r}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    values: dict[str, Any] = {}
    names = _KEY_TYPES
    for pair in filter(None, rest.split(",")):
        key, sep, value = pair.partition("=")
        if not sep or key not in names:
            raise FaultPlanError(f"fault {spec!r}: bad key {pair!r} (keys: {', '.join(names)})")
        try:
            values[key] = names[key](value)
        except ValueError:
            raise FaultPlanError(f"fault {spec!r}: {key}={value!r} is not valid") from None
    if kind == "crash":
        values.setdefault("times", 1)
    fault = Fault(kind=kind, **values)
    _check(spec, fault)
    return fault


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


_KEY_TYPES: dict[str, Any] = {
    "function": str,
    "service": str,
    "operation": str,
    "code": str,
    "status": int,
    "ms": _count,
    "skip": _count,
    "times": _count,
    "rate": _fraction,
}


def _check(spec: str, fault: Fault) -> None:
    """Kind-specific rules: AWS faults name a real service operation; others take no target."""
    if fault.kind != "slow" and fault.ms is not None:
        raise FaultPlanError(f"fault {spec!r}: only slow takes ms")
    if fault.kind not in AWS_KINDS:
        for key in ("service", "operation", "code", "status"):
            if getattr(fault, key) is not None:
                raise FaultPlanError(f"fault {spec!r}: {fault.kind} takes no {key}")
        return
    if not fault.service or not fault.operation:
        raise FaultPlanError(f"fault {spec!r}: needs service= and operation=")
    import botocore.exceptions
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(fault.service)
    except botocore.exceptions.UnknownServiceError:
        raise FaultPlanError(f"fault {spec!r}: service={fault.service!r} is unknown") from None
    if fault.operation not in model.operation_names:
        raise FaultPlanError(
            f"fault {spec!r}: operation={fault.operation!r} is not a {fault.service} operation"
        )
    if fault.kind in ("crash", "slow"):
        if fault.code is not None or fault.status is not None:
            raise FaultPlanError(f"fault {spec!r}: {fault.kind} takes no code/status")
        if fault.kind == "slow" and not fault.ms:
            raise FaultPlanError(f"fault {spec!r}: slow needs ms= (milliseconds, above 0)")
        return
    if not fault.code:
        raise FaultPlanError(f"fault {spec!r}: aws-error needs code=")
    if fault.status is None and fault.code not in KNOWN_ERRORS:
        raise FaultPlanError(f"fault {spec!r}: code={fault.code!r} needs status= (HTTP status)")
    if fault.status is not None and not 400 <= fault.status <= 599:
        raise FaultPlanError(f"fault {spec!r}: status={fault.status} is not a 4xx/5xx")


class FaultState:
    """Per-fault counters in one JSON file, updated under an exclusive lock by every process."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        with self.path.open("r+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            state = json.loads(file.read() or "{}")
            yield state
            file.seek(0)
            file.write(json.dumps(state))
            file.truncate()

    def decide(self, fault: Fault, seed: int) -> bool:
        """Count one matching call of ``fault``; True when this call is to be hit."""
        with self._locked() as state:
            counts = state.setdefault("counts", {}).setdefault(fault.label, {})
            counts.setdefault("matched", 0)
            counts.setdefault("injected", 0)
            hit = not state.get("cleared") and fault.hits(
                counts["matched"], counts["injected"], seed
            )
            counts["matched"] += 1
            counts["injected"] += int(hit)
            return hit

    def note(self, fault: Fault, event: str) -> None:
        """Count an observation ``event`` of ``fault`` (e.g. a race's conditional-check loss)."""
        with self._locked() as state:
            counts = state.setdefault("counts", {}).setdefault(fault.label, {})
            counts[event] = counts.get(event, 0) + 1

    def counts(self) -> dict[str, dict[str, int]]:
        """``{label: {"matched": M, "injected": N}}``."""
        with self._locked() as state:
            return state.get("counts", {})

    def clear(self) -> None:
        """Stop hitting calls (counting goes on)."""
        with self._locked() as state:
            state["cleared"] = True

    @property
    def cleared(self) -> bool:
        """True after :meth:`clear`."""
        with self._locked() as state:
            return bool(state.get("cleared"))


class FaultPlan:
    """The faults of one run, their shared state, and what the stack applies for them."""

    def __init__(self, faults: Sequence[Fault] = (), seed: int = 0) -> None:
        self.faults = tuple(faults)
        self.seed = seed
        labels = [f.label for f in self.faults]
        duplicates = {label for label in labels if labels.count(label) > 1}
        if duplicates:
            raise FaultPlanError(f"fault {sorted(duplicates)[0]!r} is given twice")
        self._directory: Path | None = None
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, specs: Sequence[str], seed: int = 0) -> FaultPlan:
        """A plan from ``KIND[:key=value,...]`` specs."""
        return cls([parse_fault(spec) for spec in specs], seed)

    @classmethod
    def load(cls, path: Path | str) -> FaultPlan:
        """The plan a stack wrote for its workers (``plan.json`` beside the state file)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        plan = cls([Fault(**fault) for fault in data["faults"]], data["seed"])
        plan._directory = Path(path).parent
        return plan

    def __bool__(self) -> bool:
        return bool(self.faults)

    # ---------------------------------------------------------------- what the stack applies
    def check_functions(self, keys: Sequence[str]) -> None:
        """FaultPlanError when a fault names a function the stack does not run."""
        for fault in self.faults:
            if fault.function is not None and fault.function not in keys:
                raise FaultPlanError(
                    f"fault {fault.label!r}: function={fault.function!r} is not one of "
                    f"{', '.join(keys)}"
                )

    def environment(self, function: str, base: Mapping[str, str]) -> dict[str, str]:
        """Variables to add to ``function``'s environment (empty when no fault applies)."""
        added: dict[str, str] = {}
        if any(f.kind in HOOKED_KINDS and f.applies_to(function) for f in self.faults):
            added[PLAN_VARIABLE] = str(self._plan_path())
            added[FUNCTION_VARIABLE] = function
        hang = [f for f in self.faults if f.kind == "lookup-hang" and f.applies_to(function)]
        if hang and "LOOKUP_PROVIDER" in base:
            if base["LOOKUP_PROVIDER"] != "fake":
                raise FaultPlanError(f"fault {hang[0].label!r}: needs LookupProvider=fake")
            added["LOOKUP_FAKE_MODE"] = "hang"
        return added

    def concurrency(self, function: str, default: int) -> int:
        """Execution environments ``function`` needs: two for a ``race``."""
        racing = any(f.kind == "race" and f.applies_to(function) for f in self.faults)
        return max(default, 2) if racing else default

    def delivery(self, runtime: FunctionRuntime) -> FunctionRuntime | DuplicatingDelivery:
        """What a stream pump invokes: the runtime, or a wrapper delivering batches twice."""
        faults = [
            f for f in self.faults if f.kind in DELIVERY_KINDS and f.applies_to(runtime.spec.key)
        ]
        return DuplicatingDelivery(runtime, faults, self) if faults else runtime

    # ---------------------------------------------------------------- control and counters
    def decide(self, fault: Fault) -> bool:
        """Count one matching call of ``fault`` (any process); True when it is to be hit."""
        return self._state().decide(fault, self.seed)

    def note(self, fault: Fault, event: str) -> None:
        """Count an observation of ``fault`` (any process)."""
        self._state().note(fault, event)

    def stats(self) -> dict[str, dict[str, Any]]:
        """``{label: {"matched": M, "injected": N, "text": "N of M", ...observations}}``."""
        counts = self._state().counts() if self.faults else {}
        stats = {}
        for fault in self.faults:
            count = {"matched": 0, "injected": 0, **counts.get(fault.label, {})}
            stats[fault.label] = {**count, "text": f"{count['injected']} of {count['matched']}"}
        return stats

    def clear(self) -> None:
        """Switch every fault off for the rest of the run (lookup-hang lasts the workers' life)."""
        self._state().clear()

    @property
    def cleared(self) -> bool:
        """True once :meth:`clear` was called."""
        return self._state().cleared

    def close(self) -> None:
        """Remove the state directory (the counters are gone afterwards)."""
        with self._lock:
            if self._directory is not None:
                shutil.rmtree(self._directory, ignore_errors=True)
                self._directory = None

    def _plan_path(self) -> Path:
        with self._lock:
            if self._directory is None:
                self._directory = Path(tempfile.mkdtemp(prefix="onramp-faults-"))
                (self._directory / "state.json").write_text("{}", encoding="utf-8")
                plan = {"faults": [asdict(f) for f in self.faults], "seed": self.seed}
                (self._directory / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
            return self._directory / "plan.json"

    def _state(self) -> FaultState:
        return FaultState(self._plan_path().parent / "state.json")


class DuplicatingDelivery:
    """A runtime stand-in for a stream pump: hit batches are delivered twice, one after the
    other (``duplicate-batch``) or at the same moment in two environments (``race``).

    The pump sees the failed invocation if either failed (so the batch is retried), else
    the second one.
    """

    def __init__(self, runtime: FunctionRuntime, faults: list[Fault], plan: FaultPlan) -> None:
        self._runtime = runtime
        self._faults = faults
        self._plan = plan
        self.spec = runtime.spec
        self.arn = runtime.arn

    def invoke(self, event: Any, batch_size: int = 0) -> Invocation:
        """Invoke once, or twice when a fault hits this batch."""
        hit = [f for f in self._faults if self._plan.decide(f)]
        if not hit:
            return self._runtime.invoke(event, batch_size)
        if any(f.kind == "race" for f in hit):
            results: list[Invocation] = []
            start = threading.Barrier(2)

            def deliver() -> None:
                start.wait()
                results.append(self._runtime.invoke(event, batch_size))

            threads = [threading.Thread(target=deliver, name="onramp-race") for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            results = [self._runtime.invoke(event, batch_size) for _ in range(2)]
        failed = [r for r in results if r.failed]
        return failed[0] if failed else results[-1]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runtime, name)
