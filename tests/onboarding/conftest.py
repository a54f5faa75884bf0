"""Fixtures for the onboarding Lambda tests: a moto account with the stack's resources."""

import io
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.models import MockAWS
from moto.ses.models import ses_backends
from onboarding.adapters.clients import client
from onboarding.adapters.dynamo import from_item, to_item
from onboarding.adapters.observability import logger

from tests.users_table import users_table

REGION = "us-east-1"
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "USERS_TABLE": "onramp-test-users",
    "AUDIT_TABLE": "onramp-test-audit",
    "REGISTER_LIMITS_TABLE": "onramp-test-register-limits",
    "REGISTER_LIMIT_PER_SOURCE": "1000",
    "USER_SPACES_BUCKET": "onramp-test-userspaces",
    "USER_POOL_ID": "",  # set per test: moto generates the pool id
    "SENDER_EMAIL": "welcome@onramp.example.com",
    "ALLOWED_EMAIL_DOMAINS": "*",
    "LOOKUP_PROVIDER": "fake",
    "LOOKUP_FAKE_MODE": "ok",
    "LOOKUP_TIMEOUT_MS": "200",
    "AUDIT_TTL_DAYS": "30",
    "DATA_LAKE_BUCKET": "onramp-test-lake",
    "DATA_LAKE_PREFIX": "onboarded",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@dataclass
class Account:
    """The mocked account, with readers for what the functions wrote."""

    dynamodb: Any
    s3: Any
    idp: Any

    def user(self, user_id: str) -> dict[str, Any] | None:
        """The user's item (Python values), or None."""
        item = self.dynamodb.get_item(
            TableName=ENVIRONMENT["USERS_TABLE"], Key=to_item({"user_id": user_id})
        ).get("Item")
        return from_item(item) if item else None

    def users(self) -> list[dict[str, Any]]:
        """Every user item."""
        items = self.dynamodb.scan(TableName=ENVIRONMENT["USERS_TABLE"])["Items"]
        return [from_item(item) for item in items]

    def audit(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Audit entries (of one user, or all), in key order."""
        scanned = self.dynamodb.scan(TableName=ENVIRONMENT["AUDIT_TABLE"])["Items"]
        items = [from_item(item) for item in scanned]
        return sorted(
            (i for i in items if user_id in (None, i["user_id"])),
            key=lambda i: (i["user_id"], i["event_id"]),
        )

    def keys(self, bucket: str) -> list[str]:
        """Object keys in ``bucket``."""
        return [o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def pool_users(self) -> list[dict[str, Any]]:
        """Users of the user pool, each with its attributes as a dict."""
        listed = self.idp.list_users(UserPoolId=os.environ["USER_POOL_ID"])["Users"]
        return [
            {**user, "Attributes": {a["Name"]: a["Value"] for a in user["Attributes"]}}
            for user in listed
        ]

    @staticmethod
    def sent_emails() -> list[Any]:
        """Messages SES accepted (moto's backend)."""
        return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


@pytest.fixture(scope="module")
def _mocked_account() -> Iterator[tuple[MockAWS, Account]]:
    """One moto mock and one set of clients per test module (client creation is the slow part)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        for name, value in ENVIRONMENT.items():
            patch.setenv(name, value)
        with mock_aws() as mock:
            client.cache_clear()
            yield (
                mock,
                Account(
                    dynamodb=boto3.client("dynamodb", region_name=REGION),
                    s3=boto3.client("s3", region_name=REGION),
                    idp=boto3.client("cognito-idp", region_name=REGION),
                ),
            )
        client.cache_clear()


def _create_resources(account: Account) -> None:
    account.dynamodb.create_table(**users_table(ENVIRONMENT["USERS_TABLE"]))
    account.dynamodb.create_table(
        TableName=ENVIRONMENT["AUDIT_TABLE"],
        KeySchema=[
            {"AttributeName": "user_id", "KeyType": "HASH"},
            {"AttributeName": "event_id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "user_id", "AttributeType": "S"},
            {"AttributeName": "event_id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    account.dynamodb.create_table(
        TableName=ENVIRONMENT["REGISTER_LIMITS_TABLE"],
        KeySchema=[{"AttributeName": "source", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "source", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for bucket in (ENVIRONMENT["USER_SPACES_BUCKET"], ENVIRONMENT["DATA_LAKE_BUCKET"]):
        account.s3.create_bucket(Bucket=bucket)
    client("ses").verify_email_identity(EmailAddress=ENVIRONMENT["SENDER_EMAIL"])
    pool = account.idp.create_user_pool(
        PoolName="onramp-test-users",
        UsernameAttributes=["email"],
        Schema=[{"Name": "user_id", "AttributeDataType": "String", "Mutable": False}],
    )["UserPool"]
    os.environ["USER_POOL_ID"] = pool["Id"]


@pytest.fixture
def aws(_mocked_account: tuple[MockAWS, Account]) -> Account:
    """An empty mocked account with the users/audit tables, the buckets and a verified sender."""
    mock, account = _mocked_account
    mock.reset()
    _create_resources(account)
    return account


@dataclass
class FakeLambdaContext:
    """The attributes of a Lambda context that Powertools reads."""

    function_name: str = "onramp-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:onramp-test"
    aws_request_id: str = ""
    timeout_ms: int = 60_000

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self._deadline = time.monotonic() + self.timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (fake) invocation times out."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    """A Lambda context for handler calls."""
    return FakeLambdaContext()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the Powertools logger writes during the test, formatted as in Lambda."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)
