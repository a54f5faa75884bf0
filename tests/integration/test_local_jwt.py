"""AuthMode=jwt on the embedded stack: the route rejects what API Gateway's JWT authorizer
rejects (401 {"message":"Unauthorized"}, before any function runs); public mode is open."""

import json
import time
import urllib.error
import urllib.request

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration

ISSUER, AUDIENCE = "https://issuer.example.test/", "onboarding-service"
JWT_PARAMETERS = {"AuthMode": "jwt", "JwtIssuer": ISSUER, "JwtAudience": AUDIENCE}


def post(url: str, email: str, token: str | None = None) -> tuple[int, dict]:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = token
    body = json.dumps({"email": email, "name": "Ada Lovelace", "phone": "+442071838750"})
    request = urllib.request.Request(url + "/register", body.encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# First: one embedded stack per process at a time (moto's state is process-wide).
def test_public_mode_has_no_authorizer_and_needs_no_token():
    with EmbeddedStack() as stack:
        assert stack.authorizer is None
        assert post(stack.api_url, "public@example.com")[0] == 202
        assert post(stack.api_url, "public2@example.com", "Bearer junk")[0] == 202


@pytest.fixture(scope="module")
def jwt_stack():
    with EmbeddedStack(parameters=JWT_PARAMETERS) as stack:
        yield stack


def other_key_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 60}
    return jwt.encode(claims, key, algorithm="RS256")


@pytest.mark.parametrize(
    ("case", "token"),
    [
        ("missing", lambda a: None),
        ("empty bearer", lambda a: "Bearer "),
        ("garbage", lambda a: "Bearer not.a.jwt"),
        ("bad signature", lambda a: "Bearer " + other_key_token()),
        ("wrong audience", lambda a: "Bearer " + a.mint(aud="someone-else")),
        ("wrong issuer", lambda a: "Bearer " + a.mint(iss="https://evil.example/")),
        ("expired", lambda a: "Bearer " + a.mint(exp=int(time.time()) - 5)),
        ("not yet valid", lambda a: "Bearer " + a.mint(nbf=int(time.time()) + 300)),
        ("no exp", lambda a: "Bearer " + a.mint(exp=None)),
        (
            "hs256 with the public key",
            lambda a: (
                "Bearer "
                + jwt.encode(
                    {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60},
                    a.private_key_pem()[:32],
                    algorithm="HS256",
                )
            ),
        ),
    ],
)
def test_a_missing_or_bad_token_gets_401_and_writes_nothing(jwt_stack, case, token):
    before = jwt_stack.recorder.counters()["invocations"].get("register", 0)
    status, body = post(
        jwt_stack.api_url, f"{case.replace(' ', '.')}@example.com", token(jwt_stack.authorizer)
    )
    assert (status, body) == (401, {"message": "Unauthorized"})
    assert jwt_stack.recorder.counters()["invocations"].get("register", 0) == before


def test_a_good_token_is_accepted_with_or_without_bearer(jwt_stack):
    token = jwt_stack.authorizer.mint()
    assert post(jwt_stack.api_url, "good@example.com", "Bearer " + token)[0] == 202
    assert post(jwt_stack.api_url, "good2@example.com", token)[0] == 202
    assert (
        post(
            jwt_stack.api_url,
            "good3@example.com",
            "Bearer " + jwt_stack.authorizer.mint(aud=["other", AUDIENCE]),
        )[0]
        == 202
    )


def test_the_protected_route_is_the_templates(jwt_stack):
    assert list(jwt_stack.authorizer.routes) == ["POST /register"]
    configuration = jwt_stack.authorizer.routes["POST /register"]
    assert (configuration.issuer, configuration.audiences) == (ISSUER, (AUDIENCE,))
