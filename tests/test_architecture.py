"""The layers point one way: a module imports only from its own group or from a lower layer.

The import graph is read from the source (every ``import``/``from`` statement, function-level
ones included), so an upward import anywhere fails here, with the file and the arrow named.
docs/architecture.md's code map is the prose of LAYERS.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = {
    REPO: ("kernel", "costmodel", "loadtest", "onramp"),
    REPO / "stack" / "src": ("onboarding",),
}

# Low to high. Groups in one layer are peers: they must not import each other, except the pairs
# in PEERS. A module belongs to the group that is the longest prefix of its name.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("onboarding", "onboarding.domain"),
    ("onboarding.adapters",),
    ("onboarding.handlers",),
    ("kernel",),
    ("costmodel", "costmodel.measurement", "costmodel.pricing", "loadtest"),
    ("costmodel.forecast",),
    ("onramp", "onramp.local", "onramp.staging", "onramp.verify"),
    ("onramp.reports", "onramp.demo", "onramp.replay_dlq", "onramp.console"),
    ("onramp.bench",),
    ("onramp.cli",),
    ("onramp.__main__",),
)
PEERS = {
    frozenset({"onramp.reports", "onramp.demo"}),
    frozenset({"onramp.console", "onramp.replay_dlq"}),
    frozenset({"onramp.console", "onramp.demo"}),
}
"""report.html renders a demo's outcome, and the demo writes its report: one feature. The
console's replay is replay-dlq's own code; the demo serves the console while it runs."""
LAMBDA_PACKAGE = "onboarding"
"""Deployed alone (SAM CodeUri): it imports none of the other packages."""

RANK = {group: rank for rank, layer in enumerate(LAYERS) for group in layer}


def source_modules() -> dict[str, Path]:
    """Every module of the packages, by dotted name."""
    found: dict[str, Path] = {}
    for root, packages in ROOTS.items():
        for package in packages:
            for path in (root / package).rglob("*.py"):
                parts = list(path.relative_to(root).with_suffix("").parts)
                if parts[-1] == "__init__":
                    parts.pop()
                found[".".join(parts)] = path
    return found


def imported_names(path: Path, module: str) -> set[str]:
    """Dotted names ``path`` imports (``from a import b`` gives ``a`` and ``a.b``)."""
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_edges(modules: dict[str, Path]) -> set[tuple[str, str]]:
    """(importer, imported) between our own modules."""
    edges = set()
    for module, path in modules.items():
        for name in imported_names(path, module):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                edges.add((module, name))
    return edges


def group_of(module: str) -> str | None:
    """The longest LAYERS group that is ``module`` or a package above it."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in RANK:
            return candidate
    return None


def violation(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported`` (None when it may)."""
    low, high = group_of(importer), group_of(imported)
    assert low and high, f"{importer} or {imported} has no layer in LAYERS"
    if (importer.split(".")[0] == LAMBDA_PACKAGE) != (imported.split(".")[0] == LAMBDA_PACKAGE):
        if importer.split(".")[0] == LAMBDA_PACKAGE:
            return f"the Lambda package imports {imported}"
        return None  # the application may load the Lambda code (bench, embedded runtime)
    if low == high or frozenset({low, high}) in PEERS:
        return None
    if RANK[high] > RANK[low]:
        return f"{low} (layer {RANK[low]}) imports the higher {high} (layer {RANK[high]})"
    if RANK[high] == RANK[low]:
        return f"{low} imports its peer {high}"
    return None


MODULES = source_modules()
EDGES = import_edges(MODULES)


def test_every_module_has_a_layer() -> None:
    assert [m for m in sorted(MODULES) if group_of(m) is None] == []


def test_no_import_points_up() -> None:
    wrong = [
        f"{MODULES[a].relative_to(REPO)}: {why}"
        for a, b in sorted(EDGES)
        if (why := violation(a, b))
    ]
    assert wrong == []


def test_the_graph_is_read_from_the_source() -> None:
    """The scan sees real arrows (so an empty result above means something)."""
    assert ("onramp.cli.demo", "onramp.demo") in EDGES
    assert ("costmodel.forecast.scenario", "costmodel.pricing.engine") in EDGES
    assert ("onboarding.handlers.register", "onboarding.adapters.users") in EDGES


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("costmodel.pricing.engine", "onramp.local.stack"),
        ("loadtest.runner", "onramp.staging.collector"),
        ("costmodel.pricing.usage", "costmodel.forecast.scenario"),
        ("loadtest.runner", "costmodel.pricing.engine"),
        ("onboarding.domain.status", "onboarding.adapters.users"),
        ("onboarding.handlers.register", "kernel.errors"),
        ("onramp.local.stack", "onramp.staging.collector"),
        ("kernel.errors", "costmodel.measurement"),
    ],
)
def test_an_upward_or_sideways_import_is_caught(importer: str, imported: str) -> None:
    assert violation(importer, imported) is not None
