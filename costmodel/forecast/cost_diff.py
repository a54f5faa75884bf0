"""What a change costs: two priced stacks (a base and a head) compared at one monthly volume.

Each side is a Scenario (a template and a shape: documented defaults or a run's measurement).
The diff holds the monthly bill before -> after per resource (exact, unrounded) and per invoice
line (one per usage type and tier, each rounded to cents: they sum to the totals), the fixed
part, the cost per 1,000 onboardings, the break-even before -> after, and the changes that
moved them: the template's cost facts (memory, architecture, alarms, tracing, log retention,
batch size, ...) and, when a side is a run, the per-onboarding shape. Each priced row names the
changes that touch its resource or usage type.

Example::

    diff = diff_costs(Side("main", load_scenario(template="old.yaml")),
                      Side("head", load_scenario(template="stack/template.yaml")), 100_000)
    diff.total_change, [c.what for c in diff.changes]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, TypeVar

from costmodel.forecast.breakeven import BreakEven, breakeven
from costmodel.forecast.scenario import Estimate, PerOnboarding, Scenario, estimate
from costmodel.pricing.arithmetic import to_cents
from costmodel.pricing.engine import Bill
from costmodel.pricing.template_costs import LambdaSpec, StackSpec

K = TypeVar("K", bound=Hashable)

DURATION = frozenset({"duration_x86_64", "duration_arm64"})
ALARM_ITEMS = frozenset({"alarm_metrics", "high_resolution_alarm_metrics"})
LOG_ITEMS = frozenset({"log_ingest", "log_storage"})
ANY_ITEM: frozenset[str] = frozenset()
"""A change that moves every usage type of its resource."""
ZERO = Decimal(0)


@dataclass(frozen=True)
class Side:
    """One side of the diff: what the user named it (a path, git:REF:PATH, a run) and its
    scenario."""

    label: str
    scenario: Scenario


@dataclass(frozen=True)
class Change:
    """One difference between the sides, and what of the bill it can move.

    ``service`` "" moves no bill line (e.g. the budget: it moves only the break-even);
    ``resource`` None moves every resource of ``service``; ``items`` empty moves every usage
    type.
    """

    what: str
    service: str
    resource: str | None = None
    items: frozenset[str] = ANY_ITEM

    def touches(self, service: str, resource: str | None = None, item: str | None = None) -> bool:
        """True when this change can move ``service``'s ``resource`` (or invoice ``item``)."""
        if service != self.service:
            return False
        if resource is not None and self.resource not in (None, resource):
            return False
        return item is None or not self.items or item in self.items


def _was(before: object, after: object, unit: str = "") -> str:
    return f"{_shown(before)}{unit} -> {_shown(after)}{unit}"


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def template_changes(before: StackSpec, after: StackSpec) -> list[Change]:
    """The cost-relevant differences between two templates' cost facts, in template order."""
    changes: list[Change] = []
    api = after.api_service
    if before.api_type != after.api_type:
        changes.append(Change(f"API type {_was(before.api_type, after.api_type)}", api))
    if before.api_access_logs != after.api_access_logs:
        what = f"HTTP API access logs {_was(before.api_access_logs, after.api_access_logs)}"
        changes.append(Change(what, "cloudwatch", "ops", LOG_ITEMS))
    changes += _function_changes(before, after)
    changes += _table_changes(before, after)
    changes += _alarm_changes(before, after)
    for queue in sorted(set(before.queues) ^ set(after.queues)):
        verb = "added" if queue in after.queues else "removed"
        changes.append(Change(f"queue {queue} {verb}", "sqs", queue))
    if before.custom_metric_series != after.custom_metric_series:
        what = (
            "custom metric series the code emits "
            f"{_was(before.custom_metric_series, after.custom_metric_series)}"
        )
        changes.append(Change(what, "cloudwatch", "ops", frozenset({"custom_metrics"})))
    if before.user_pool_plan != after.user_pool_plan:
        what = f"user pool plan {_was(before.user_pool_plan, after.user_pool_plan)}"
        changes.append(Change(what, "cognito", "users"))
    if before.action_budgets != after.action_budgets:
        what = f"action-enabled budgets {_was(before.action_budgets, after.action_budgets)}"
        changes.append(Change(what, "budgets"))
    if before.budget_usd != after.budget_usd:
        changes.append(
            Change(f"monthly budget {_was(before.budget_usd, after.budget_usd)} USD", "")
        )
    return changes


def _function_changes(before: StackSpec, after: StackSpec) -> Iterator[Change]:
    for key in _union(before.functions, after.functions):
        old, new = before.functions.get(key), after.functions.get(key)
        if old is None or new is None:
            verb = "added" if old is None else "removed"
            yield Change(f"function {key} {verb}", "lambda", key)
            if any(spec.tracing for spec in (old, new) if spec):
                yield Change(f"function {key} {verb} (traced)", "xray", "lambda")
            continue
        if old.memory_mb != new.memory_mb:
            what = f"{key}: memory {_was(old.memory_mb, new.memory_mb, ' MB')}"
            yield Change(what, "lambda", key, DURATION)
        if old.architecture != new.architecture:
            what = f"{key}: architecture {_was(old.architecture, new.architecture)}"
            yield Change(what, "lambda", key, DURATION)
        if old.ephemeral_storage_mb != new.ephemeral_storage_mb:
            what = (
                f"{key}: ephemeral storage "
                f"{_was(old.ephemeral_storage_mb, new.ephemeral_storage_mb, ' MB')}"
            )
            yield Change(what, "lambda", key, frozenset({"ephemeral_storage"}))
        if old.log_retention_days != new.log_retention_days:
            what = f"{key}: log retention {_was(_days(old), _days(new))}"
            yield Change(what, "cloudwatch", "ops", frozenset({"log_storage"}))
        if old.tracing != new.tracing:
            what = f"{key}: X-Ray tracing {_was(old.tracing, new.tracing)}"
            yield Change(what, "xray", "lambda", frozenset({"traces_recorded"}))
        batching = (old.batch_size, old.batching_window_s), (new.batch_size, new.batching_window_s)
        if batching[0] != batching[1]:
            what = (
                f"{key}: stream batch size {_was(old.batch_size, new.batch_size)}, batching "
                f"window {_was(old.batching_window_s, new.batching_window_s, ' s')} (the shape's "
                "invocations per onboarding do not follow it: price a run of each template)"
            )
            yield Change(what, "lambda", key)


def _days(spec: LambdaSpec) -> str:
    return f"{spec.log_retention_days} days" if spec.log_retention_days else "never expire"


def _table_changes(before: StackSpec, after: StackSpec) -> Iterator[Change]:
    for key in _union(before.tables, after.tables):
        old, new = before.tables.get(key), after.tables.get(key)
        if old is None or new is None:
            yield Change(f"table {key} {'added' if old is None else 'removed'}", "dynamodb", key)
        elif old.pitr != new.pitr:
            what = f"table {key}: point-in-time recovery {_was(old.pitr, new.pitr)}"
            yield Change(what, "dynamodb", key, frozenset({"pitr"}))


def _alarm_changes(before: StackSpec, after: StackSpec) -> Iterator[Change]:
    old = {a.logical_id: a for a in before.alarms}
    new = {a.logical_id: a for a in after.alarms}
    for name in _union(old, new):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        if a is None or b is None:
            alarm = b or a
            assert alarm is not None
            verb = "added" if a is None else "removed"
            what = f"alarm {verb}: {name} ({alarm.kind}, {_metrics(alarm.alarm_metrics)})"
        else:
            what = (
                f"alarm {name}: {a.kind}, {_metrics(a.alarm_metrics)} -> {b.kind}, "
                f"{_metrics(b.alarm_metrics)}"
            )
        yield Change(what, "cloudwatch", "ops", ALARM_ITEMS)


def _metrics(count: int) -> str:
    return f"{count} alarm metric{'s' if count != 1 else ''}"


SHAPE_FIELDS: dict[str, tuple[str, str | None, frozenset[str]]] = {
    "api_requests": ("api", "api", ANY_ITEM),
    "invocations": ("lambda", None, frozenset({"requests"})),
    "billed_ms": ("lambda", None, DURATION),
    "init_ms": ("lambda", None, DURATION),
    "write_units": ("dynamodb", None, frozenset({"write_request_units"})),
    "read_units": ("dynamodb", None, frozenset({"read_request_units"})),
    "stored_bytes": ("dynamodb", None, frozenset({"storage", "pitr"})),
    "log_bytes": ("cloudwatch", "ops", LOG_ITEMS),
    "emails": ("ses", "welcome", ANY_ITEM),
    "s3_put_requests": ("s3", "userspaces", frozenset({"put_requests"})),
    "s3_get_requests": ("s3", "userspaces", frozenset({"get_requests"})),
    "s3_stored_bytes": ("s3", "userspaces", frozenset({"storage"})),
    "sqs_requests": ("sqs", None, ANY_ITEM),
    "pool_users": ("cognito", "users", ANY_ITEM),
    "sign_in_share": ("cognito", "users", ANY_ITEM),
}
"""Per-onboarding fields of the shape and what of the bill each moves (None: the dict key)."""


def shape_changes(before: PerOnboarding, after: PerOnboarding, api: str) -> list[Change]:
    """The per-onboarding figures that differ between two shapes (a run against another)."""
    changes = []
    for f in fields(PerOnboarding):
        if f.name not in SHAPE_FIELDS:
            continue
        service, resource, items = SHAPE_FIELDS[f.name]
        service = api if service == "api" else service
        old, new = getattr(before, f.name), getattr(after, f.name)
        for key, a, b in _pairs(old, new):
            if a != b:
                label = f"{key} {f.name}" if key else f.name
                what = f"shape: {label.replace('_', ' ')} per onboarding {_was(_g(a), _g(b))}"
                changes.append(Change(what, service, resource or key or None, items))
    return changes


def _pairs(old: Any, new: Any) -> Iterator[tuple[str, Any, Any]]:
    """(key, before, after) of two shape values: per key for a mapping, once for a number."""
    if isinstance(old, Mapping) or isinstance(new, Mapping):
        old, new = old or {}, new or {}
        for key in _union(old, new):
            yield key, old.get(key, ZERO), new.get(key, ZERO)
    else:
        yield "", old, new


def _g(value: Any) -> str:
    """A per-onboarding figure to 4 significant digits."""
    return f"{Decimal(value):.4g}"


@dataclass(frozen=True)
class Delta:
    """One priced row before -> after, and the changes that can have moved it."""

    service: str
    name: str
    """The resource (per-resource rows) or the invoice line's usage type and tier."""
    before: Decimal
    after: Decimal
    causes: tuple[str, ...]

    @property
    def change(self) -> Decimal:
        """After minus before."""
        return self.after - self.before

    def to_dict(self) -> dict[str, Any]:
        """The row with amounts as decimal strings."""
        return {
            "service": self.service,
            "name": self.name,
            "before": str(self.before),
            "after": str(self.after),
            "change": str(self.change),
            "causes": list(self.causes),
        }


SHARED = "no change of its own: the free tier or a price tier it shares with a changed resource"


@dataclass(frozen=True)
class CostDiff:
    """Base and head priced at ``users`` onboardings a month, and what moved."""

    base: Side
    head: Side
    users: int
    before: Estimate
    after: Estimate
    breakeven_before: BreakEven
    breakeven_after: BreakEven
    changes: list[Change]
    resources: list[Delta]
    lines: list[Delta]

    @property
    def total_change(self) -> Decimal:
        """The month's bill, after minus before."""
        return self.after.total - self.before.total

    @property
    def changed_resources(self) -> list[Delta]:
        """Per-resource rows whose cost moved."""
        return [d for d in self.resources if d.change]

    @property
    def changed_lines(self) -> list[Delta]:
        """Invoice lines whose amount moved."""
        return [d for d in self.lines if d.change]

    def to_dict(self) -> dict[str, Any]:
        """The whole diff as a JSON-ready document (every row, moved or not)."""
        return {
            "users": self.users,
            "base": {"source": self.base.label, "priced": self.base.scenario.describe()},
            "head": {"source": self.head.label, "priced": self.head.scenario.describe()},
            "total": _pair(self.before.total, self.after.total),
            "fixed": _pair(self.before.fixed, self.after.fixed),
            "per_1000_onboardings": _pair(self.before.per_1000, self.after.per_1000),
            "breakeven": {
                "before": self.breakeven_before.to_dict(),
                "after": self.breakeven_after.to_dict(),
            },
            "changes": [c.what for c in self.changes],
            "by_resource": [d.to_dict() for d in self.resources],
            "invoice_lines": [d.to_dict() for d in self.lines],
        }


def _pair(before: Decimal, after: Decimal) -> dict[str, str]:
    return {"before": str(before), "after": str(after), "change": str(after - before)}


def diff_costs(base: Side, head: Side, users: int, budget: Decimal | None = None) -> CostDiff:
    """Price both sides at ``users`` onboardings a month and say what moved and why.

    The break-even of each side is against ``budget``, else that side's own template budget.
    """
    before, after = estimate(users, base.scenario), estimate(users, head.scenario)
    old, new = base.scenario, head.scenario
    changes = template_changes(old.stack, new.stack)
    changes += shape_changes(old.per, new.per, new.stack.api_service)
    return CostDiff(
        base=base,
        head=head,
        users=users,
        before=before,
        after=after,
        breakeven_before=breakeven(old, budget),
        breakeven_after=breakeven(new, budget),
        changes=changes,
        resources=_resource_deltas(before.bill, after.bill, changes),
        lines=_line_deltas(before.bill, after.bill, changes),
    )


def _resource_deltas(before: Bill, after: Bill, changes: list[Change]) -> list[Delta]:
    old, new = before.by_resource(), after.by_resource()
    deltas = []
    for key in _union(old, new):
        service, resource = key
        causes = tuple(c.what for c in changes if c.touches(service, resource))
        a, b = old.get(key, ZERO), new.get(key, ZERO)
        if a != b and not causes:
            causes = (SHARED,)
        deltas.append(Delta(service, resource, a, b, causes))
    return deltas


def _line_deltas(before: Bill, after: Bill, changes: list[Change]) -> list[Delta]:
    old = {(line.service, line.item): line.usd for line in before.lines}
    new = {(line.service, line.item): line.usd for line in after.lines}
    items = {(line.service, line.item): line.catalog_item for line in [*before.lines, *after.lines]}
    zero, deltas = to_cents(ZERO), []
    for key in _union(old, new):
        service, item = key
        causes = tuple(c.what for c in changes if c.touches(service, item=items[key]))
        deltas.append(Delta(service, item, old.get(key, zero), new.get(key, zero), causes))
    return deltas


def _union(first: Iterable[K], second: Iterable[K]) -> list[K]:
    """The keys of both, in order: ``first``'s, then those only ``second`` has."""
    return list(dict.fromkeys([*first, *second]))
