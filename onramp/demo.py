"""`onramp demo`: load the embedded pipeline, verify it, measure it, price it, report it.

1. start the embedded stack (moto server, local HTTP API, stream pumps);
2. run Locust against it (a subprocess) with the standard payload mix;
3. drain, then verify every accepted registration ended well and nothing was sent twice;
4. write measurement.json, invocations.csv and metrics.csv (the handlers' EMF values) into
   the Locust run directory;
5. price the measurement (cost per 1,000, monthly at several volumes, break-even);
6. judge every alarm of the template on the run (:mod:`onramp.alarms`);
7. write report.html and summary.json, and return the outcome for the summary table.

The verdict is ``ok`` only when nothing was lost or sent twice and no alarm of the template
would have fired (a breach on an indicative p99 is shown, not failed; an alarm the user
allowed with ``--allow-alarm`` is listed, not failed).

Example::

    outcome = run_demo(DemoOptions(duration_s=10, rate=10))
    outcome.ok, outcome.run_dir / "report.html"
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from costmodel.forecast.breakeven import BreakEven, breakeven
from costmodel.forecast.scenario import (
    DEFAULT_SIGN_IN_SHARE,
    Estimate,
    Scenario,
    estimate,
    load_scenario,
)
from costmodel.measurement import Measurement, json_value, write_measurement
from kernel.sam_template import DEFAULT_TEMPLATE
from loadtest.payloads import DEFAULT_EMAIL_DOMAINS, DEFAULT_MIX_TEXT
from loadtest.progress import ConsoleProgress
from loadtest.results import LoadResult
from loadtest.runner import run_locust
from onramp.alarms import (
    INDICATIVE_BELOW,
    METRIC_COLUMNS,
    METRICS_CSV,
    AlarmCheck,
    dimensions_text,
    judge_alarms,
    read_metrics,
)
from onramp.console.views import routes as console_routes
from onramp.local.aws.ses_account import AccountProfile
from onramp.local.faults.plan import FaultPlan
from onramp.local.metering.recorder import Window
from onramp.local.runtime.invoker import Invocation
from onramp.local.stack import EmbeddedStack
from onramp.local.streams.timing import StreamTiming
from onramp.reports.load_analysis import (
    INVOCATIONS_CSV,
    duration_alarm_ms,
    duration_summary,
    read_invocations,
)
from onramp.verify import Verification, verify_run

VOLUMES = (1_000, 10_000, 100_000, 1_000_000)
"""Monthly onboardings the demo prices the measured run at."""
MEASUREMENT_JSON = "measurement.json"
SUMMARY_JSON = "summary.json"
LOCAL_PARAMETERS = {"AllowedEmailDomains": ",".join(DEFAULT_EMAIL_DOMAINS)}
"""The load mix's valid domains are allowed; its ``disallowed_domain`` share fails enrichment."""


@dataclass(frozen=True)
class DemoOptions:
    """Everything `onramp demo` lets a user override."""

    duration_s: float = 60.0
    rate: float = 20.0
    users_per_month: int = 1_000
    budget: Decimal | None = None
    free_tier: str = "always-free"
    sign_in_share: Decimal | float = DEFAULT_SIGN_IN_SHARE
    region: str | None = None
    out: Path = Path("runs")
    run_dir: Path | None = None
    mix: str = DEFAULT_MIX_TEXT
    template: Path = DEFAULT_TEMPLATE
    drain_timeout_s: float = 120.0
    allowed_alarms: tuple[str, ...] = ()
    """Alarms known to breach on this run: listed in the summary, not failing the verdict."""
    faults: FaultPlan | None = None
    """Faults injected into the embedded stack (docs/faults.md)."""
    account: AccountProfile = field(default_factory=AccountProfile)
    recipients: str = "domains"
    stream_timing: StreamTiming | None = None
    """The stream pumps' pace (None: ``ONRAMP_STREAM_TIMING``, else aws)."""


@dataclass
class DemoOutcome:
    """What the demo found: the verdict, the priced figures and the alarm check."""

    run_dir: Path
    drained: bool
    verification: Verification
    load: LoadResult
    measurement: Measurement
    scenario: Scenario
    estimates: dict[int, Estimate]
    headline: Estimate
    breakeven: BreakEven
    alarm_ms: float
    alarm_rows: list[dict[str, Any]]
    invocations: pd.DataFrame
    """invocations.csv as read once, for the alarm check and the report's ECDFs."""
    alarm_checks: list[AlarmCheck] = field(default_factory=list)
    allowed_alarms: tuple[str, ...] = ()
    files: list[Path] = field(default_factory=list)
    account: str = AccountProfile().describe()
    """The account profile the embedded AWS played (``--account``)."""
    limits_hit: dict[str, int] = field(default_factory=dict)
    """SES sends the account profile refused, by limit."""

    @property
    def lossless(self) -> bool:
        """True when the pipeline drained and lost or duplicated nothing."""
        return self.drained and self.verification.ok

    @property
    def firing(self) -> list[AlarmCheck]:
        """Alarms of the template that would have fired on this run and were not allowed."""
        return [c for c in self.alarm_checks if c.fires and c.alarm not in self.allowed_alarms]

    @property
    def ok(self) -> bool:
        """True when nothing was lost or sent twice and no (unallowed) alarm would fire."""
        return self.lossless and not self.firing

    @property
    def problems(self) -> list[str]:
        """Every reason the run is not ok, one line each."""
        lines = [] if self.drained else ["the pipeline did not drain in time"]
        alarms = [
            f"alarm {c.alarm} would fire: {c.value:g} against {c.threshold:g} "
            f"({c.samples} samples; {c.description})"
            for c in self.firing
        ]
        return lines + self.verification.problems + alarms

    @property
    def indicative(self) -> list[AlarmCheck]:
        """Breaches on too few samples to judge: reported, not failed."""
        return [c for c in self.alarm_checks if c.indicative and c.breached and not c.fires]


def stack_parameters(options: DemoOptions) -> dict[str, str]:
    """The template parameters of the embedded stack. The mailbox simulator is a sign-up
    domain in the staging stage only: a simulator run plays staging."""
    staging = {"Stage": "staging"} if options.recipients == "simulator" else {}
    return {**LOCAL_PARAMETERS, **staging}


def run_demo(options: DemoOptions, stream: TextIO | None = None) -> DemoOutcome:
    """Run the whole job; see the module docstring. Returns the outcome (never raises on loss).

    Progress goes to ``stream`` (default: the current sys.stderr).
    """
    stream = stream or sys.stderr
    with EmbeddedStack(
        template_path=options.template,
        parameters=stack_parameters(options),
        account=options.account,
        faults=options.faults,
        console=console_routes,
        stream_timing=options.stream_timing,
    ) as stack:
        print(f"embedded stack up: {stack.api_url} (console: {stack.console_url})", file=stream)
        started = datetime.now(UTC)
        progress = ConsoleProgress(stream)
        load = run_locust(
            stack.api_url,
            rate=options.rate,
            duration_s=options.duration_s,
            out_dir=options.out,
            run_dir=options.run_dir,
            progress=progress,
            mix=options.mix,
            env_extra={"ONRAMP_RECIPIENTS": options.recipients},
        )
        progress.finish()
        print("load finished; draining the pipeline ...", file=stream)
        drained = stack.wait_until_drained(timeout=options.drain_timeout_s)
        ended = datetime.now(UTC)
        verification = verify_run(
            load.accepted_ids(), stack.users(), stack.sent_emails(), stack.dead_letters()
        )
        limits_hit = stack.ses_refusals()
        run_dir = load.run_dir
        measurement = stack.measurement(run_dir.name, (started, ended))
        write_measurement(measurement, run_dir / MEASUREMENT_JSON)
        invocations = stack.recorder.invocations(Window(started.timestamp(), ended.timestamp()))
        write_invocations_csv(invocations, run_dir / INVOCATIONS_CSV)
        write_metrics_csv(invocations, run_dir / METRICS_CSV)
    return price_run(run_dir, options, drained, verification, load, measurement, limits_hit)


def price_run(
    run_dir: Path,
    options: DemoOptions,
    drained: bool,
    verification: Verification,
    load: LoadResult,
    measurement: Measurement,
    limits_hit: dict[str, int] | None = None,
) -> DemoOutcome:
    """Price a recorded run with the cost model and judge the template's alarms on it."""
    scenario = load_scenario(
        run_dir / MEASUREMENT_JSON,
        template=options.template,
        region=options.region,
        free_tier=options.free_tier,
        sign_in_share=options.sign_in_share,
    )
    alarm_ms = duration_alarm_ms(options.template)
    invocations = read_invocations(run_dir)
    outcome = DemoOutcome(
        run_dir=run_dir,
        drained=drained,
        verification=verification,
        load=load,
        measurement=measurement,
        scenario=scenario,
        estimates={n: estimate(n, scenario) for n in VOLUMES},
        headline=estimate(options.users_per_month, scenario),
        breakeven=breakeven(scenario, options.budget),
        alarm_ms=alarm_ms,
        alarm_rows=with_margin(duration_summary(invocations, alarm_ms), alarm_ms),
        invocations=invocations,
        alarm_checks=judge_alarms(
            options.template,
            invocations,
            read_metrics(run_dir),
            verification.dead_letters,
            stack_parameters(options),
        ),
        allowed_alarms=options.allowed_alarms,
        account=options.account.describe(),
        limits_hit=dict(limits_hit or {}),
    )
    outcome.files.append(write_summary(outcome, run_dir / SUMMARY_JSON))
    return outcome


def with_margin(rows: list[dict[str, Any]], alarm_ms: float) -> list[dict[str, Any]]:
    """Add each function's headroom under the alarm threshold (negative: over it), and whether
    its p99 is only indicative (fewer than INDICATIVE_BELOW invocations)."""
    return [
        {
            **row,
            "margin_ms": round(alarm_ms - row["p99_ms"], 2),
            "indicative": row["invocations"] < INDICATIVE_BELOW,
        }
        for row in rows
    ]


def count_text(value: int | None) -> str:
    """A break-even volume for people: ``895,338``, or never within the search limit."""
    return "never (within the search limit)" if value is None else f"{value:,}"


def sign_in_text(outcome: DemoOutcome) -> str:
    """What the Cognito line of the bill assumes (shown beside the table and break-even)."""
    plan = outcome.scenario.stack.user_pool_plan or "none"
    share = outcome.scenario.per.sign_in_share
    return (
        f"sign-in (Cognito {plan} plan): every onboarding is an MAU in its month "
        f"(AdminCreateUser); sign-in share {share:.0%} of earlier users a month "
        "(a month's volume alone has none; `onramp cost project` adds them)"
    )


def write_invocations_csv(invocations: list[Invocation], path: Path) -> Path:
    """One row per invocation: the columns onramp.reports.load_analysis reads."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "function",
                "start",
                "duration_ms",
                "billed_ms",
                "init_ms",
                "cold_start",
                "outcome",
                "batch_size",
            ]
        )
        for i in invocations:
            start = datetime.fromtimestamp(i.started_at, UTC).isoformat(timespec="milliseconds")
            writer.writerow(
                [
                    i.function,
                    start,
                    f"{i.duration_ms:.3f}",
                    i.billed_ms,
                    f"{i.init_ms:.3f}",
                    str(i.cold_start).lower(),
                    i.outcome,
                    i.batch_size,
                ]
            )
    return path


def write_metrics_csv(invocations: list[Invocation], path: Path) -> Path:
    """One row per EMF value the handlers emitted, stamped with its invocation's start."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(METRIC_COLUMNS)
        for i in invocations:
            start = datetime.fromtimestamp(i.started_at, UTC).isoformat(timespec="milliseconds")
            for series in i.metrics:
                dimensions = dimensions_text(series.dimensions)
                for value in series.values:
                    writer.writerow(
                        [i.function, start, series.namespace, series.name, dimensions, value]
                    )
    return path


def summary(outcome: DemoOutcome) -> dict[str, Any]:
    """The run's headline figures as plain JSON values (amounts as decimal strings)."""
    m = outcome.measurement
    return {
        "run_id": outcome.run_dir.name,
        "ok": outcome.ok,
        "lossless": outcome.lossless,
        "problems": outcome.problems,
        "alarms": [
            {**c.row(), "allowed": c.alarm in outcome.allowed_alarms} for c in outcome.alarm_checks
        ],
        "alarms_firing": [c.alarm for c in outcome.firing],
        "alarms_indicative": [c.alarm for c in outcome.indicative],
        "verification": outcome.verification.to_dict(),
        "load": {
            "requests": outcome.load.aggregated.requests,
            "failures": outcome.load.aggregated.failures,
            "rps": outcome.load.aggregated.rps,
        },
        "onboardings": json_value(m.onboardings),
        "per_onboarding": m.per_onboarding().to_dict(),
        "free_tier": outcome.scenario.free_tier,
        "sign_in_share": float(outcome.scenario.per.sign_in_share),
        "user_pool_plan": outcome.scenario.stack.user_pool_plan,
        "region": outcome.scenario.region,
        "headline": outcome.headline.summary(),
        "monthly": {str(n): e.summary() for n, e in outcome.estimates.items()},
        "breakeven": outcome.breakeven.to_dict(),
        "duration_alarm_ms": outcome.alarm_ms,
        "duration_alarm": outcome.alarm_rows,
        "account": {"profile": outcome.account, "limits_hit": outcome.limits_hit},
    }


def write_summary(outcome: DemoOutcome, path: Path) -> Path:
    """summary.json beside measurement.json."""
    path.write_text(json.dumps(summary(outcome), indent=2, default=str) + "\n", encoding="utf-8")
    return path
