"""boto3 sessions and clients for the staging commands, with AWS failures as one-line errors.

Example::

    with aws_errors("us-east-1"):
        aws = AwsSession.open(region="us-east-1", profile=None)
        cloudwatch = aws.client("cloudwatch")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from kernel.errors import UsageError

# botocore retries throttling itself (adaptive mode adds client-side rate limiting).
RETRY_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10})

_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
}


@dataclass(frozen=True)
class AwsSession:
    """A boto3 session bound to one region (and optionally a named profile)."""

    session: boto3.Session
    region: str

    @classmethod
    def open(cls, region: str | None, profile: str | None) -> AwsSession:
        """A session for ``profile`` (default chain if None); the region falls back to the
        profile's or AWS_DEFAULT_REGION."""
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound as exc:
            raise UsageError(f"--profile: AWS profile {profile!r} not found") from exc
        if not session.region_name:
            raise UsageError("--region: no AWS region given and none configured")
        return cls(session=session, region=session.region_name)

    def client(self, service: str, region: str | None = None) -> Any:
        """A client with adaptive retries (``region`` overrides, e.g. us-east-1 for ce)."""
        return self.session.client(service, region_name=region or self.region, config=RETRY_CONFIG)


@contextmanager
def aws_errors(region: str | None) -> Iterator[None]:
    """Turn missing credentials, refused calls and unreachable endpoints into UsageError."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise UsageError(
            "no AWS credentials found: use --profile, AWS_PROFILE or `aws sso login`"
        ) from exc
    except ProfileNotFound as exc:
        raise UsageError(f"--profile: {exc}") from exc
    except NoRegionError as exc:
        raise UsageError("--region: no AWS region given and none configured") from exc
    except EndpointConnectionError as exc:
        raise UsageError(f"cannot reach AWS in region {region}: {exc}") from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") in _DENIED:
            operation = exc.operation_name
            raise UsageError(
                f"AWS refused {operation} in region {region}: {error.get('Message', '')}"
            ) from exc
        raise
    except BotoCoreError as exc:
        raise UsageError(f"AWS call failed in region {region}: {exc}") from exc
