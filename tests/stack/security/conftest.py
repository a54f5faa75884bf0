"""Fixtures of the security tests: the SAM template, translated offline as `sam deploy` would.

The translation helper is tests/stack/conftest.py's (loaded by path: one translator setup).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from kernel.sam_template import DEFAULT_TEMPLATE, load_template

REPO = Path(__file__).resolve().parents[3]


def _stack_conftest() -> Any:
    spec = importlib.util.spec_from_file_location(
        "stack_template_fixtures", REPO / "tests" / "stack" / "conftest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sam_template() -> dict[str, Any]:
    """stack/template.yaml, intrinsics in long form."""
    return load_template(DEFAULT_TEMPLATE)


@pytest.fixture(scope="module")
def translated_resources(sam_template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The translated template's resources (every condition kept)."""
    translated = _stack_conftest().translate(sam_template, {"SenderEmail": "welcome@example.com"})
    return translated["Resources"]
