"""A full local run (register -> enrich -> provision on the embedded stack) logs no email,
phone or name in clear: handlers log the pseudonymous user_id instead."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import pytest

from onramp.local.registrations import post_registration
from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration

REGIONS = ("GB", "US", "DE", "FR", "JP", "BR", "IN", "AU", "ZA", "SE")
USERS = [
    {
        "email": f"Quinta.Zephyrine{index}@Pii-Probe.example.com",
        "name": f"Quinta Zephyrine {chr(65 + index)}",
        "phone": phonenumbers.format_number(
            phonenumbers.example_number(REGIONS[index % len(REGIONS)]),
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        ),
    }
    for index in range(20)
]


@pytest.fixture(scope="module")
def handler_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[dict]]]:
    """Every handler's log output of a run of USERS, and the final user items."""
    path: Path = tmp_path_factory.mktemp("pii") / "handlers.log"
    with path.open("w", encoding="utf-8") as log, EmbeddedStack(handler_log=log) as stack:
        for user in USERS:
            assert post_registration(stack.api_url, json.dumps(user).encode()) in (202, 409)
        assert stack.wait_until_drained(timeout=60)
        users = stack.users()
    return path.read_text(encoding="utf-8"), users


def forms(user: dict[str, str]) -> set[str]:
    """The ways a user's personal data could appear: as sent, normalised, or partly."""
    phone = phonenumbers.parse(user["phone"])
    e164 = phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.E164)
    local_part = user["email"].split("@")[0]
    return {
        user["email"],
        user["email"].lower(),
        local_part,
        local_part.lower(),
        user["name"],
        user["phone"],
        e164,
        e164.lstrip("+"),  # the national number alone can be as short as "123456789"
    }


def test_the_run_completed_and_was_logged(handler_log: tuple[str, list[dict]]) -> None:
    text, users = handler_log
    assert len(users) == len(USERS)
    assert {u["status"] for u in users} == {"completed"}
    assert all(u["user_id"] in text for u in users), "logs must name users by their user_id"


def test_no_email_phone_or_name_in_clear(handler_log: tuple[str, list[dict]]) -> None:
    text, _ = handler_log
    lowered = text.lower()
    leaks = sorted(form for user in USERS for form in forms(user) if form.lower() in lowered)
    assert leaks == []
