"""The examples in the onboarding modules' docstrings are true."""

import doctest
import importlib

import pytest

MODULES = [
    "onboarding.domain.status",
    "onboarding.domain.email_claim",
    "onboarding.domain.validation",
    "onboarding.domain.identity",
    "onboarding.domain.enrichment",
    "onboarding.adapters.lookup",
    "onboarding.domain.model",
    "onboarding.adapters.dynamo",
    "onboarding.adapters.observability",
    "onboarding.adapters.accounts",
    "onboarding.domain.lake",
    "onboarding.domain.notice",
    "onboarding.domain.redrive",
    "onboarding.domain.source_limit",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
