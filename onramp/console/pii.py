"""Mask what identifies a person (email, name, phone) before the console shows an event.

The handlers never log these in clear (they log the ``user_id``, a pseudonymous hash); the
events they receive carry them, so the console masks them the same way wherever they appear:
a key named ``email``, ``to``, ``name`` or ``phone`` (a plain value, a list of them, or
DynamoDB's ``{"S": ...}``),
inside a JSON string such as an API event's ``body`` too.

Example::

    masked({"body": '{"email": "ada@example.com", "name": "Ada", "phone": "+14155550100"}'})
    # {"body": '{"email": "a***@example.com", "name": "A***", "phone": "***00"}'}
"""

from __future__ import annotations

import json
from typing import Any

PII_KEYS = frozenset({"email", "to", "name", "phone"})  # "to": an email's recipients


def mask(key: str, value: str) -> str:
    """The masked form of one PII value: first letter (and the email's domain), or the last
    two digits of a phone number."""
    if key in ("email", "to"):
        local, at, domain = value.partition("@")
        return f"{local[:1]}***@{domain}" if at else "***"
    if key == "phone":
        return f"***{value[-2:]}" if len(value) > 4 else "***"
    return f"{value[:1]}***" if value else ""


def masked(value: Any, key: str = "") -> Any:
    """A copy of ``value`` (JSON-like) with every PII value masked."""
    if isinstance(value, dict):
        if key in PII_KEYS and set(value) == {"S"} and isinstance(value["S"], str):
            return {"S": mask(key, value["S"])}
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    if isinstance(value, str):
        if key in PII_KEYS:
            return mask(key, value)
        if value.startswith(("{", "[")):
            try:
                return json.dumps(masked(json.loads(value)))
            except ValueError:
                return value
    return value
