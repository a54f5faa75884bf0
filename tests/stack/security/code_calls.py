"""What the Lambda code really calls on AWS, read from its source (stack/src/onboarding).

Each module is parsed; every function (methods included, nested functions counted with their
parent) records the boto3 operations it calls (``client("svc").op(...)``), the settings it
reads (``config.x()`` -> the environment variable ``config.x`` reads) and the names it
calls. A handler's calls are those of the functions reachable from its module.

Calls are resolved by name over the package: ``users.update_status(...)`` reaches every
function named ``update_status``. Method names shared with the built-in containers (``get``,
``update``, ``pop``...) are not followed, since ``headers.get(...)`` is far more common than
an adapter's ``get``; an adapter method with such a name is then reported as unused.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import botocore.session
from botocore import xform_name

CONTAINER_METHODS = frozenset(
    name for kind in (dict, list, set, str, bytes) for name in dir(kind) if not name.startswith("_")
)


@dataclass
class FunctionFacts:
    """What one function (or method) does: AWS operations, settings read, names called."""

    unit: str  # the class for a method (its methods share their settings), else the function
    operations: set[tuple[str, str]] = field(default_factory=set)
    settings: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class AwsCall:
    """An IAM action the code needs, and the settings (environment variables) naming its
    resource: those read by the same class or function."""

    action: str
    settings: frozenset[str]


def iam_action(service: str, operation: str) -> str:
    """``("dynamodb", "put_item")`` -> ``dynamodb:PutItem`` (IAM prefix and operation name
    from botocore's service model, e.g. SES's endpoint is ``email`` but its prefix ``ses``)."""
    model = botocore.session.get_session().get_service_model(service)
    names = {xform_name(name): name for name in model.operation_names}
    prefix = model.metadata.get("signingName") or model.metadata["endpointPrefix"]
    return f"{prefix}:{names[operation]}"


def setting_readers(config_module: Path) -> dict[str, str]:
    """``config`` function name -> the environment variable it reads."""
    readers = {}
    for node in ast.parse(config_module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant)
                    and isinstance(inner.args[0].value, str)
                    and inner.args[0].value.isupper()
                ):
                    readers[node.name] = inner.args[0].value
                    break
    return readers


def _client_operation(call: ast.Call) -> tuple[str, str] | None:
    func = call.func
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Call):
        return None
    inner = func.value
    if (
        isinstance(inner.func, ast.Name)
        and inner.func.id == "client"
        and inner.args
        and isinstance(inner.args[0], ast.Constant)
    ):
        return str(inner.args[0].value), func.attr
    return None


def _facts(body: ast.AST, unit: str, readers: dict[str, str]) -> FunctionFacts:
    facts = FunctionFacts(unit)
    for node in ast.walk(body):
        if not isinstance(node, ast.Call):
            continue
        operation = _client_operation(node)
        if operation:
            facts.operations.add(operation)
        func = node.func
        if isinstance(func, ast.Name):
            facts.calls.add(func.id)
        elif isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name) and func.value.id == "config":
                if func.attr in readers:
                    facts.settings.add(readers[func.attr])
            elif func.attr not in CONTAINER_METHODS:
                facts.calls.add(func.attr)
    return facts


def _definitions(tree: ast.Module) -> Iterator[tuple[str, str, ast.AST]]:
    """(name, unit, node) of every top-level function, class method and class."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    name = node.name if item.name == "__init__" else item.name
                    yield name, node.name, item


@dataclass
class PackageCalls:
    """Every function of a package, by module, and the AWS calls reachable from a module."""

    functions: dict[str, dict[str, list[FunctionFacts]]]  # module -> name -> facts

    @classmethod
    def read(cls, package_dir: Path) -> PackageCalls:
        """Parse every module of ``package_dir`` and its sub-packages, by module name (unique
        across them); settings come from its ``config.py``."""
        readers = setting_readers(next(package_dir.rglob("config.py")))
        functions: dict[str, dict[str, list[FunctionFacts]]] = {}
        for path in sorted(package_dir.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            by_name = functions.setdefault(path.stem, {})
            for name, unit, node in _definitions(tree):
                by_name.setdefault(name, []).append(_facts(node, f"{path.stem}.{unit}", readers))
            top_level = ast.Module(
                body=[n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)],
                type_ignores=[],
            )
            by_name.setdefault("<module>", []).append(
                _facts(top_level, f"{path.stem}.<module>", readers)
            )
        return cls(functions)

    def reachable(self, module: str) -> list[FunctionFacts]:
        """Every function reachable from ``module``'s own functions and top-level code."""
        by_name: dict[str, list[FunctionFacts]] = {}
        for names in self.functions.values():
            for name, facts in names.items():
                by_name.setdefault(name, []).extend(facts)
        todo = [facts for group in self.functions[module].values() for facts in group]
        seen: list[FunctionFacts] = []
        while todo:
            facts = todo.pop()
            if any(facts is known for known in seen):
                continue
            seen.append(facts)
            todo.extend(f for name in facts.calls for f in by_name.get(name, []))
        return seen

    def aws_calls(self, module: str) -> set[AwsCall]:
        """The IAM actions ``module``'s handler needs, each with its unit's settings."""
        reachable = self.reachable(module)
        settings: dict[str, set[str]] = {}
        for facts in reachable:
            settings.setdefault(facts.unit, set()).update(facts.settings)
        return {
            AwsCall(iam_action(service, operation), frozenset(settings[facts.unit]))
            for facts in reachable
            for service, operation in facts.operations
        }
