"""The console's JSON admin views and ``onramp status --user/--stuck`` on the real stack:
pages, filters and search, one user's timeline, the mailbox with user ids and times, JSON
errors naming the problem, loopback only."""

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from onramp.cli import main
from onramp.console.views import routes
from onramp.local.registrations import post_registration
from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration

VALID = [f"user{n}@example.com" for n in range(5)]
REFUSED = ["mallory@blocked.example"]  # not on the allow-list: failed / domain_not_allowed


def get(stack: EmbeddedStack, path: str, host: str = "") -> tuple[int, dict, dict]:
    request = urllib.request.Request(stack.api_url + "/_onramp/" + path)
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _lower(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers), json.loads(error.read())


def _lower(headers) -> dict:
    return {name.lower(): value for name, value in headers.items()}


@pytest.fixture(scope="module")
def stack():
    with EmbeddedStack(
        parameters={"AllowedEmailDomains": "example.com"}, console=routes
    ) as running:
        for email in VALID + REFUSED:
            body = {"email": email, "name": "Test User", "phone": "+14155550100"}
            assert post_registration(running.api_url, json.dumps(body).encode()) == 202
        assert running.wait_until_drained(60)
        yield running


@pytest.fixture(scope="module")
def stuck_user(stack):
    """A user left in processing an hour ago (no stream filter admits its INSERT)."""
    old = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="milliseconds")
    stack.client("dynamodb").put_item(
        TableName=stack.resources.table_names["UsersTable"],
        Item={
            "user_id": {"S": "stuck-0001"},
            "status": {"S": "processing"},
            "email": {"S": "stuck@example.com"},
            "created_at": {"S": old},
            "updated_at": {"S": old},
        },
    )
    return "stuck-0001"


def test_a_page_counts_the_table_and_filters_it(stack):
    status, _, page = get(stack, "users")
    assert status == 200
    assert page["total"] == 6
    assert page["by_status"] == {"completed": 5, "failed": 1}
    assert page["by_reason"] == {"domain_not_allowed": 1}
    assert {u["email"] for u in page["users"]} >= {"u***@example.com", "m***@blocked.example"}
    _, _, failed = get(stack, "users?status=failed&reason=domain_not_allowed")
    assert [u["email"] for u in failed["users"]] == ["m***@blocked.example"]
    assert failed["matched"] == 1 and failed["total"] == 6


def test_pages_are_disjoint_newest_first_and_search_finds_by_email_or_id(stack):
    first = get(stack, "users?limit=2")[2]["users"]
    second = get(stack, "users?limit=2&offset=2")[2]["users"]
    assert len(first) == len(second) == 2
    assert not {u["user_id"] for u in first} & {u["user_id"] for u in second}
    assert first[0]["created_at"] >= first[1]["created_at"] >= second[0]["created_at"]
    (found,) = get(stack, "users?q=user3@example")[2]["users"]
    assert get(stack, f"users?user_id={found['user_id']}")[2]["users"] == [found]
    assert get(stack, f"users?q={found['user_id'][:8]}")[2]["matched"] >= 1


def test_a_user_timeline_by_id_or_email(stack):
    _, _, by_email = get(stack, "users/user1@example.com")
    status, _, timeline = get(stack, f"users/{by_email['user_id']}")
    assert status == 200 and timeline == {**by_email, "next": timeline["next"]}
    assert [i["function"] for i in timeline["invocations"]] == ["register", "enrich", "provision"]
    assert all(i["attempt"] == 1 and i["outcome"] == "ok" for i in timeline["invocations"])
    assert [a["status"] for a in timeline["audit"]] == ["pending", "processing", "completed"]
    assert timeline["email"]["message_id"] == timeline["user"]["welcome_email"]["message_id"]
    assert timeline["next"].startswith("done: completed")
    assert "user1@example.com" not in json.dumps(timeline)  # masked everywhere
    assert timeline["invocations"][1]["event"]["dynamodb"]["NewImage"]["email"] == {
        "S": "u***@example.com"
    }
    refused = get(stack, "users/mallory@blocked.example")[2]
    assert refused["next"] == "failed: domain_not_allowed (final)"
    assert [i["function"] for i in refused["invocations"]] == ["register", "enrich"]


def test_the_mailbox_names_each_emails_user_and_time(stack):
    _, _, page = get(stack, "emails")
    assert page["total"] == page["matched"] == 5
    users = {u["user_id"]: u for u in get(stack, "users?status=completed")[2]["users"]}
    for email in page["emails"]:
        assert email["user_id"] in users
        assert email["message_id"] == email["recorded_message_id"]
        assert datetime.fromisoformat(email["sent_at"]) <= datetime.now(UTC)
        assert email["subject"] == "Welcome aboard" and "Hello Test User" in email["body"]
    one = next(iter(users))
    (mine,) = get(stack, f"emails?user_id={one}")[2]["emails"]
    assert mine["user_id"] == one


def test_counters_count_what_the_run_did(stack):
    _, _, counters = get(stack, "counters")
    assert counters["accepted"] == 6 and counters["emails"] == 5 and counters["dead_letters"] == 0
    assert counters["functions"]["enrich"]["invocations"] >= 1
    assert counters["functions"]["provision"]["p99_ms"] > 0


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("users/nobody-like-this", 404, "no user nobody-like-this in the Users table"),
        ("users/ghost@example.com", 404, "no user with email ghost@example.com"),
        ("users?limit=ten", 400, "limit: must be an integer, not 'ten'"),
        ("users?limit=100000", 400, "limit: must be between 0 and 500"),
        ("users?offset=-1", 400, "offset: must be 0 or more"),
        ("users?colour=red", 400, "unknown query parameter 'colour'"),
        ("users?status=failed&status=completed", 400, "'status' given more than once"),
        ("users?older_than=soon", 400, "older_than: 'soon' is not a duration"),
        ("emails?user_id=nobody-like-this", 404, "no user nobody-like-this"),
        ("emails/x", 404, "no view emails/x"),
        ("console/secret.py", 404, "no console file 'secret.py'"),
    ],
)
def test_bad_requests_get_json_naming_the_problem(stack, path, status, message):
    answered, headers, body = get(stack, path)
    assert (answered, headers["content-type"]) == (status, "application/json")
    assert message in body["message"]


def test_the_console_and_its_views_answer_loopback_only(stack):
    for path in ("", "users", "users/user1@example.com", "emails", "counters", "dlq"):
        status, _, body = get(stack, path, host="evil.example")
        assert status == 403, path
        assert "loopback Host only" in body["message"]
    request = urllib.request.Request(
        stack.api_url + "/_onramp/dlq/replay", data=b"{}", method="POST"
    )
    request.add_header("content-type", "application/json")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403  # no X-Onramp-Admin header: a form cannot replay


def test_the_page_ships_with_its_files_and_a_strict_policy(stack):
    with urllib.request.urlopen(stack.console_url, timeout=10) as response:
        page = response.read().decode()
        policy = response.headers["content-security-policy"]
    assert "/_onramp/console/console.js" in page and "<script>" not in page
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    with urllib.request.urlopen(stack.console_url + "console/console.js", timeout=10) as script:
        assert script.headers["content-type"].startswith("text/javascript")


def test_status_user_prints_the_timeline(stack, capsys):
    assert main(["status", "--url", stack.api_url, "--user", "user2@example.com"]) == 0
    out = capsys.readouterr().out
    assert "status completed" in out and "u***@example.com" in out
    for line in ("register  attempt 1", "enrich    attempt 1", "provision attempt 1"):
        assert line in out
    assert "welcome email: 20" in out and "next: done: completed" in out
    assert main(["status", "--url", stack.api_url, "--user", "nobody-like-this"]) == 2
    assert "--user: Not Found: no user nobody-like-this" in capsys.readouterr().err


def test_status_stuck_lists_users_waiting_past_the_bound(stack, stuck_user, capsys):
    assert main(["status", "--url", stack.api_url, "--stuck"]) == 0
    out = capsys.readouterr().out
    assert "1 user(s) pending or processing for more than 5m" in out
    assert f"{stuck_user}  processing  for 60 min (waiting for provision)" in out
    assert main(["status", "--url", stack.api_url, "--stuck", "--older-than", "2h"]) == 0
    assert "0 user(s)" in capsys.readouterr().out
    timeline = get(stack, f"users/{stuck_user}")[2]
    assert timeline["next"] == "stuck in processing for 60 min (waiting for provision)"
    assert main(["status", "--url", stack.api_url, "--stuck", "--older-than", "5 min"]) == 2
    assert "--older-than: '5 min' is not a duration" in capsys.readouterr().err
