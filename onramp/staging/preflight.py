"""Will a planned load test fit the account, and if not, what breaks first?

Each check sets what the plan needs against what the account allows (``AccountLimits``, read
from the account itself) and says what the pipeline does when the limit is hit. A check that
fails has a time into the test at which it breaks (0: from the first request); the first to
break is named. Configuration checks (cost-allocation tags active, alarm and budget e-mails
set) never depend on the plan: they fail loudly, but only the capacity checks make a load
test refuse to start. AWS's values and sources for each limit: docs/staging.md, "Limits a
load test meets".

Example::

    plan = PlannedLoad(rate=20, duration_s=300, email_share=0.84, recipients="simulator")
    report = preflight(plan, limits)
    report.fits, report.first_to_break.name     # False, 'ses-send-rate' in a sandbox account
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from onramp.staging.account_limits import COST_TAGS, AccountLimits

API_ACCOUNT_RPS = 10_000
"""API Gateway's account-level throttle per region (steady requests a second, adjustable)."""
DYNAMODB_NEW_ON_DEMAND_WRITES = 4_000
"""Writes a second a new on-demand table sustains at once (it then adapts to twice the peak)."""
USERS_WRITES_PER_ONBOARDING = 3
"""pending put, processing update, completed update (the email claim adds a fourth, briefly)."""
DURATION_BOUND_S = 1.0
"""The template's duration alarm: each register call is held to under a second."""
USERS_PER_POOL = 40_000_000
"""Cognito's users per user pool (Quotas in Amazon Cognito, resource quotas; docs/deploy.md)."""
STREAM_READERS = 2
"""Event source mappings on the Users stream: one concurrent invocation each per shard."""


@dataclass(frozen=True)
class PlannedLoad:
    """A planned test: peak and mean registrations a second, length, the share of requests
    that become a welcome email, and where the emails go (``simulator`` or real ``domains``)."""

    rate: float
    duration_s: float
    email_share: float
    recipients: str = "domains"
    mean_rate: float | None = None  # the shape's mean; the peak when None (steady)

    @property
    def registrations(self) -> float:
        return (self.mean_rate or self.rate) * self.duration_s

    @property
    def emails(self) -> float:
        return self.registrations * self.email_share


@dataclass(frozen=True)
class Check:
    """One limit against the plan. ``ok`` None: it could not be checked."""

    name: str
    limit: str
    needed: str
    ok: bool | None
    when_hit: str
    breaks_after_s: float | None = None
    capacity: bool = True

    @property
    def verdict(self) -> str:
        return {True: "ok", False: "FAILS", None: "unknown"}[self.ok]


@dataclass(frozen=True)
class PreflightReport:
    """Every check; ``fits`` judges the capacity checks only."""

    checks: list[Check]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    @property
    def fits(self) -> bool:
        return not any(c.capacity for c in self.failed)

    @property
    def first_to_break(self) -> Check | None:
        breaking = [c for c in self.failed if c.capacity and c.breaks_after_s is not None]
        return min(breaking, key=lambda c: c.breaks_after_s or 0.0, default=None)


def preflight(plan: PlannedLoad, limits: AccountLimits) -> PreflightReport:
    """Every check of the plan against the account's limits."""
    checks = [
        _route_throttle(plan, limits),
        _api_account(plan),
        *_ses(plan, limits),
        _lambda_concurrency(plan, limits),
        _dynamodb(plan),
        *_cognito(plan, limits),
        *_configuration(limits),
    ]
    return PreflightReport(checks)


def _route_throttle(plan: PlannedLoad, limits: AccountLimits) -> Check:
    text = limits.parameter("RegisterRateLimit")
    allowed = float(text) if text else None
    return Check(
        "api-route-throttle",
        f"RegisterRateLimit {text or '?'}/s",
        f"{plan.rate:g}/s at peak",
        None if allowed is None else plan.rate <= allowed,
        "requests above it get 429 (not billed); Locust counts them as errors",
        0.0,
    )


def _api_account(plan: PlannedLoad) -> Check:
    return Check(
        "api-account-throttle",
        f"{API_ACCOUNT_RPS:,}/s per region (AWS default)",
        f"{plan.rate:g}/s at peak",
        plan.rate <= API_ACCOUNT_RPS,
        "429 for every API of the account in the region, not only this one",
        0.0,
    )


def _ses(plan: PlannedLoad, limits: AccountLimits) -> list[Check]:
    ses = limits.ses
    email_rate = plan.rate * plan.email_share
    recipients_ok = None if ses.production is None else (ses.production or _simulated(plan))
    checks = [
        Check(
            "ses-recipients",
            "sandbox: verified recipients or the mailbox simulator only"
            if ses.production is False
            else ("production access" if ses.production else "sandbox status unknown"),
            f"recipients: {plan.recipients}",
            recipients_ok,
            "SendEmail answers MessageRejected: the user ends failed / provisioning_rejected",
            0.0,
        ),
        Check(
            "ses-send-rate",
            f"{ses.max_send_rate:g} emails/s",
            f"{email_rate:.2f} emails/s at peak",
            email_rate <= ses.max_send_rate,
            "SendEmail throttled (Maximum sending rate exceeded): provision retries the batch "
            "3 times, then its records go to the dead-letter queue",
            0.0,
        ),
    ]
    if _simulated(plan):
        checks.append(
            Check(
                "ses-24h-quota",
                "not used by the mailbox simulator",
                f"{plan.emails:,.0f} emails (billed, not counted)",
                True,
                "-",
                capacity=True,
            )
        )
    else:
        left = math.inf if ses.max_24_hour_send < 0 else ses.max_24_hour_send
        left -= ses.sent_last_24_hours
        checks.append(
            Check(
                "ses-24h-quota",
                f"{ses.max_24_hour_send:,.0f} a day, {ses.sent_last_24_hours:,.0f} sent "
                "in the last 24 h",
                f"{plan.emails:,.0f} emails",
                plan.emails <= left,
                "SendEmail throttled (Daily message quota exceeded) until the window rolls: "
                "retries, then the dead-letter queue",
                _seconds_until(max(left, 0.0), email_rate),
            )
        )
    return checks


def _simulated(plan: PlannedLoad) -> bool:
    return plan.recipients == "simulator"


def _lambda_concurrency(plan: PlannedLoad, limits: AccountLimits) -> Check:
    needed = math.ceil(plan.rate * DURATION_BOUND_S) + STREAM_READERS
    available = limits.lambda_unreserved_concurrency
    return Check(
        "lambda-concurrency",
        "unknown" if available is None else f"{available:,} unreserved",
        f"about {needed} (register at <= 1 s, one per stream reader and shard)",
        None if available is None else needed <= available,
        "invocations throttled: the API answers 500 for register, streams fall behind",
        0.0,
    )


def _dynamodb(plan: PlannedLoad) -> Check:
    writes = plan.rate * USERS_WRITES_PER_ONBOARDING
    return Check(
        "dynamodb-on-demand",
        f"{DYNAMODB_NEW_ON_DEMAND_WRITES:,} writes/s on a new on-demand table",
        f"{writes:,.0f} writes/s on the Users table",
        writes <= DYNAMODB_NEW_ON_DEMAND_WRITES,
        "ThrottlingException on writes: register answers 500, stream updates are retried",
        0.0,
    )


def _cognito(plan: PlannedLoad, limits: AccountLimits) -> list[Check]:
    """One AdminCreateUser (UserCreation category) per onboarding, one pool user kept each."""
    if limits.user_pool_id is None:
        return []
    quota = limits.cognito_user_creation_rps
    per_second = plan.rate * plan.email_share
    users = plan.registrations * plan.email_share
    existing = limits.pool_users
    left = None if existing is None else USERS_PER_POOL - existing
    return [
        Check(
            "cognito-user-creation",
            "unknown" if quota is None else f"{quota:g} UserCreation requests/s (account, region)",
            f"{per_second:.2f} AdminCreateUser/s at peak",
            None if quota is None else per_second <= quota,
            "TooManyRequestsException: provision retries the batch, then the dead-letter queue; "
            "every pool of the account and region shares the rate",
            0.0,
        ),
        Check(
            "cognito-pool-users",
            f"{USERS_PER_POOL:,} users per pool"
            + ("" if existing is None else f", about {existing:,} in it"),
            f"{users:,.0f} pool users",
            None if left is None else users <= left,
            "AdminCreateUser refused: provision retries, then the dead-letter queue; "
            "`onramp cleanup` removes a run's pool users",
            None if left is None else _seconds_until(max(left, 0), per_second),
        ),
    ]


def _configuration(limits: AccountLimits) -> list[Check]:
    checks = [
        Check(
            f"{name.lower()}-set",
            f"{name} parameter",
            "an address someone reads",
            bool(limits.parameter(name)),
            f"{what} go to an SNS topic with no subscriber: nobody hears of them",
            capacity=False,
        )
        for name, what in (("AlarmEmail", "alarms"), ("BudgetEmail", "budget alerts"))
    ]
    tags = limits.cost_tags
    for tag in COST_TAGS:
        status = None if tags is None else tags.get(tag, "absent")
        checks.append(
            Check(
                f"cost-tag {tag}",
                "active cost-allocation tag",
                "unknown (ListCostAllocationTags refused)" if status is None else status,
                None if status is None else status == "Active",
                "Budgets and Cost Explorer ignore an inactive tag: a stack-tag budget sees $0",
                capacity=False,
            )
        )
    return checks


def _seconds_until(allowance: float, per_second: float) -> float:
    return math.inf if per_second <= 0 else allowance / per_second


def report_text(plan: PlannedLoad, report: PreflightReport) -> str:
    """The checks as a table, then the verdict and what breaks first."""
    rows = [("check", "limit", "needed", "verdict")]
    rows += [(c.name, c.limit, c.needed, c.verdict) for c in report.checks]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    for check in report.failed:
        lines.append(f"{check.name}: {check.when_hit}")
    first = report.first_to_break
    total = f"{plan.rate:g}/s for {plan.duration_s:g} s"
    if report.fits:
        lines.append(f"fits: {total} stays within every limit that could be checked")
    elif first is not None:
        lines.append(f"does not fit: {total}; first to break: {first.name} {_at(first)}")
    return "\n".join(lines)


def _at(check: Check) -> str:
    seconds = check.breaks_after_s or 0.0
    return "from the first request" if seconds <= 0 else f"after about {seconds:,.0f} s"
