"""``POST /register`` (HTTP API payload v2.0): count the source, screen the body, 202.

Answers: 202 ``{"user_id", "status": "pending"}`` for every valid registration, whether the
address is new, registered already, or this is a retry of the same registration (a client
whose reply was lost to a 5xx or a timeout): the answer never tells a registered address
from a new one (OWASP's guidance on account enumeration; docs/security.md, "Sign-ups that
tell nothing"). A new address gets its pending row and, later, the welcome email; a retry
writes nothing new; another registration of a registered address asks for the notice email
(:mod:`onboarding.domain.notice`: at most one a day per address). Each of the three does
the same AWS calls (one counter update, one conditional put, one more conditional write),
so their timing differs as little as DynamoDB's does.
400 malformed/invalid body; 413 body over :data:`MAX_BODY_BYTES`; 415 not
``application/json``; 429 over the per-source limit (:mod:`onboarding.domain.source_limit`,
with ``Retry-After``). Every error body is ``{"error": "...", "field": "..."}`` and nothing
is written for it but the source's count. Duplicates: see :mod:`onboarding.domain.identity`.
"""

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from onboarding.adapters.audit import AuditLog
from onboarding.adapters.observability import (
    CORRELATION_HEADER,
    correlation_id_from_request,
    count,
    count_by,
    instrumented,
    logger,
    tracer,
)
from onboarding.adapters.source_limits import SourceLimits
from onboarding.adapters.users import UsersTable
from onboarding.domain.clock import now_iso
from onboarding.domain.identity import user_id_for
from onboarding.domain.metric_catalog import REGISTRATIONS, REJECTIONS
from onboarding.domain.model import RequestRejected, parse_registration
from onboarding.domain.notice import notice_request
from onboarding.domain.source_limit import source_of
from onboarding.domain.status import Status

MAX_BODY_BYTES = 8 * 1024
JSON_TYPE = "application/json"

app = APIGatewayHttpResolver()


def _json_response(
    status: int, body: dict[str, Any], correlation_id: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        status_code=status,
        content_type=JSON_TYPE,
        body=json.dumps(body),
        headers={CORRELATION_HEADER: correlation_id, **(headers or {})},
    )


def _check_content_type(headers: dict[str, str]) -> None:
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    media_type, _, parameters = value.partition(";")
    charset = parameters.strip().lower().removeprefix("charset=").strip('"')
    if media_type.strip().lower() != JSON_TYPE or charset not in ("", "utf-8"):
        raise RequestRejected(415, "content-type", f"must be {JSON_TYPE} (UTF-8)")


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        raw = body.encode("utf-8")
    else:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise RequestRejected(400, "body", "is not valid base64") from None
    if len(raw) > MAX_BODY_BYTES:
        raise RequestRejected(413, "body", f"must be at most {MAX_BODY_BYTES} bytes")
    return raw


def _correlation_id() -> str:
    event = app.current_event
    return correlation_id_from_request(event.headers or {}, event.request_context.request_id)


@app.exception_handler(RequestRejected)
def _rejected(error: RequestRejected) -> Response:
    logger.info("registration rejected", extra={"status": error.status, "field": error.field})
    count_by(REJECTIONS, str(error.status))
    return _json_response(error.status, error.as_body(), _correlation_id(), error.headers)


@app.post("/register")
@tracer.capture_method
def register_user() -> Response:
    """Count the source, screen the request, then create the pending user, answer a retry
    again, or ask for the notice to a registered address: one answer for all three."""
    correlation_id = _correlation_id()
    logger.set_correlation_id(correlation_id)
    event = app.current_event
    _admit_source(event.request_context.http.source_ip)
    _check_content_type(event.headers or {})
    request, email = parse_registration(_raw_body(event.raw_event))
    user_id = user_id_for(email.address)
    logger.append_keys(user_id=user_id)
    registration = {"email": request.email, "name": request.name, "phone": request.phone}
    pending = {**registration, "correlation_id": correlation_id, "created_at": now_iso()}
    users = UsersTable()
    created, stored = users.create_pending({"user_id": user_id, **pending})
    if created or _same_registration(stored, registration):
        first = pending if created or stored is None else {**pending, **stored}
        # The pending entry (enrich writes it too, idempotently): a retry's is a no-op.
        AuditLog().record(user_id, Status.PENDING, first["correlation_id"], at=first["created_at"])
        if created:
            count(REGISTRATIONS)
        logger.info("registered" if created else "registration retried")
    else:
        asked = users.request_notice(user_id, notice_request(_now()))
        logger.info("registration of a registered address", extra={"notice_requested": asked})
    return _json_response(202, {"user_id": user_id, "status": str(Status.PENDING)}, correlation_id)


def _same_registration(stored: dict[str, Any] | None, registration: dict[str, str]) -> bool:
    """True for a retry: the stored row holds exactly these fields as sent."""
    return stored is not None and all(stored.get(k) == v for k, v in registration.items())


def _admit_source(source_ip: str) -> None:
    """Count this request on its source's window; 429 with ``Retry-After`` when over."""
    retry_after = SourceLimits().admit(source_of(source_ip))
    if retry_after is not None:
        raise RequestRejected(
            429,
            "source",
            f"too many registrations from this address: retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


def _now() -> datetime:
    return datetime.now(UTC)


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (``onboarding.handlers.register.handler``)."""
    return app.resolve(event, context)
