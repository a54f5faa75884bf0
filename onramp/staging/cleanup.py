"""Remove exactly what one load run created, and nothing else.

A run records what it created: ``runs/<run id>/accepted.<pid>.txt`` holds the ``user_id`` of
every registration the API accepted (``loadtest.results``). Each kind of thing the pipeline
makes for a user is a :class:`Sweeper` that finds those users' things and deletes them: the
Users row, every object version under the user's prefix, and the user's account in the
stack's Cognito user pool (the ``UserPoolId`` output; no IAM object exists per user). Nothing
is found by pattern or by age, so another run's users, and real users, are never touched: a
pool user is deleted only when its ``custom:user_id`` is one of the run's user ids. The audit
trail is append-only (its resource policy denies deletes): its entries are listed as kept and
expire by TTL.

Example::

    target = CleanupTarget.from_stack(describe_stack(cloudformation, "onramp-staging", region))
    plan = find_run_data(target, client, run_user_ids(Path("runs/20261201T101500Z-ab12")))
    print(listing(plan)); delete_run_data(target, client, plan)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from kernel.errors import UsageError
from loadtest.results import accepted_ids_in
from onramp.staging.outputs import Stack

ClientFactory = Callable[[str], Any]
USER_PREFIX = "users/{user_id}/"
"""The user's space in the bucket (onboarding.adapters.spaces.user_prefix)."""
USER_ID_ATTRIBUTE = "custom:user_id"
"""The pool user's immutable attribute naming its user id (onboarding.adapters.accounts)."""


@dataclass(frozen=True)
class CleanupTarget:
    """Where a stack keeps what the pipeline makes for a user."""

    users_table: str
    audit_table: str
    bucket: str
    user_pool_id: str

    @classmethod
    def from_stack(cls, stack: Stack) -> CleanupTarget:
        """The target from the stack's outputs."""
        return cls(
            users_table=stack.output("UsersTableName"),
            audit_table=stack.output("AuditTableName"),
            bucket=stack.output("UserSpacesBucketName"),
            user_pool_id=stack.output("UserPoolId"),
        )


@dataclass
class RunData:
    """What was found, per kind: identifiers to delete, and counts kept on purpose."""

    users: int
    found: dict[str, list[Any]] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)


class Sweeper:
    """One kind of thing the pipeline makes per user: find it for some users, delete it."""

    kind = ""

    def find(self, target: CleanupTarget, client: ClientFactory, user_ids: list[str]) -> list[Any]:
        raise NotImplementedError

    def delete(self, target: CleanupTarget, client: ClientFactory, found: list[Any]) -> None:
        raise NotImplementedError


class UserItems(Sweeper):
    """The user's row in the Users table."""

    kind = "users-table items"

    def find(self, target: CleanupTarget, client: ClientFactory, user_ids: list[str]) -> list[Any]:
        dynamodb = client("dynamodb")
        found = []
        for user_id in user_ids:
            key = {"user_id": {"S": user_id}}
            if "Item" in dynamodb.get_item(TableName=target.users_table, Key=key):
                found.append(user_id)
        return found

    def delete(self, target: CleanupTarget, client: ClientFactory, found: list[Any]) -> None:
        dynamodb = client("dynamodb")
        for user_id in found:
            dynamodb.delete_item(TableName=target.users_table, Key={"user_id": {"S": user_id}})


class SpaceObjects(Sweeper):
    """Every version and delete marker under the user's prefix (the bucket is versioned)."""

    kind = "user-space object versions"

    def find(self, target: CleanupTarget, client: ClientFactory, user_ids: list[str]) -> list[Any]:
        paginator = client("s3").get_paginator("list_object_versions")
        found = []
        for user_id in user_ids:
            prefix = USER_PREFIX.format(user_id=user_id)
            for page in paginator.paginate(Bucket=target.bucket, Prefix=prefix):
                for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                    found.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
        return found

    def delete(self, target: CleanupTarget, client: ClientFactory, found: list[Any]) -> None:
        s3 = client("s3")
        for start in range(0, len(found), 1000):  # DeleteObjects takes up to 1,000 keys
            batch = found[start : start + 1000]
            s3.delete_objects(Bucket=target.bucket, Delete={"Objects": batch, "Quiet": True})


class PoolUsers(Sweeper):
    """The user's account in the user pool: its user name is the email on the user's row."""

    kind = "user-pool users"

    def find(self, target: CleanupTarget, client: ClientFactory, user_ids: list[str]) -> list[Any]:
        dynamodb, cognito = client("dynamodb"), client("cognito-idp")
        found = []
        for user_id in user_ids:
            key = {"user_id": {"S": user_id}}
            item = dynamodb.get_item(TableName=target.users_table, Key=key).get("Item", {})
            username = item.get("email", {}).get("S")
            if username and _pool_user_id(cognito, target.user_pool_id, username) == user_id:
                found.append(username)
        return found

    def delete(self, target: CleanupTarget, client: ClientFactory, found: list[Any]) -> None:
        cognito = client("cognito-idp")
        for username in found:
            try:
                cognito.admin_delete_user(UserPoolId=target.user_pool_id, Username=username)
            except ClientError as error:
                if error.response["Error"]["Code"] != "UserNotFoundException":
                    raise


def _pool_user_id(cognito: Any, pool_id: str, username: str) -> str | None:
    """The pool user's ``custom:user_id``; None when the pool has no such user (it failed
    before provisioning, or another registration holds the address)."""
    try:
        user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    except ClientError as error:
        if error.response["Error"]["Code"] == "UserNotFoundException":
            return None
        raise
    attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    return attributes.get(USER_ID_ATTRIBUTE)


SWEEPERS: tuple[Sweeper, ...] = (UserItems(), SpaceObjects(), PoolUsers())


def run_user_ids(run_dir: Path) -> list[str]:
    """The user ids a run recorded; UsageError when the directory holds no run."""
    if not (run_dir / "manifest.json").is_file():
        raise UsageError(f"--run: {run_dir} is not a load run directory (no manifest.json)")
    return sorted(set(accepted_ids_in(run_dir)))


def find_run_data(target: CleanupTarget, client: ClientFactory, user_ids: list[str]) -> RunData:
    """What exists for these users, per kind; audit entries counted as kept."""
    data = RunData(users=len(user_ids))
    for sweeper in SWEEPERS:
        data.found[sweeper.kind] = sweeper.find(target, client, user_ids)
    data.kept["audit entries (append-only, expire by TTL)"] = _audit_entries(
        target, client, user_ids
    )
    return data


def delete_run_data(target: CleanupTarget, client: ClientFactory, data: RunData) -> None:
    """Delete everything ``find_run_data`` found (users' rows last: they name the rest)."""
    for sweeper in reversed(SWEEPERS):
        found = data.found.get(sweeper.kind) or []
        if found:
            sweeper.delete(target, client, found)


def listing(data: RunData, samples: int = 3) -> str:
    """The dry-run listing: per kind, how many and a few of them."""
    lines = [f"{data.users} users recorded by the run"]
    for kind, found in data.found.items():
        shown = ", ".join(_label(item) for item in found[:samples])
        more = f", ... (+{len(found) - samples})" if len(found) > samples else ""
        lines.append(f"delete {len(found):>6} {kind}" + (f": {shown}{more}" if found else ""))
    lines += [f"keep   {count:>6} {kind}" for kind, count in data.kept.items()]
    return "\n".join(lines)


def _label(item: Any) -> str:
    return str(item["Key"]) if isinstance(item, dict) else str(item)


def _audit_entries(target: CleanupTarget, client: ClientFactory, user_ids: Iterable[str]) -> int:
    dynamodb = client("dynamodb")
    total = 0
    for user_id in user_ids:
        try:
            total += dynamodb.query(
                TableName=target.audit_table,
                KeyConditionExpression="user_id = :id",
                ExpressionAttributeValues={":id": {"S": user_id}},
                Select="COUNT",
            )["Count"]
        except ClientError as exc:
            raise UsageError(f"cannot read the audit table {target.audit_table}: {exc}") from exc
    return total
