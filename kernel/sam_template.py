"""Read stack/template.yaml: the single source of truth for the embedded stack and cost model.

Short-form intrinsics (``!Ref``, ``!Sub``...) are loaded in their long form (``{"Ref": ...}``).
``Resolver`` evaluates the intrinsics the pipeline uses against local names.

Example::

    template = load_template()
    for fn in functions(template):
        print(fn.key, fn.memory_mb, fn.architecture)
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cfn_flip
import yaml

from kernel.errors import UsageError

STACK_DIR = Path(__file__).resolve().parents[1] / "stack"
DEFAULT_TEMPLATE = STACK_DIR / "template.yaml"

_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
_SUB_LITERAL = re.compile(r"\$\{!([^}]*)\}")
"""``${!Literal}`` in Fn::Sub: written as ``${Literal}`` (e.g. an IAM policy variable)."""


@dataclass(frozen=True)
class FunctionSpec:
    """One AWS::Serverless::Function with Globals merged in (intrinsics left unresolved)."""

    logical_id: str
    handler: str
    code_dir: Path
    runtime: str
    memory_mb: int
    timeout_s: int
    architecture: str
    environment: dict[str, Any]
    events: dict[str, Any]
    condition: str | None = None
    properties: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        """The short name used in measurements and bills: ``RegisterFunction`` -> ``register``."""
        return self.logical_id.removesuffix("Function").lower()


def load_template(path: Path | str = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """Load a SAM/CloudFormation YAML or JSON template, intrinsics in long form.

    Parsing is most of the work (~0.2 s for stack/template.yaml) and a run reads the template
    several times (cost facts, alarms, the embedded stack): each version of a file (its path,
    size and modification time) is parsed once, and every caller gets its own copy.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise UsageError(f"cannot read template {path}: {exc.strerror}") from exc
    return copy.deepcopy(_parsed(path, path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=32)
def _parsed(path: Path, _resolved: Path, _mtime_ns: int, _size: int) -> dict[str, Any]:
    """The template at ``path`` parsed (cached on the resolved path, mtime and size)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read template {path}: {exc.strerror}") from exc
    try:
        data = cfn_flip.load_yaml(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"template {path} is not valid YAML: {_one_line(exc)}") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("Resources"), Mapping):
        raise UsageError(f"template {path} has no Resources section")
    plain: dict[str, Any] = _plain(data)
    return plain


def _one_line(exc: yaml.YAMLError) -> str:
    """The YAML parser's problem and position on one line (its own message spans several)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def resources_of_type(template: Mapping[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    """All resources of one CloudFormation/SAM type, by logical id."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == type_name
    }


def functions(template: Mapping[str, Any], template_dir: Path = STACK_DIR) -> list[FunctionSpec]:
    """Every AWS::Serverless::Function, with the template's Globals.Function merged in."""
    defaults = template.get("Globals", {}).get("Function", {})
    specs = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        props = {**defaults, **resource.get("Properties", {})}
        env = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        specs.append(
            FunctionSpec(
                logical_id=logical_id,
                handler=props["Handler"],
                code_dir=(template_dir / props.get("CodeUri", ".")).resolve(),
                runtime=props.get("Runtime", ""),
                memory_mb=int(props.get("MemorySize", 128)),
                timeout_s=int(props.get("Timeout", 3)),
                architecture=(props.get("Architectures") or ["x86_64"])[0],
                environment=env,
                events=props.get("Events", {}),
                condition=resource.get("Condition"),
                properties=props,
            )
        )
    return specs


def parameter_defaults(template: Mapping[str, Any]) -> dict[str, Any]:
    """The Default of every template parameter that has one."""
    return {
        name: spec["Default"]
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }


LOCAL_STACK_UUID = "00000000-0000-4000-8000-000000000000"
"""The UUID part of ``AWS::StackId`` locally (CloudFormation makes a new one per stack)."""


class Resolver:
    """Evaluates Ref, GetAtt, Sub, Join, Select, Split, If and condition functions to plain
    values.

    ``refs`` maps a logical id or parameter name to its Ref value; ``attributes`` maps
    ``"LogicalId.Attr"`` to a GetAtt value. Pseudo parameters come from ``region``/``account``
    and ``stack_name`` (``AWS::StackId`` carries :data:`LOCAL_STACK_UUID`).
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        refs: Mapping[str, Any],
        attributes: Mapping[str, Any] | None = None,
        region: str = "us-east-1",
        account: str = "123456789012",
        stack_name: str = "onramp-local",
    ) -> None:
        self._template = template
        self._refs: dict[str, Any] = {
            **parameter_defaults(template),
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::StackName": stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/{LOCAL_STACK_UUID}"
            ),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
            **refs,
        }
        self._attributes = dict(attributes or {})
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": lambda a: self.resolve(a[0]).join(str(self.resolve(x)) for x in a[1]),
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
            "Fn::If": self._if,
            "Fn::Equals": lambda a: self.resolve(a[0]) == self.resolve(a[1]),
            "Fn::Not": lambda a: not self.resolve(a[0]),
            "Fn::And": lambda a: all(self.resolve(x) for x in a),
            "Fn::Or": lambda a: any(self.resolve(x) for x in a),
            "Condition": self.condition,
        }

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic inside ``value`` (dicts and lists walked recursively)."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((name, arg),) = value.items()
                if name in self._functions:
                    return self._functions[name](arg)
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def condition(self, name: str) -> bool:
        """Evaluate one named condition of the template."""
        return bool(self.resolve(self._template.get("Conditions", {})[name]))

    def _ref(self, name: str) -> Any:
        if name not in self._refs:
            raise KeyError(f"no local value for Ref {name}")
        return self._refs[name]

    def _get_att(self, arg: Any) -> Any:
        key = ".".join(arg) if isinstance(arg, list) else str(arg)
        if key not in self._attributes:
            raise KeyError(f"no local value for GetAtt {key}")
        return self._attributes[key]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.resolve(v) for k, v in variables.items()}

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self._get_att(name))
            return str(self._ref(name))

        return _SUB_LITERAL.sub(r"${\1}", _SUB_VAR.sub(lookup, text))

    def _if(self, arg: list[Any]) -> Any:
        return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])


def _plain(value: Any) -> Any:
    """Ordered dicts from cfn_flip to plain dicts and lists, recursively."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
