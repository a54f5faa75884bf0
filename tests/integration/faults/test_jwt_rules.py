"""The local JWT authorizer's claim rules, as API Gateway's JWT authorizer documents them.

"Authorizing API requests with a JWT authorizer" (docs.aws.amazon.com/apigateway/latest/
developerguide/http-api-jwt-authorizer.html; awsdocs/amazon-api-gateway-developer-guide,
doc_source/http-api-jwt-authorizer.md): the token's header must carry the ``kid`` of the
JWKS key that signed it (RFC 7517 4.5); ``iss`` must equal the issuer; ``aud`` (or
``client_id`` when there is no ``aud``) must match one configured audience; ``exp`` must be
after, ``nbf`` and ``iat`` before, the current time (NumericDate: a JSON number, RFC 7519
2); only RSA algorithms. Any failure: 401, and never an exception out of the authorizer.
"""

import time

import jwt
import pytest

from onramp.local.api.jwt_auth import JwtConfiguration, LocalJwtAuthorizer, Unauthorized

ISSUER, AUDIENCE = "https://issuer.example.test/", "onboarding-service"
ROUTE = "POST /register"


@pytest.fixture(scope="module")
def authorizer():
    return LocalJwtAuthorizer({ROUTE: JwtConfiguration(ISSUER, (AUDIENCE,))})


def _signed(authorizer, claims, headers=None):
    key = jwt.api_jws.get_algorithm_by_name("RS256").prepare_key(authorizer.private_key_pem())
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


def _claims(**changes):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 60}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _authorize(authorizer, token):
    return authorizer.authorize(ROUTE, {"authorization": f"Bearer {token}"})


REJECTED = {
    "no kid": lambda a: _signed(a, _claims()),
    "unknown kid": lambda a: _signed(a, _claims(), {"kid": "not-the-key"}),
    "exp as a string": lambda a: a.mint(exp=str(int(time.time()) + 60)),
    "exp as true": lambda a: a.mint(exp=True),
    "nbf as a string": lambda a: a.mint(nbf=str(int(time.time()))),
    "iat in the future": lambda a: a.mint(iat=int(time.time()) + 300),
    "iat as a string": lambda a: a.mint(iat="yesterday"),
    "aud as an object": lambda a: a.mint(aud={"aud": AUDIENCE}),
    "aud as an integer": lambda a: a.mint(aud=42),
    "aud list with a non-string": lambda a: a.mint(aud=[42, {"x": 1}]),
    "aud wrong, client_id right": lambda a: a.mint(aud="other", client_id=AUDIENCE),
    "no exp": lambda a: a.mint(exp=None),
}


@pytest.mark.parametrize("case", REJECTED)
def test_api_gateway_rejects_it_and_so_do_we(authorizer, case):
    token = REJECTED[case](authorizer)
    with pytest.raises(Unauthorized):
        _authorize(authorizer, token)


ACCEPTED = {
    "aud a string": lambda a: a.mint(),
    "aud a list": lambda a: a.mint(aud=["other", AUDIENCE]),
    "client_id without aud": lambda a: _signed(
        a, _claims(aud=None, client_id=AUDIENCE), {"kid": a.key_id}
    ),
    "no nbf, no iat": lambda a: _signed(a, _claims(nbf=None, iat=None), {"kid": a.key_id}),
    "fractional exp": lambda a: a.mint(exp=time.time() + 60.5),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_api_gateway_accepts_it_and_so_do_we(authorizer, case):
    context = _authorize(authorizer, ACCEPTED[case](authorizer))
    assert context["jwt"]["claims"]["iss"] == ISSUER
