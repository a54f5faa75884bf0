"""The ``POST /register`` request model and its parsing into a 4xx-ready error (no AWS imports).

The body must be a JSON object with exactly ``email``, ``name`` and ``phone``, all strings
(no coercion, no extra fields, no repeated keys); then :func:`validation.screen_registration`
checks lengths, control characters, email syntax and the phone format. Every problem is a
:class:`RequestRejected` naming the field (``body`` when the body as a whole is wrong).
"""

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from onboarding.domain.validation import Email, InvalidField, screen_registration


class RequestRejected(Exception):
    """A request the API answers with ``status`` and ``{"error": message, "field": field}``
    (plus ``headers``, e.g. ``Retry-After``)."""

    def __init__(
        self, status: int, field: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.status = status
        self.field = field
        self.message = message
        self.headers = headers or {}

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


REPLACEMENT_CHARACTER = "\ufffd"


def _decode_json(body: bytes) -> Any:
    """The body as JSON; every malformed body is a 400 naming it, never a 500.

    U+FFFD is what a text body's undecodable bytes become on their way into the event (a
    JSON event cannot carry them), so it is refused like invalid UTF-8: no registration has
    a reason to contain it. Nesting deep enough to exhaust the parser's recursion and
    integers over Python's 4,300-digit conversion limit are refused as well, and so is an
    unpaired ``\\uD800``-``\\uDFFF`` escape (valid JSON syntax, but no text: RFC 8259 section 8.2;
    DynamoDB stores only UTF-8 strings).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestRejected(400, "body", "is not valid UTF-8") from None
    if REPLACEMENT_CHARACTER in text:
        raise RequestRejected(400, "body", "is not valid UTF-8 (it holds U+FFFD)") from None
    try:
        data = json.loads(text, object_pairs_hook=_reject_repeated_keys)
    except json.JSONDecodeError as error:
        raise RequestRejected(400, "body", f"is not valid JSON ({error.msg})") from None
    except RecursionError:
        raise RequestRejected(400, "body", "is nested too deeply") from None
    except ValueError:  # an integer over sys.get_int_max_str_digits() (4,300 by default)
        raise RequestRejected(400, "body", "holds an integer of over 4,300 digits") from None
    if "\\u" not in text:  # only a \u escape can carry half a surrogate pair
        return data
    try:  # a \ud800-\udfff escape without its pair decodes to no Unicode text at all
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise RequestRejected(400, "body", "holds an unpaired surrogate escape") from None
    return data


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
