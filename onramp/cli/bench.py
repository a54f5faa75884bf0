"""`onramp bench`: run the benchmarks side by side and write docs/benchmarks.md.

Example::

    onramp bench                       # all but the soak (about 5 minutes): docs/benchmarks.md
    onramp bench --quick               # every size shrunk, a smoke run: runs/bench.md
    onramp bench --only soak --soak-duration 10m     # `make soak`: runs/bench.md
    onramp bench --only peer           # against MiniStack (installs it in .venv-ministack)
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from kernel.errors import UsageError
from loadtest.units import parse_duration_s
from onramp.bench import (
    cold_start,
    cost_efficiency,
    montecarlo,
    pipeline,
    profile,
    soak,
    warm_overhead,
)
from onramp.bench.peer import compare as peer
from onramp.bench.report import console_text, write_report
from onramp.bench.result import BenchResult

DEFAULT_OUT = Path("docs/benchmarks.md")
PARTIAL_OUT = Path("runs/bench.md")
"""Where a --quick or --only run reports unless --out is given: it never replaces the
published figures of a full run."""
DEFAULT_BENCHMARKS = ("cost", "cold", "warm", "pipeline", "montecarlo")
ALL_BENCHMARKS = (*DEFAULT_BENCHMARKS, "soak", "peer", "profile")
"""soak, peer and profile are opt-in (``--only``): the peer installs MiniStack and takes
minutes; the profile writes py-spy's stacks under --runs/profile."""


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark runs."""

    demo_s: float = 20.0
    demo_rate: float = 10.0
    import_repetitions: int = 7
    warm_iterations: int = 2000
    pipeline_rates: tuple[float, ...] = pipeline.RATES
    pipeline_s: float = 15.0
    simulations: int = montecarlo.MILLION
    loop_simulations: int = 20_000
    soak_s: float = 600.0
    peer_sizes: peer.PeerSizes = field(default_factory=peer.PeerSizes)
    profile_rate: float = 20.0
    profile_s: float = 20.0


QUICK = Sizes(
    demo_s=4.0,
    demo_rate=5.0,
    import_repetitions=1,
    warm_iterations=100,
    pipeline_rates=(5.0,),
    pipeline_s=3.0,
    simulations=20_000,
    loop_simulations=500,
    soak_s=20.0,
    peer_sizes=peer.PeerSizes(seconds=3.0, rounds=1, put_items=50),
    profile_rate=5.0,
    profile_s=3.0,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``onramp bench``."""
    parser = subparsers.add_parser("bench", help="benchmarks: cost and speed as ratios")
    parser.add_argument("--quick", action="store_true", help="shrink every size (smoke run)")
    parser.add_argument(
        "--only",
        help=f"comma-separated subset of {','.join(ALL_BENCHMARKS)} (default: all but soak)",
    )
    parser.add_argument("--soak", action="store_true", help="also run the soak")
    parser.add_argument("--soak-duration", help="soak length (default 10m; quick 20s)")
    parser.add_argument("--soak-rate", help="soak rate (default: highest sustained by pipeline)")
    parser.add_argument("--rates", help="pipeline rates, comma-separated (default 5,20,50)")
    parser.add_argument("--peer-seconds", help="peer: seconds of load per run (default 15)")
    parser.add_argument("--peer-rounds", help="peer: rounds, the order flipped each (default 2)")
    parser.add_argument("--runs", default="runs", help="root of the demo/Locust run folders")
    parser.add_argument(
        "--out", help=f"report file (default {DEFAULT_OUT}; {PARTIAL_OUT} for --quick/--only)"
    )
    parser.set_defaults(func=run)


def selected(only: str | None, soak_too: bool) -> tuple[str, ...]:
    """The benchmarks to run, in report order; UsageError names an unknown one."""
    if only is None:
        return (*DEFAULT_BENCHMARKS, "soak") if soak_too else DEFAULT_BENCHMARKS
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in ALL_BENCHMARKS]
    if unknown or not names:
        raise UsageError(
            f"--only: unknown benchmark {', '.join(unknown) or repr(only)} "
            f"(choose from {', '.join(ALL_BENCHMARKS)})"
        )
    return tuple(name for name in ALL_BENCHMARKS if name in names or (soak_too and name == "soak"))


def _positive(text: str, flag: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{flag}: expected a positive number, got {text!r}") from None
    if value <= 0:
        raise UsageError(f"{flag}: expected a positive number, got {text!r}")
    return value


def sizes_from_args(args: argparse.Namespace) -> Sizes:
    """The sizes for ``--quick`` or the full run, with the flags' overrides."""
    sizes = QUICK if args.quick else Sizes()
    overrides: dict[str, object] = {}
    if args.rates:
        overrides["pipeline_rates"] = tuple(
            _positive(rate, "--rates") for rate in args.rates.split(",")
        )
    if args.soak_duration:
        overrides["soak_s"] = parse_duration_s(args.soak_duration, "--soak-duration")
    if args.peer_seconds or args.peer_rounds:
        peer_sizes = sizes.peer_sizes
        if args.peer_seconds:
            peer_sizes = replace(peer_sizes, seconds=_positive(args.peer_seconds, "--peer-seconds"))
        if args.peer_rounds:
            rounds = _positive(args.peer_rounds, "--peer-rounds")
            if rounds != int(rounds):
                raise UsageError(
                    f"--peer-rounds: expected a whole number, got {args.peer_rounds!r}"
                )
            peer_sizes = replace(peer_sizes, rounds=int(rounds))
        overrides["peer_sizes"] = peer_sizes
    return Sizes(**{**sizes.__dict__, **overrides})


def run(args: argparse.Namespace) -> int:
    """Run the selected benchmarks, print each, write the report; 1 if the soak lost data."""
    names = selected(args.only, args.soak)
    sizes = sizes_from_args(args)
    soak_rate = _positive(args.soak_rate, "--soak-rate") if args.soak_rate else None
    runs, out = Path(args.runs), report_path(args)
    results: list[BenchResult] = []
    benchmarks: dict[str, Callable[[], BenchResult]] = {
        "cost": lambda: cost_efficiency.run(sizes.demo_s, sizes.demo_rate, runs),
        "cold": lambda: cold_start.run(sizes.import_repetitions),
        "warm": lambda: warm_overhead.run(sizes.warm_iterations),
        "pipeline": lambda: pipeline.run(sizes.pipeline_rates, sizes.pipeline_s),
        "montecarlo": lambda: montecarlo.run(sizes.simulations, sizes.loop_simulations),
        "soak": lambda: soak.run(soak_rate or _sustained_rate(results, sizes), sizes.soak_s, runs),
        "peer": lambda: peer.run(sizes.peer_sizes),
        "profile": lambda: profile.run(sizes.profile_rate, sizes.profile_s, runs / "profile"),
    }
    for name in names:
        print(f"== {name} ...", file=sys.stderr, flush=True)
        results.append(benchmarks[name]())
        print(console_text(results[-1]), flush=True)
    print(f"\nreport: {write_report(results, out, command_line(args))}")
    soak_failed = any(r.name == "soak" and not r.figures[0].met for r in results)
    return 1 if soak_failed else 0


def report_path(args: argparse.Namespace) -> Path:
    """--out, else docs/benchmarks.md for a full run and runs/bench.md for a partial one."""
    if args.out:
        return Path(args.out)
    return PARTIAL_OUT if args.quick or args.only else DEFAULT_OUT


VALUE_FLAGS = ("only", "soak_duration", "soak_rate", "rates", "peer_seconds", "peer_rounds")


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (flags left at their defaults omitted)."""
    parts = ["onramp", "bench"] + (["--quick"] if args.quick else [])
    parts += ["--soak"] if args.soak else []
    for name in VALUE_FLAGS:
        if getattr(args, name):
            parts += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    if args.out:
        parts += ["--out", str(args.out)]
    return shlex.join(parts)


def _sustained_rate(results: list[BenchResult], sizes: Sizes) -> float:
    """The highest rate the pipeline benchmark sustained (running it first if needed)."""
    done = [r for r in results if r.name == "pipeline"]
    if not done:
        print("== pipeline (to find the soak rate) ...", file=sys.stderr, flush=True)
        done = [pipeline.run(sizes.pipeline_rates, sizes.pipeline_s)]
        results.append(done[0])
    rate = pipeline.highest_sustained_rate(done[0].raw["runs"])
    if rate is None:
        raise UsageError("--soak-rate: the pipeline sustained none of --rates; give a rate")
    return rate
