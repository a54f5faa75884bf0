"""Post-deploy smoke test: one user through the whole pipeline and into its own space.

Registers a user on an address of SES's mailbox simulator (``success+<label>@
simulator.amazonses.com``: SES accepts and discards it, counts no bounce, and it works in
the SES sandbox), waits until the user is ``completed``, signs in through the user pool,
exchanges the ID token for identity-pool credentials, writes and reads an object under its
own prefix, checks that another user's prefix is denied, then deletes what it created.

The simulator's mailbox cannot be read, so the temporary password of the welcome email is
replaced by the operator (``AdminSetUserPassword``, permanent) before signing in; the rest
is the user's own path. Audit rows stay: the audit table denies deletes to every principal
(its TTL removes them).

Example::

    report = run_smoke(target)          # a SmokeTarget from stack outputs or the embedded stack
    print(report.text()); report.ok
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

SIMULATOR_DOMAIN = "simulator.amazonses.com"
ClientFactory = Callable[[str], Any]


@dataclass(frozen=True)
class SmokeTarget:
    """Where the stack is and how to reach it.

    ``operator`` makes clients with the operator's credentials; ``endpoint_url`` is where the
    user's own S3 client goes (None: AWS). ``check_denial`` False where IAM is not enforced.
    """

    api_url: str
    users_table: str
    bucket: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str
    region: str
    operator: ClientFactory
    endpoint_url: str | None = None
    check_denial: bool = True
    timeout_s: float = 120.0


@dataclass
class SmokeReport:
    """One line per step: name, ``ok`` / ``FAILED`` / ``skipped``, detail."""

    steps: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no step failed."""
        return all(outcome != "FAILED" for _, outcome, _ in self.steps)

    def add(self, name: str, outcome: str, detail: str = "") -> None:
        """Record one step."""
        self.steps.append((name, outcome, detail))

    def text(self) -> str:
        """The report as printed by ``onramp smoke``."""
        width = max((len(name) for name, _, _ in self.steps), default=0)
        lines = [
            f"{name:<{width}}  {outcome:<7} {detail}".rstrip()
            for name, outcome, detail in self.steps
        ]
        verdict = "smoke: ok" if self.ok else "smoke: FAILED"
        return "\n".join([*lines, verdict])


SIMULATOR_HINT = (
    " (the stack's allow-list lacks the SES mailbox simulator's domain: it is allowed in the"
    " staging stage only, deploy with Stage=staging)"
)


class SmokeFailed(RuntimeError):
    """A step that later steps depend on failed (already recorded in the report)."""


def run_smoke(target: SmokeTarget) -> SmokeReport:
    """Run every step; clean up whatever was created, whatever failed."""
    report = SmokeReport()
    label = uuid.uuid4().hex[:12]
    email = f"success+onramp-smoke-{label}@{SIMULATOR_DOMAIN}"
    user_id: str | None = None
    try:
        user_id = _register(target, email, report)
        _wait_completed(target, user_id, report)
        credentials = _sign_in(target, email, report)
        _use_own_space(target, credentials, user_id, report)
    except SmokeFailed:
        pass
    finally:
        if user_id is not None:
            _clean_up(target, email, user_id, report)
    return report


def _register(target: SmokeTarget, email: str, report: SmokeReport) -> str:
    body = json.dumps({"email": email, "name": "Onramp Smoke", "phone": "+44 20 7946 0958"})
    request = urllib.request.Request(
        target.api_url.rstrip("/") + "/register",
        data=body.encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, answer = response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        status, answer = error.code, {"error": error.read().decode(errors="replace")[:200]}
    except urllib.error.URLError as error:
        report.add("register", "FAILED", f"{target.api_url}: {error.reason}")
        raise SmokeFailed from error
    if status != 202 or "user_id" not in answer:
        report.add("register", "FAILED", f"HTTP {status} {answer}")
        raise SmokeFailed
    report.add("register", "ok", f"{email} -> user {answer['user_id']}")
    return str(answer["user_id"])


def _wait_completed(target: SmokeTarget, user_id: str, report: SmokeReport) -> None:
    dynamodb = target.operator("dynamodb")
    started = time.monotonic()
    status = "absent"
    while time.monotonic() - started < target.timeout_s:
        item = dynamodb.get_item(
            TableName=target.users_table, Key={"user_id": {"S": user_id}}, ConsistentRead=True
        ).get("Item", {})
        status = item.get("status", {}).get("S", "absent")
        if status == "completed":
            report.add("completed", "ok", f"after {time.monotonic() - started:.1f} s")
            return
        if status == "failed":
            reason = item.get("failure_reason", {}).get("S", "?")
            hint = SIMULATOR_HINT if reason == "domain_not_allowed" else ""
            report.add("completed", "FAILED", f"user ended failed: {reason}{hint}")
            raise SmokeFailed
        time.sleep(0.5)
    report.add("completed", "FAILED", f"still {status} after {target.timeout_s:.0f} s")
    raise SmokeFailed


def _sign_in(target: SmokeTarget, email: str, report: SmokeReport) -> dict[str, str]:
    """User-pool sign-in, then identity-pool credentials for UserSpaceRole."""
    idp = target.operator("cognito-idp")
    password = secrets.token_urlsafe(18) + "aA1!"
    idp.admin_set_user_password(
        UserPoolId=target.user_pool_id, Username=email, Password=password, Permanent=True
    )
    try:
        tokens = idp.initiate_auth(
            ClientId=target.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]
    except (ClientError, KeyError) as error:
        report.add("sign in", "FAILED", f"user pool: {error}")
        raise SmokeFailed from error
    report.add("sign in", "ok", "user pool USER_PASSWORD_AUTH: ID token")
    identity = target.operator("cognito-identity")
    provider = f"cognito-idp.{target.region}.amazonaws.com/{target.user_pool_id}"
    logins = {provider: tokens["IdToken"]}
    identity_id = identity.get_id(IdentityPoolId=target.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]
    credentials: dict[str, str] = identity.get_credentials_for_identity(
        IdentityId=identity_id, Logins=logins
    )["Credentials"]
    report.add("credentials", "ok", f"identity {identity_id}: temporary credentials")
    return credentials


def _user_s3(target: SmokeTarget, credentials: dict[str, str]) -> Any:
    import boto3

    return boto3.client(
        "s3",
        region_name=target.region,
        endpoint_url=target.endpoint_url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )


def _use_own_space(
    target: SmokeTarget, credentials: dict[str, str], user_id: str, report: SmokeReport
) -> None:
    s3 = _user_s3(target, credentials)
    key = f"users/{user_id}/smoke.txt"
    payload = f"onramp smoke {user_id}".encode()
    try:
        s3.put_object(Bucket=target.bucket, Key=key, Body=payload)
        read = s3.get_object(Bucket=target.bucket, Key=key)["Body"].read()
        s3.delete_object(Bucket=target.bucket, Key=key)
    except ClientError as error:
        report.add("own prefix", "FAILED", f"{key}: {error}")
        raise SmokeFailed from error
    if read != payload:
        report.add("own prefix", "FAILED", f"{key}: read back {read!r}")
        raise SmokeFailed
    report.add("own prefix", "ok", f"wrote, read and deleted s3://{target.bucket}/{key}")
    other = f"users/{uuid.uuid4()}/smoke-denied.txt"
    if not target.check_denial:
        report.add("other prefix", "skipped", "IAM is not enforced here (embedded stack)")
        return
    try:
        s3.put_object(Bucket=target.bucket, Key=other, Body=b"must be denied")
    except ClientError as error:
        if error.response["Error"]["Code"] != "AccessDenied":
            raise
        report.add("other prefix", "ok", f"denied: s3://{target.bucket}/{other}")
        return
    target.operator("s3").delete_object(Bucket=target.bucket, Key=other)
    report.add("other prefix", "FAILED", f"another user's prefix was writable: {other}")


def _clean_up(target: SmokeTarget, email: str, user_id: str, report: SmokeReport) -> None:
    """Every version under the user's prefix, the pool user, the Users row."""
    s3 = target.operator("s3")
    prefix = f"users/{user_id}/"
    removed = 0
    for page in s3.get_paginator("list_object_versions").paginate(
        Bucket=target.bucket, Prefix=prefix
    ):
        for version in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            s3.delete_object(
                Bucket=target.bucket, Key=version["Key"], VersionId=version["VersionId"]
            )
            removed += 1
    try:
        target.operator("cognito-idp").admin_delete_user(
            UserPoolId=target.user_pool_id, Username=email
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "UserNotFoundException":
            raise
    target.operator("dynamodb").delete_item(
        TableName=target.users_table, Key={"user_id": {"S": user_id}}
    )
    report.add("clean up", "ok", f"{removed} object versions, the pool user, the Users row")
