"""Shared fixtures for the SAM template checks: the template, and its offline translation."""

from __future__ import annotations

import copy
import os
from typing import Any
from unittest.mock import patch

import pytest

from kernel.sam_template import DEFAULT_TEMPLATE, load_template

# What `sam package` puts in place of the local CodeUri: the translator wants an S3 URI.
PACKAGED_CODE_URI = "s3://onramp-artifacts/onboarding.zip"


class NoManagedPolicies:
    """ManagedPolicyLoader stand-in: the template uses no managed policy names (only inline
    policies), so the translator must never need IAM to look one up."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Translate the SAM template to plain CloudFormation offline, as `sam deploy` would."""
    from samtranslator.translator.transform import transform

    packaged = copy.deepcopy(template)
    packaged["Globals"]["Function"]["CodeUri"] = PACKAGED_CODE_URI
    with patch.dict(os.environ, {"AWS_DEFAULT_REGION": "us-east-1"}):  # the translator needs one
        return transform(packaged, parameters, NoManagedPolicies())


@pytest.fixture(scope="session")
def sam_template() -> dict[str, Any]:
    """stack/template.yaml, intrinsics in long form."""
    return load_template(DEFAULT_TEMPLATE)


@pytest.fixture(scope="session")
def translated(sam_template: dict[str, Any]) -> dict[str, Any]:
    """The translated CloudFormation template (every condition kept, SenderEmail set)."""
    return translate(sam_template, {"SenderEmail": "welcome@example.com"})


@pytest.fixture(scope="session")
def resources(translated: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Translated resources by logical id."""
    return translated["Resources"]
