"""One user's path through the pipeline, as data and as text: the item, its audit trail, each
invocation that touched it, the welcome email, any dead letter, and what happens next.

``build`` joins what the views gathered (pure: no AWS call); ``text`` is the terminal's
rendering of it (``onramp status --user``); ``next_step`` says where the user stands.

Example::

    timeline = build(item, audit, touches, email, dead_letters, now=time.time())
    timeline["next"]      # "waiting for provision" | "failed: domain_not_allowed" | ...
    print(text(timeline))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from onramp.console.pii import masked
from onramp.local.metering.traces import Touch

STUCK_AFTER_S = 300.0
NEXT_FUNCTION = {"pending": "enrich", "processing": "provision"}


def build(
    item: dict[str, Any],
    audit: Sequence[dict[str, Any]],
    touches: Sequence[Touch],
    email: dict[str, Any] | None,
    dead_letters: Sequence[dict[str, Any]],
    now: float,
) -> dict[str, Any]:
    """The timeline of one user (PII masked)."""
    return {
        "user_id": item.get("user_id"),
        "user": masked(item),
        "audit": [
            {k: entry.get(k) for k in ("status", "reason", "at", "correlation_id")}
            for entry in sorted(audit, key=lambda e: str(e.get("at", "")))
        ],
        "invocations": [_invocation(touch) for touch in touches],
        "email": None if email is None else masked(email),
        "dead_letters": list(dead_letters),
        "next": next_step(item, dead_letters, now),
    }


def next_step(item: dict[str, Any], dead_letters: Sequence[dict[str, Any]], now: float) -> str:
    """Where the user stands: done, failed (why), dead-lettered, waiting or stuck."""
    status = str(item.get("status", ""))
    if status == "completed":
        return "done: completed (welcome email sent)"
    if status == "failed":
        return f"failed: {item.get('failure_reason') or 'no reason recorded'} (final)"
    function = NEXT_FUNCTION.get(status)
    if function is None:
        return f"unknown status {status!r}"
    if dead_letters:
        return (
            f"dead-lettered at {dead_letters[-1]['function']}: replay it (onramp replay-dlq, "
            "or the console's dead-letter view)"
        )
    waited = now - changed_at(item)
    if waited > STUCK_AFTER_S:
        return f"stuck in {status} for {waited / 60:.0f} min (waiting for {function})"
    return f"waiting for {function}"


def changed_at(item: dict[str, Any]) -> float:
    """Epoch seconds of the item's last change (``updated_at``, else ``created_at``; 0: none)."""
    stamp = str(item.get("updated_at") or item.get("created_at") or "")
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return 0.0


def text(timeline: dict[str, Any]) -> str:
    """The timeline for a terminal: a few aligned sections."""
    user = timeline["user"]
    lines = [
        f"user {timeline['user_id']}  status {user.get('status')}"
        + (f" ({user['failure_reason']})" if user.get("failure_reason") else ""),
        f"  email {user.get('email')}  created {user.get('created_at')}"
        + (f"  updated {user['updated_at']}" if user.get("updated_at") else ""),
        f"  item {json.dumps(user, sort_keys=True, default=str)}",
        "audit trail:",
    ]
    lines += [
        f"  {e['at']}  {e['status']}" + (f" ({e['reason']})" if e.get("reason") else "")
        for e in timeline["audit"]
    ] or ["  (none)"]
    lines.append("invocations (function, attempt, duration, outcome):")
    lines += [
        f"  {i['started_at']}  {i['function']:<9} attempt {i['attempt']}  "
        f"{i['duration_ms']:>8.1f} ms  {i['outcome']}"
        + (f" {i['error_type']}" if i["error_type"] else "")
        + f"  -> {i['result']}"
        + (f"  (seq {i['sequence_number']})" if i["sequence_number"] else "")
        + (f"  (cold start, INIT {i['init_ms']:.0f} ms)" if i["cold_start"] else "")
        for i in timeline["invocations"]
    ] or ["  (none recorded)"]
    email = timeline["email"]
    lines.append(
        "welcome email: "
        + (
            f"{email.get('sent_at') or '(time not recorded)'}  message id {email['message_id']}"
            if email
            else "none"
        )
    )
    lines.append(f"dead letters: {len(timeline['dead_letters'])}")
    lines += [
        f"  {d['function']} batch {d['shard']} {d['first']}..{d['last']}: {d['condition']}"
        for d in timeline["dead_letters"]
    ]
    lines.append(f"next: {timeline['next']}")
    return "\n".join(lines)


def _invocation(touch: Touch) -> dict[str, Any]:
    row = asdict(touch)
    row["started_at"] = _iso(touch.started_at)
    row["event"] = masked(row.pop("record"))
    row["log_lines"] = list(touch.log_lines)  # as the logs hold them: no PII (user_id only)
    return row


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
