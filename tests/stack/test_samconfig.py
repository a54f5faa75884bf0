"""stack/samconfig.toml: a staging environment whose overrides name real template parameters."""

from __future__ import annotations

import shlex
import tomllib
from typing import Any

import pytest

from kernel.sam_template import STACK_DIR


@pytest.fixture(scope="module")
def samconfig() -> dict[str, Any]:
    with (STACK_DIR / "samconfig.toml").open("rb") as handle:
        return tomllib.load(handle)


def overrides(deploy: dict[str, Any]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in deploy["parameter_overrides"])


ENVIRONMENTS = [("default", "onramp-dev"), ("staging", "onramp-staging")]


@pytest.mark.parametrize(("env", "stack_name"), ENVIRONMENTS)
def test_environment_deploys_with_known_parameters(
    samconfig: dict[str, Any], sam_template: dict[str, Any], env: str, stack_name: str
) -> None:
    assert samconfig["version"] == 0.1
    assert samconfig[env]["global"]["parameters"]["stack_name"] == stack_name
    deploy = samconfig[env]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    values = overrides(deploy)
    assert set(values) <= set(sam_template["Parameters"])
    for name, value in values.items():
        allowed = sam_template["Parameters"][name].get("AllowedValues")
        assert allowed is None or value in [str(a) for a in allowed], name
    tags = dict(tag.split("=", 1) for tag in shlex.split(deploy["tags"]))
    assert tags == {"onramp:stack": stack_name, "onramp:stage": values["Stage"]}
