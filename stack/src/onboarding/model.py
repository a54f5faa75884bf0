"""The ``POST /register`` request model and its parsing into a 4xx-ready error (no AWS imports).

The body must be a JSON object with exactly ``email``, ``name`` and ``phone``, all strings
(no coercion, no extra fields, no repeated keys); then :func:`validation.screen_registration`
checks lengths, control characters, email syntax and the phone format. Every problem is a
:class:`RequestRejected` naming the field (``body`` when the body as a whole is wrong).
"""

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from onboarding.validation import Email, InvalidField, screen_registration


class RequestRejected(Exception):
    """A request the API answers with ``status`` and ``{"error": message, "field": field}``."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.status = status
        self.field = field
        self.message = message

    def as_body(self) -> dict[str, str]:
        """The JSON error body."""
        return {"error": str(self), "field": self.field}


class RegistrationRequest(BaseModel):
    """The registration body: strictly these three strings."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    email: str
    name: str
    phone: str


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not an allowed field",
    "string_type": "must be a string",
}


def _reject_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise RequestRejected(400, key, "appears more than once")
        seen[key] = value
    return seen


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=_reject_repeated_keys)
    except UnicodeDecodeError:
        raise RequestRejected(400, "body", "is not valid UTF-8") from None
    except json.JSONDecodeError as error:
        raise RequestRejected(400, "body", f"is not valid JSON ({error.msg})") from None


def parse_registration(body: bytes) -> tuple[RegistrationRequest, Email]:
    """Parse and screen a registration body; returns the request and its normalised email.

    >>> body = b'{"email": "ada@example.com", "name": "Ada", "phone": "+12025550143"}'
    >>> parse_registration(body)[1].domain
    'example.com'
    """
    data = _decode_json(body)
    if not isinstance(data, dict):
        raise RequestRejected(400, "body", "must be a JSON object")
    try:
        request = RegistrationRequest.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "body"
        raise RequestRejected(400, field, _MESSAGES.get(first["type"], first["msg"])) from None
    try:
        email = screen_registration(request.email, request.name, request.phone)
    except InvalidField as error:
        raise RequestRejected(400, error.field, error.message) from None
    return request, email
