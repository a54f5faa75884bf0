"""Cost efficiency: the measured cost per 1,000 onboardings against the floor for the same work.

The floor serves the very same traffic (accepted, completed, failed and rejected requests of
the measured run) at the least AWS could bill for it:

- 1 HTTP API request per request received (rejected ones included: they must be answered);
- 1 invocation per request (register), per accepted user (enrich) and per user reaching
  ``processing`` (provision), each billed 1 ms at 128 MB (the smallest memory), no tracing;
- 1 write unit per status write of a < 1 KB item on the Users table (pending put, processing
  or failed update, completed update) and the same on the audit table: the audit trail is
  part of the contract (docs/architecture.md: every status change is appended), so its
  minimal writes are required work, and anything above them is excess; plus 1 write unit per
  request on the per-source counter (bounding sign-ups per client is part of the contract
  too: docs/security.md);
- 1 welcome email, 1 S3 put (the prefix marker) and 1 user-pool user (a Cognito MAU) per
  user provisioned;
- Lambda's own START, END and REPORT lines per invocation, at their real byte size.

Both sides are priced by the same engine (costmodel.forecast.scenario -> costmodel.pricing.engine)
with no free tier (so the free tier hides nothing) and without storage (the rows and audit trail
kept are the product's data and accrue month by month, not per request). The bill of 1,000,000
onboardings minus the bill of none (the fixed alarms) gives the variable cost; custom metrics
are in it (billed by the hours with data, every hour at this volume), on both sides alike.

Example::

    comparison = compare(outcome.scenario, outcome.measurement)
    comparison.ratio(with_ses=False), comparison.rows()
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from costmodel.forecast.scenario import SOURCE_COUNTER_TABLE, PerOnboarding, Scenario
from costmodel.measurement import Measurement, Onboardings
from costmodel.pricing.engine import Bill
from costmodel.pricing.template_costs import StackSpec
from onramp.bench.result import BenchResult, Figure

FLOOR_MEMORY_MB = 128
FLOOR_BILLED_MS = 1
FLOOR_FREE_TIER = "none"
VOLUME = 1_000_000
"""Onboardings priced: large enough that rounding each line to cents is negligible."""
GOAL_RATIO = 1.5
SES = "ses"
PER_USER_CHARGES = (SES, "cognito")
"""Charged per user whatever the code does (an email, a pool user's MAU): the same on both
sides, so the ratio "without SES" leaves both out (Cognito's MAU would otherwise swamp it)."""
XRAY = "xray"
PROVISIONING_REJECTED = "provisioning_rejected"

LineKey = tuple[str, str, str]


def platform_log_bytes(memory_mb: int = FLOOR_MEMORY_MB, billed_ms: int = FLOOR_BILLED_MS) -> int:
    """Bytes of the START, END and REPORT lines Lambda writes for a warm invocation."""
    request_id = str(uuid.UUID(int=0))
    lines = (
        f"START RequestId: {request_id} Version: $LATEST\n"
        f"END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {billed_ms:.2f} ms\t"
        f"Billed Duration: {billed_ms} ms\tMemory Size: {memory_mb} MB\t"
        f"Max Memory Used: {memory_mb} MB\t\n"
    )
    return len(lines.encode())


def floor_stack(stack: StackSpec) -> StackSpec:
    """The same stack with every function at the smallest memory and without tracing."""
    functions = {
        key: replace(fn, memory_mb=FLOOR_MEMORY_MB, tracing=False)
        for key, fn in stack.functions.items()
    }
    return replace(stack, functions=functions)


def floor_per_onboarding(counts: Onboardings, measured: PerOnboarding) -> PerOnboarding:
    """The least usage per accepted onboarding for the measured run's traffic (module doc)."""
    accepted = Decimal(counts.accepted)
    reasons = counts.failure_reasons or {}
    provisioned = counts.completed + reasons.get(PROVISIONING_REJECTED, 0)
    requests = (accepted + counts.rejected) / accepted
    share = provisioned / accepted
    zero = Decimal(0)
    invocations = {"register": requests, "enrich": Decimal(1), "provision": share}
    invocations = {key: invocations.get(key, zero) for key in measured.invocations}
    status_writes = 2 + share  # pending put, processing|failed update, completed|failed update
    return replace(
        measured,
        api_requests=requests,
        invocations=invocations,
        billed_ms={key: count * FLOOR_BILLED_MS for key, count in invocations.items()},
        write_units={
            key: requests if key == SOURCE_COUNTER_TABLE else status_writes
            for key in measured.write_units
        },
        read_units={key: zero for key in measured.read_units},
        stored_bytes={key: zero for key in measured.stored_bytes},
        log_bytes=platform_log_bytes() * sum(invocations.values()),
        emails=share,
        s3_put_requests=share,
        pool_users=counts.completed / accepted,
        s3_get_requests=zero,
        s3_stored_bytes=zero,
        sqs_requests=zero,
        init_ms=None,
        source="floor",
    )


def variable_per_1000(scenario: Scenario, volume: int = VOLUME) -> dict[LineKey, Decimal]:
    """Each bill line's variable cost per 1,000 onboardings (bill of ``volume`` minus none)."""
    loaded, idle = (_by_line(scenario.bill(n, stored_onboardings=0)) for n in (volume, 0))
    per = Decimal(volume) / 1000
    return {key: (usd - idle.get(key, Decimal(0))) / per for key, usd in loaded.items()}


def _by_line(bill: Bill) -> dict[LineKey, Decimal]:
    """Exact USD per (service, resource, item): the per-resource table, not the invoice."""
    totals: dict[LineKey, Decimal] = {}
    for line in bill.resource_lines:
        key = (line.service, line.resource, line.item)
        totals[key] = totals.get(key, Decimal(0)) + line.usd
    return totals


@dataclass
class CostComparison:
    """The measured and floor variable cost per 1,000 onboardings, line by line."""

    measured: dict[LineKey, Decimal]
    floor: dict[LineKey, Decimal]
    explanations: dict[LineKey, str]

    def total(self, side: dict[LineKey, Decimal], with_ses: bool = True) -> Decimal:
        """Variable cost per 1,000 onboardings of one side (optionally without SES and the
        other per-user charges)."""
        return sum(
            (usd for key, usd in side.items() if with_ses or key[0] not in PER_USER_CHARGES),
            Decimal(0),
        )

    def ratio(self, with_ses: bool = True) -> float:
        """Measured over floor."""
        floor = self.total(self.floor, with_ses)
        return float(self.total(self.measured, with_ses) / floor) if floor else float("inf")

    def rows(self) -> list[list[str]]:
        """One row per bill line, largest excess first: component, measured, floor, excess, why."""
        keys = sorted(
            set(self.measured) | set(self.floor),
            key=lambda k: self.floor.get(k, Decimal(0)) - self.measured.get(k, Decimal(0)),
        )
        rows = []
        for key in keys:
            measured, floor = self.measured.get(key, Decimal(0)), self.floor.get(key, Decimal(0))
            if measured == floor == 0:
                continue
            rows.append(
                [
                    " ".join(key),
                    _usd(measured),
                    _usd(floor),
                    _usd(measured - floor),
                    self.explanations.get(key, ""),
                ]
            )
        return rows


def compare(measured: Scenario, measurement: Measurement, volume: int = VOLUME) -> CostComparison:
    """Price the measured shape and its floor through the same engine, line by line."""
    measured = replace(measured, free_tier=FLOOR_FREE_TIER)
    floor = Scenario(
        floor_per_onboarding(measurement.onboardings, measured.per),
        floor_stack(measured.stack),
        measured.region,
        FLOOR_FREE_TIER,
        measured.ses_plan,
    )
    return CostComparison(
        variable_per_1000(measured, volume),
        variable_per_1000(floor, volume),
        explain(measured, floor, measurement),
    )


def explain(measured: Scenario, floor: Scenario, measurement: Measurement) -> dict[LineKey, str]:
    """Why each line differs, in the measured run's own figures."""
    m, f = measured.per, floor.per
    why: dict[LineKey, str] = {}
    arch = {key: fn.architecture for key, fn in measured.stack.functions.items()}
    scheduled = measured.stack.scheduled_runs or {}
    for key, fn in measured.stack.functions.items():
        if key in scheduled:  # a schedule's runs are fixed: no variable line to explain
            continue
        calls = m.invocations.get(key, 0.0)
        ms = m.billed_ms.get(key, 0.0) / calls if calls else 0.0
        why[("lambda", key, "requests")] = (
            f"{calls:.2f} invocations/onboarding vs {f.invocations.get(key, 0.0):.2f}"
            + (" (stream batches carry several records)" if calls < f.invocations[key] else "")
        )
        why[("lambda", key, f"duration_{arch[key]}")] = (
            f"{ms:.1f} billed ms/invocation at {fn.memory_mb} MB vs "
            f"{FLOOR_BILLED_MS} ms at {FLOOR_MEMORY_MB} MB"
        )
    for table, units in m.write_units.items():
        block = measurement.dynamodb.get(table)
        largest = (block.max_item_bytes if block else None) or 0
        why[("dynamodb", table, "write_request_units")] = (
            f"{units:.2f} WRU/onboarding vs {f.write_units[table]:.2f} (largest item "
            f"{largest} B; extra conditional writes: email claim, retries; "
            "the in-flight index's entry)"
        )
    log_lines = ", ".join(
        f"{key} {fn.log_bytes / fn.invocations:.0f} B"
        for key, fn in measurement.functions.items()
        if fn.invocations
    )
    for item in ("log_ingest", "log_storage"):
        why[("cloudwatch", "ops", item)] = (
            f"log bytes per invocation: {log_lines} vs {platform_log_bytes()} B "
            "(START/END/REPORT only): Powertools JSON lines and EMF metrics"
        )
    why[(XRAY, "lambda", "traces_recorded")] = "active tracing: observability, not required work"
    why[("http_api", "api", "requests")] = f"{m.api_requests:.2f} requests/onboarding"
    why[("s3", "userspaces", "put_requests")] = (
        f"{m.s3_put_requests:.2f} puts/onboarding vs {f.s3_put_requests:.2f}"
    )
    why[("s3", "userspaces", "get_requests")] = f"{m.s3_get_requests:.2f} GETs/onboarding vs 0"
    why[("ses", "welcome", "recipients")] = f"{m.emails:.2f} emails/onboarding vs {f.emails:.2f}"
    return why


def _usd(amount: Decimal) -> str:
    return f"{amount:.4f}"


def cost_result(comparison: CostComparison, run_dir: Path | None = None) -> BenchResult:
    """The benchmark's figures: ratio with and without SES, and the itemised excess."""
    totals = {
        ses: (comparison.total(comparison.measured, ses), comparison.total(comparison.floor, ses))
        for ses in (True, False)
    }
    figures = [
        Figure(
            f"variable cost per 1,000 onboardings {'with' if ses else 'without'} SES "
            "(measured / floor, USD)",
            f"{_usd(measured)} / {_usd(floor)}",
            f"<= {GOAL_RATIO}x" if not ses else "",
            comparison.ratio(ses) <= GOAL_RATIO if not ses else None,
            comparison.ratio(ses),
        )
        for ses, (measured, floor) in totals.items()
    ]
    notes = [
        "Priced with no free tier and without storage, at 1,000,000 onboardings a month, "
        "minus the fixed bill (alarms); USD per 1,000 onboardings, 4 decimals.",
        "Floor: the same requests, users and outcomes at 1 ms and 128 MB per invocation, "
        "1 WRU per status write on Users and on the audit trail, 1 WRU per request on the "
        "per-source counter, 1 email and 1 S3 put per user provisioned, "
        f"{platform_log_bytes()} B of START/END/REPORT lines per invocation.",
    ]
    xray = sum((usd for key, usd in comparison.measured.items() if key[0] == XRAY), Decimal(0))
    measured, floor = totals[False]
    if xray and floor:
        notes.append(
            f"Without X-Ray tracing the ratio without SES would be "
            f"{(measured - xray) / floor:.2f}x."
        )
    if run_dir is not None:
        notes.append(f"Measured run: {run_dir}")
    return BenchResult(
        name="cost",
        title="Cost efficiency: measured against the floor for the same work",
        figures=figures,
        header=["component", "measured $/1k", "floor $/1k", "excess $/1k", "why"],
        rows=comparison.rows(),
        notes=notes,
    )


def run(duration_s: float, rate: float, out: Path) -> BenchResult:
    """Run a short demo (real load on the embedded stack) and compare its cost with the floor."""
    from onramp.demo import DemoOptions, run_demo

    outcome = run_demo(DemoOptions(duration_s=duration_s, rate=rate, out=out))
    result = cost_result(compare(outcome.scenario, outcome.measurement), outcome.run_dir)
    if not outcome.ok:
        result.notes.extend(f"demo problem: {problem}" for problem in outcome.problems)
    return result
