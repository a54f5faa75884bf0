"""A completed user signs in and reaches its space: user pool -> identity pool -> S3, on the
embedded stack built from stack/template.yaml; and `onramp smoke` against that stack.

What moto cannot show (docs/deploy.md): it does not check the ID token in GetId /
GetCredentialsForIdentity, hands out the same fake credentials for every identity, keeps no
role attachment or principal-tag map, and enforces no IAM on those credentials. The chain's
links it cannot hold are read from the template instead (the tag map, the attached role and
its policy, resolved with the token's own claim); tests/stack/security/test_user_space_isolation.py
proves the resolved policy's isolation with moto's IAM enforcement.
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import boto3
import jwt
import pytest

from onramp.local.aws.server import FAKE_CREDENTIALS, REGION
from onramp.local.stack import EmbeddedStack
from onramp.staging.smoke import SmokeTarget, run_smoke

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack():
    # The smoke test registers on SES's mailbox simulator, a domain staging alone allows.
    with EmbeddedStack(parameters={"Stage": "staging"}) as running:
        yield running


def aws(stack: EmbeddedStack, service: str, **credentials: str) -> Any:
    """A client on the embedded AWS (the operator's fake credentials unless given)."""
    return boto3.client(
        service,
        endpoint_url=stack.endpoint_url,
        region_name=REGION,
        aws_access_key_id=credentials.get("AccessKeyId", FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]),
        aws_secret_access_key=credentials.get(
            "SecretKey", FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
        ),
        aws_session_token=credentials.get("SessionToken"),
    )


def register(stack: EmbeddedStack, email: str) -> str:
    body = json.dumps({"email": email, "name": "Ada Lovelace", "phone": "+44 20 7946 0958"})
    request = urllib.request.Request(
        stack.api_url + "/register",
        data=body.encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        return json.loads(response.read())["user_id"]


def test_a_completed_user_signs_in_and_uses_only_its_own_space(stack: EmbeddedStack) -> None:
    email = "ada@example.com"
    user_id = register(stack, email)
    assert stack.wait_until_drained(30)
    [user] = [u for u in stack.users() if u["user_id"] == user_id]
    assert user["status"] == "completed"
    assert user["space"]["access"] == "principal-tag:user_id"
    sign_in = stack.resources.sign_in
    assert user["space"]["user_pool"] == sign_in.user_pools["UserPool"]

    # 1. the welcome email (ours, the only one) carries the temporary password
    [email_sent] = [m for m in stack.sent_emails() if email in json.dumps(m)]
    body = json.dumps(email_sent)
    assert "Sign in with the email address this message was sent to" in body
    [password] = re.findall(r"\\n    (\S+?)\\n", body)

    # 2. user-pool sign-in as the user does it: temporary password, then its own
    idp = aws(stack, "cognito-idp")
    client_id = sign_in.clients["UserPoolClient"]
    challenge = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    tokens = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "Own-passw0rd-of-Ada"},
    )["AuthenticationResult"]
    claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert claims["token_use"] == "id"
    assert claims["custom:user_id"] == user_id
    assert claims["iss"].endswith(sign_in.user_pools["UserPool"])

    # 3. identity pool: the token for credentials of the one attached role
    identity = aws(stack, "cognito-identity")
    provider = f"cognito-idp.{REGION}.amazonaws.com/{sign_in.user_pools['UserPool']}"
    logins = {provider: tokens["IdToken"]}
    pool_id = sign_in.identity_pools["IdentityPool"]
    identity_id = identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)[
        "Credentials"
    ]
    role_arn = sign_in.identity_pool_roles["IdentityPool"]["authenticated"]
    assert role_arn == sign_in.roles["UserSpaceRole"]

    # 4. the session's tag is the token's claim; the role's one policy, resolved with it,
    #    is this user's prefix
    tags = {tag: claims[claim] for tag, claim in sign_in.principal_tags["IdentityPool"].items()}
    assert tags == {"user_id": user_id}
    role_name = role_arn.rsplit("/", 1)[-1]
    policy = aws(stack, "iam").get_role_policy(RoleName=role_name, PolicyName="own-space")
    resolved = json.dumps(policy["PolicyDocument"]).replace(
        "${aws:PrincipalTag/user_id}", tags["user_id"]
    )
    bucket = stack.resources.bucket_names["UserSpacesBucket"]
    assert f"arn:aws:s3:::{bucket}/users/{user_id}/*" in resolved

    # 5. with those credentials the user writes and reads its own prefix
    s3 = aws(stack, "s3", **credentials)
    key = f"users/{user_id}/hello.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"hello")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"hello"
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"users/{user_id}/")["Contents"]
    assert {o["Key"] for o in listed} == {f"users/{user_id}/.keep", key}


def test_the_address_proves_itself_before_its_space_can_be_used(stack: EmbeddedStack) -> None:
    """Someone registers another person's address with a lure for a name: the answer gives
    them nothing to sign in with, a guessed password is refused, the mailbox gets the only
    temporary password (and no link), and that password is what signs in."""
    victim = "grace@example.com"
    body = json.dumps(
        {
            "email": victim,
            "name": "your account is locked, verify at https://evil.example",
            "phone": "+44 20 7946 0958",
        }
    )
    request = urllib.request.Request(
        stack.api_url + "/register",
        data=body.encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    assert set(answer) == {"user_id", "status"}  # no credential, no password, no token
    assert stack.wait_until_drained(30)
    [user] = [u for u in stack.users() if u["user_id"] == answer["user_id"]]
    assert user["status"] == "completed"
    idp = aws(stack, "cognito-idp")
    client_id = stack.resources.sign_in.clients["UserPoolClient"]
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": victim, "PASSWORD": "Guessed-passw0rd-1"},
        )
    [mail] = [m for m in stack.sent_emails() if m["to"] == [victim]]
    assert "https://" not in mail["body"] and "evil.example" not in mail["body"]
    [password] = re.findall(r"\n    (\S+?)\n", mail["body"])
    challenge = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": victim, "PASSWORD": password},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"  # only the mailbox got here


def test_onramp_smoke_against_the_embedded_stack(stack: EmbeddedStack) -> None:
    sign_in = stack.resources.sign_in
    target = SmokeTarget(
        api_url=stack.api_url,
        users_table=stack.resources.table_names["UsersTable"],
        bucket=stack.resources.bucket_names["UserSpacesBucket"],
        user_pool_id=sign_in.user_pools["UserPool"],
        client_id=sign_in.clients["UserPoolClient"],
        identity_pool_id=sign_in.identity_pools["IdentityPool"],
        region=REGION,
        operator=lambda service: aws(stack, service),
        endpoint_url=stack.endpoint_url,
        check_denial=False,  # moto enforces no IAM on identity-pool credentials
        timeout_s=30,
    )
    users_before = len(stack.users())

    report = run_smoke(target)

    assert report.ok, report.text()
    assert [(name, outcome) for name, outcome, _ in report.steps] == [
        ("register", "ok"),
        ("completed", "ok"),
        ("sign in", "ok"),
        ("credentials", "ok"),
        ("own prefix", "ok"),
        ("other prefix", "skipped"),
        ("clean up", "ok"),
    ]
    smoke_email = report.steps[0][2].split(" ")[0]
    assert smoke_email.endswith("@simulator.amazonses.com")
    assert len(stack.users()) == users_before  # the smoke user's row is gone
    pool_users = aws(stack, "cognito-idp").list_users(UserPoolId=target.user_pool_id)["Users"]
    assert smoke_email not in json.dumps(pool_users, default=str)
    user_id = report.steps[0][2].rsplit(" ", 1)[-1]
    versions = aws(stack, "s3").list_object_versions(
        Bucket=target.bucket, Prefix=f"users/{user_id}/"
    )
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")
