"""The examples in the onboarding modules' docstrings are true."""

import doctest
import importlib

import pytest

MODULES = [
    "onboarding.status",
    "onboarding.email_claim",
    "onboarding.validation",
    "onboarding.identity",
    "onboarding.enrichment",
    "onboarding.lookup",
    "onboarding.model",
    "onboarding.dynamo",
    "onboarding.observability",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
