"""`onramp bench`: speed and cost efficiency measured side by side on this machine.

One module per benchmark (cost_efficiency, cold_start, warm_overhead, pipeline, montecarlo,
soak), each returning a :class:`onramp.bench.result.BenchResult`; report.py writes them to
docs/benchmarks.md; cli.py is the sub-command.
"""
