"""openapi/onramp-api.yaml describes the handler exactly: the request body's properties,
types, required flags and length bounds equal the register model's and validation's, the
error body is RequestRejected's, and the body size bound is register's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from onboarding.domain import validation
from onboarding.domain.model import RegistrationRequest, RequestRejected
from onboarding.domain.status import Status
from onboarding.handlers.register import MAX_BODY_BYTES
from openapi_spec_validator import validate

OPENAPI = Path(__file__).resolve().parents[2] / "openapi" / "onramp-api.yaml"
MAX_CHARS = {
    "email": validation.EMAIL_MAX_CHARS,
    "name": validation.NAME_MAX_CHARS,
    "phone": validation.PHONE_MAX_CHARS,
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


def test_the_description_is_valid_openapi_3(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_request_schema_equals_the_model(spec: dict[str, Any]) -> None:
    documented = spec["components"]["schemas"]["RegistrationRequest"]
    model = RegistrationRequest.model_json_schema()
    assert documented["type"] == model["type"] == "object"
    assert documented["additionalProperties"] is False
    assert RegistrationRequest.model_config["extra"] == "forbid"
    assert sorted(documented["required"]) == sorted(model["required"])
    assert set(documented["properties"]) == set(model["properties"]) == set(MAX_CHARS)
    for name, prop in documented["properties"].items():
        assert prop["type"] == model["properties"][name]["type"], name
        assert prop["minLength"] == 1, name  # screen_text: "must not be empty"
        assert prop["maxLength"] == MAX_CHARS[name], name


def test_length_bounds_are_the_ones_the_handler_enforces(spec: dict[str, Any]) -> None:
    """Control: one character over a documented maxLength is refused by the screening."""
    props = spec["components"]["schemas"]["RegistrationRequest"]["properties"]
    for name, prop in props.items():
        with pytest.raises(validation.InvalidField):
            validation.screen_text(name, "a" * (prop["maxLength"] + 1), MAX_CHARS[name])
        validation.screen_text(name, "a" * prop["maxLength"], MAX_CHARS[name])


def test_error_schema_is_the_rejection_body(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"]
    body = RequestRejected(400, "email", "is required").as_body()
    assert set(error["required"]) == set(error["properties"]) == set(body)
    assert all(error["properties"][key]["type"] == "string" for key in body)


def test_responses_cover_every_status_the_handler_answers(spec: dict[str, Any]) -> None:
    operation = spec["paths"]["/register"]["post"]
    assert {"202", "400", "413", "415", "429"} <= set(operation["responses"])
    assert "409" not in operation["responses"]  # a registered address gets a new one's 202
    accepted = spec["components"]["schemas"]["RegistrationAccepted"]
    # always pending: the stored status would tell a registered address from a new one
    assert accepted["properties"]["status"]["enum"] == [str(Status.PENDING)]
    over = operation["responses"]["429"]["content"]["application/json"]["schema"]["oneOf"]
    assert {"$ref": "#/components/schemas/Error"} in over
    rejected = spec["components"]["responses"]["Rejected"]["description"]
    assert f"{MAX_BODY_BYTES} bytes" in rejected
