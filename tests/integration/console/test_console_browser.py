"""The console in headless Chromium (Debian's package, driven by Playwright): it loads, a
registration made in its form appears in the users table and reaches ``completed``, its
timeline shows the three functions and the one email; a user dead-lettered by a fault is
re-driven once by the dead-letter view's replay.

``ONRAMP_CONSOLE_SHOTS=<dir>`` also saves screenshots of each view at 1400 and 800 px.
"""

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from onramp.console.views import routes
from onramp.local.faults.plan import FaultPlan
from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration

CHROMIUM = Path(os.environ.get("ONRAMP_CHROMIUM", "/usr/bin/chromium"))
# Every enrich UpdateItem fails until the plan is cleared: the batch exhausts its retries
# (MaximumRetryAttempts 3) and goes to the OnFailure queue (tests/integration/faults).
ENRICH_FAULT = (
    "aws-error:function=enrich,service=dynamodb,operation=UpdateItem,"
    "code=InternalServerError,status=500"
)
WAIT_MS = 60_000
SHOTS = os.environ.get("ONRAMP_CONSOLE_SHOTS")


@pytest.fixture(scope="module")
def stack():
    with EmbeddedStack(faults=FaultPlan.parse([ENRICH_FAULT]), console=routes) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM}: no Chromium (make test installs Debian's chromium package)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    opened = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    opened.close()
    assert errors == [], f"the console's script failed: {errors}"


def register(page: Page, stack: EmbeddedStack, email: str, name: str) -> str:
    """Sign up through the console's form; the user id the API answered."""
    page.goto(stack.console_url + "#register")
    page.fill("#register-form input[name=email]", email)
    page.fill("#register-form input[name=name]", name)
    page.fill("#register-form input[name=phone]", "+14155550100")
    page.click("#register-form button[type=submit]")
    link = page.locator("#registered-link")
    expect(link).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#register-reply")).to_contain_text("HTTP 202")
    return link.get_attribute("href").removeprefix("#user/")


def test_dead_letter_replay_redrives_the_user_once(stack, page):
    user_id = register(page, stack, "grace@example.com", "Grace Hopper")
    deadline = time.time() + WAIT_MS / 1000
    while not stack.dead_letters() and time.time() < deadline:
        time.sleep(0.2)
    assert stack.dead_letters(), "the fault should dead-letter the user's enrich batch"
    stack.faults.clear()
    enrich_before = len(
        [t for t in stack.recorder.traces.touches(user_id) if t.function == "enrich"]
    )
    assert enrich_before == 4  # 1 + MaximumRetryAttempts 3

    page.goto(stack.console_url + "#dlq")
    row = page.locator("#dlq-table tbody tr", has=page.locator(f"a[href='#user/{user_id}']"))
    expect(row).to_contain_text("would-replay", timeout=WAIT_MS)
    expect(page.locator("#counters [data-counter='dead letters'] .value")).to_have_text("1")
    for url in stack.resources.queue_urls.values():  # the listing read the queue in place
        hidden = stack.client("sqs").get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
        assert hidden == "0"
    shoot(page, "dlq")
    page.click("#replay")
    expect(page.locator("#replay-done")).to_contain_text(
        "settled 1 dead-letter message(s), kept 0", timeout=WAIT_MS
    )
    expect(page.locator("#dlq-table tbody")).to_contain_text("empty", timeout=WAIT_MS)
    shoot(page, "dlq-replayed")

    page.goto(stack.console_url + f"#user/{user_id}")
    expect(page.locator("#timeline h2 .badge")).to_have_text("completed", timeout=WAIT_MS)
    expect(page.locator("#timeline [data-email]")).to_have_count(1, timeout=WAIT_MS)
    enrich = page.locator("details.invocation[data-function=enrich]")
    expect(enrich).to_have_count(enrich_before + 1)  # the replay invoked enrich once
    assert len([m for m in stack.sent_emails() if m["to"] == ["grace@example.com"]]) == 1
    assert stack.dead_letters() == []


def test_a_registration_from_the_form_is_followed_to_its_email(stack, page):
    stack.faults.clear()  # (the replay test may not have run first)
    user_id = register(page, stack, "ada@example.com", "Ada Lovelace")
    shoot(page, "register")

    page.goto(stack.console_url + "#users")
    page.fill("#user-filters input[name=q]", "ada@")
    page.click("#user-filters button[type=submit]")
    row = page.locator(f"#users-table tr[data-user='{user_id}']")
    expect(row).to_be_visible(timeout=WAIT_MS)
    expect(row.locator(".badge")).to_have_text("completed", timeout=WAIT_MS)
    expect(row).to_contain_text("a***@example.com")  # masked as the logs would
    expect(page.locator("#counters [data-counter='completed'] .value")).not_to_have_text("0")
    page.fill("#user-filters input[name=q]", "")
    page.click("#user-filters button[type=submit]")
    shoot(page, "users")

    row.locator("a").click()
    timeline = page.locator("#timeline")
    expect(timeline.locator("h2 .badge")).to_have_text("completed", timeout=WAIT_MS)
    for function in ("register", "enrich", "provision"):
        expect(timeline.locator(f"details.invocation[data-function={function}]")).to_have_count(1)
    expect(timeline.locator("[data-email]")).to_have_count(1)
    expect(timeline.locator("[data-next]")).to_contain_text("done: completed")
    timeline.locator("details.invocation[data-function=enrich] summary").click()
    event = timeline.locator("details.invocation[data-function=enrich] pre.json")
    expect(event).to_contain_text('"eventName": "INSERT"')
    expect(event).to_contain_text("a***@example.com")
    expect(event).not_to_contain_text("ada@example.com")
    expect(timeline.locator("details.invocation[data-function=enrich] pre.log")).to_contain_text(
        user_id
    )
    shoot(page, "timeline")

    page.goto(stack.console_url + f"#mailbox/{user_id}")
    email = page.locator("#mailbox article.email")
    expect(email).to_have_count(1, timeout=WAIT_MS)
    expect(email.locator("pre.email-text")).to_contain_text("Hello Ada Lovelace")
    shoot(page, "mailbox")


def test_an_email_body_is_never_run_as_html(stack, page):
    """A body with markup is shown in a sandboxed frame (no script runs, no same origin)."""
    page.goto(stack.console_url + "#users")
    page.evaluate(
        """() => {
            window.ran = false;
            const probe = document.createElement("div");
            probe.id = "probe";
            document.body.append(probe);
            probe.append(renderBody('<p>hi</p><img src=x onerror="parent.ran = true">'
                + '<script>parent.ran = true</script>'));
        }"""
    )
    frame = page.locator("#probe iframe.email-html")
    expect(frame).to_have_attribute("sandbox", "")
    page.wait_for_timeout(500)
    assert page.evaluate("window.ran") is False


def shoot(page: Page, name: str) -> None:
    """Screenshots of the page as it is, at 1400 and 800 px wide (only with SHOTS set)."""
    if not SHOTS:
        return
    for width in (1400, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})
