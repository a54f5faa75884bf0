"""API Gateway's JWT authorizer, locally: which routes it protects and how it checks a token.

The routes come from the template: an ``AWS::Serverless::HttpApi``'s ``Auth.Authorizers``
with a ``JwtConfiguration`` (issuer, audience), or its OpenAPI body's security schemes with an
``x-amazon-apigateway-authorizer`` of type ``jwt``, attached by the OpenAPI ``security`` of a
path's method, by ``Auth.DefaultAuthorizer`` or by an event's ``Auth.Authorizer`` (``NONE``
opts out). With ``AuthMode=jwt`` the template protects ``POST /register``; with ``public``
nothing is protected and every request passes untouched.

The issuer's key is a local RSA key pair (generated at start, or given as PEM): a token is
valid when it is an RS256 JWT signed by it, as API Gateway's JWT authorizer checks
(docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html): its
header's ``kid`` names the key (required: API Gateway picks the JWKS key by it), ``iss``
equals the issuer, ``aud`` (a string or a list of strings; ``client_id`` only when there is
no ``aud``) holds one of the audiences, ``exp`` is after now and ``nbf``/``iat`` (if any)
before now, each a JSON number. Anything else is :class:`Unauthorized`, never another
exception. The ``Authorization`` header
carries the token, with or without ``Bearer``. A rejected request gets API Gateway's 401
``{"message":"Unauthorized"}`` before the function runs; an accepted one carries
``requestContext.authorizer.jwt`` (claims, scopes) in its event.

Example::

    authorizer = LocalJwtAuthorizer.from_template(template, resolver)   # None if no JWT route
    token = authorizer.mint()
    authorizer.authorize("POST /register", {"authorization": f"Bearer {token}"})
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kernel.sam_template import Resolver

ALGORITHM = "RS256"
DEFAULT_TOKEN_TTL_S = 3600


class Unauthorized(Exception):
    """The request has no valid token for its route (API Gateway answers 401)."""


@dataclass(frozen=True)
class JwtConfiguration:
    """An authorizer's ``JwtConfiguration``: the issuer and the accepted audiences."""

    issuer: str
    audiences: tuple[str, ...]


def jwt_routes(template: Mapping[str, Any], resolver: Resolver) -> dict[str, JwtConfiguration]:
    """``{"POST /register": JwtConfiguration(...)}`` for every JWT-protected route."""
    protected: dict[str, JwtConfiguration] = {}
    apis: dict[str, tuple[dict[str, JwtConfiguration], str | None]] = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::HttpApi":
            continue
        if resource.get("Condition") and not resolver.condition(resource["Condition"]):
            continue
        raw = resource.get("Properties", {})
        properties = {key: resolver.resolve(raw.get(key)) for key in ("Auth", "DefinitionBody")}
        auth = properties.get("Auth") or {}
        body = properties.get("DefinitionBody") or {}
        authorizers = {
            **_openapi_authorizers(body),
            **{
                name: _jwt_configuration(settings["JwtConfiguration"])
                for name, settings in (auth.get("Authorizers") or {}).items()
                if isinstance(settings, dict) and settings.get("JwtConfiguration")
            },
        }
        default = auth.get("DefaultAuthorizer")
        apis[logical_id] = (authorizers, default)
        paths = body.get("paths") or {}
        for path, methods in paths.items():
            for method, operation in (methods or {}).items():
                name = _security_authorizer((operation or {}).get("security"), default)
                if name in authorizers:
                    protected[f"{_method(method)} {path}"] = authorizers[name]
    for resource in template["Resources"].values():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            raw = event.get("Properties", {})
            properties = {key: resolver.resolve(raw.get(key)) for key in ("Method", "Path", "Auth")}
            api = raw.get("ApiId", {"Ref": "ServerlessHttpApi"})  # SAM's implicit API otherwise
            logical_id = api.get("Ref") if isinstance(api, dict) else api
            authorizers, default = apis.get(str(logical_id), ({}, None))
            route = f"{str(properties.get('Method', 'ANY')).upper()} {properties.get('Path')}"
            name = (properties.get("Auth") or {}).get("Authorizer")
            chosen = default if name is None else name
            if name == "NONE":
                protected.pop(route, None)
            elif chosen is not None and chosen in authorizers:
                protected.setdefault(route, authorizers[chosen])
    return protected


def _jwt_configuration(settings: Mapping[str, Any]) -> JwtConfiguration:
    """SAM's ``JwtConfiguration`` or OpenAPI's ``jwtConfiguration`` (same keys)."""
    return JwtConfiguration(
        issuer=str(settings.get("issuer", "")),
        audiences=tuple(str(a) for a in settings.get("audience", [])),
    )


def _openapi_authorizers(body: Mapping[str, Any]) -> dict[str, JwtConfiguration]:
    """The JWT authorizers an OpenAPI body declares as security schemes."""
    schemes = (body.get("components") or {}).get("securitySchemes") or {}
    return {
        name: _jwt_configuration(extension.get("jwtConfiguration") or {})
        for name, scheme in schemes.items()
        if isinstance(scheme, dict)
        and isinstance(extension := scheme.get("x-amazon-apigateway-authorizer"), dict)
        and extension.get("type") == "jwt"
    }


def _method(method: str) -> str:
    return "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()


def _security_authorizer(security: Any, default: str | None) -> str | None:
    if isinstance(security, list) and security and isinstance(security[0], dict):
        return next(iter(security[0]), None)
    return None if security == [] else default


class LocalJwtAuthorizer:
    """Checks tokens for the protected routes with one local RSA issuer key."""

    def __init__(
        self, routes: Mapping[str, JwtConfiguration], private_key_pem: bytes | None = None
    ) -> None:
        self.routes = dict(routes)
        if private_key_pem is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self._key = load_private_key(private_key_pem)
        self.key_id = key_id(self._key)

    @classmethod
    def from_template(
        cls, template: Mapping[str, Any], resolver: Resolver, private_key_pem: bytes | None = None
    ) -> LocalJwtAuthorizer | None:
        """The authorizer of the template's JWT routes; None when no route is protected."""
        routes = jwt_routes(template, resolver)
        return cls(routes, private_key_pem) if routes else None

    def private_key_pem(self) -> bytes:
        """The issuer's private key (PKCS#8 PEM), to mint tokens elsewhere (`onramp token`)."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def mint(self, route_key: str | None = None, **claims: Any) -> str:
        """A valid token for ``route_key`` (default: the first protected route); ``claims``
        override or add to iss, aud, sub, iat, nbf, exp (one hour)."""
        configuration = self.routes[route_key or next(iter(self.routes))]
        return _sign(self._key, configuration.issuer, configuration.audiences[0], claims)

    def authorize(self, route_key: str, headers: Mapping[str, str]) -> dict[str, Any] | None:
        """The event's ``requestContext.authorizer`` for an accepted request (None: the route
        is public); raises :class:`Unauthorized` for a missing or bad token."""
        configuration = self.routes.get(route_key)
        if configuration is None:
            return None
        header = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = header.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            raise Unauthorized("no token")
        claims = self._verified_claims(token)
        _check_claims(claims, configuration)
        scope = claims.get("scope")
        scopes = scope.split() if isinstance(scope, str) else None
        return {"jwt": {"claims": _claim_strings(claims), "scopes": scopes}}

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """The claims of a token signed (RS256) by the key its ``kid`` names."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if kid != self.key_id:
                raise Unauthorized("no kid" if kid is None else "unknown kid")
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=[ALGORITHM],
                options={
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(str(error)) from None
        if not isinstance(claims, dict):
            raise Unauthorized("the payload is not a JSON object")
        return claims


def _check_claims(claims: Mapping[str, Any], configuration: JwtConfiguration) -> None:
    """API Gateway's claim rules: iss equal, aud (or client_id) accepted, exp after now,
    nbf and iat before now, each time a JSON number (NumericDate)."""
    if claims.get("iss") != configuration.issuer:
        raise Unauthorized("issuer not accepted")
    now = time.time()
    exp = _numeric_date(claims, "exp", required=True)
    if exp is not None and exp <= now:
        raise Unauthorized("expired")
    for name in ("nbf", "iat"):
        moment = _numeric_date(claims, name, required=False)
        if moment is not None and moment > now:
            raise Unauthorized(f"{name} is in the future")
    audiences = claims["aud"] if "aud" in claims else claims.get("client_id")
    if isinstance(audiences, str):
        audiences = [audiences]
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise Unauthorized("aud must be a string or a list of strings")
    if not set(audiences) & set(configuration.audiences):
        raise Unauthorized("audience not accepted")


def _numeric_date(claims: Mapping[str, Any], name: str, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise Unauthorized(f"no {name}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthorized(f"{name} must be a number (NumericDate)")
    return float(value)


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM; ValueError for anything else."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the JWT key must be an RSA private key (PEM)")
    return key


def key_id(key: rsa.RSAPrivateKey) -> str:
    """The ``kid`` of the local issuer key (a digest of its public key)."""
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(public).hexdigest()[:16]


def mint_token(
    private_key_pem: bytes, issuer: str, audience: str, ttl_s: int = DEFAULT_TOKEN_TTL_S
) -> str:
    """An RS256 token from the local issuer key (PEM), valid for ``ttl_s`` seconds."""
    expires = {"exp": int(time.time()) + ttl_s}
    return _sign(load_private_key(private_key_pem), issuer, audience, expires)


def _sign(key: rsa.RSAPrivateKey, issuer: str, audience: str, claims: Mapping[str, Any]) -> str:
    now = int(time.time())
    payload = {
        "iss": issuer,
        "aud": audience,
        "sub": "local-client",
        "iat": now,
        "nbf": now,
        "exp": now + DEFAULT_TOKEN_TTL_S,
        **claims,
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM, headers={"kid": key_id(key)})


def _claim_strings(claims: Mapping[str, Any]) -> dict[str, str]:
    """API Gateway passes every claim to the function as a string."""
    return {
        key: value if isinstance(value, str) else str(value).replace("'", '"')
        for key, value in claims.items()
    }
