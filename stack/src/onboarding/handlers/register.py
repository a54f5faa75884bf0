"""``POST /register`` (HTTP API payload v2.0): screen the body, write the pending user, 202.

Answers: 202 ``{"user_id", "status": "pending"}``; 400 malformed/invalid body; 409 email
already registered by another registration; 413 body over :data:`MAX_BODY_BYTES`; 415 not
``application/json``. A retry of the same registration (same email, name and phone: a client
whose reply was lost to a 5xx or a timeout) is answered 202 again with the same user id and
the user's current status; nothing is written twice.
Every error body is ``{"error": "...", "field": "..."}`` and nothing is written for it.
Duplicates: see :mod:`onboarding.domain.identity` (one conditional put, one write unit).
"""

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from onboarding.adapters.observability import (
    CORRELATION_HEADER,
    correlation_id_from_request,
    count,
    count_by,
    instrumented,
    logger,
    tracer,
)
from onboarding.adapters.users import UsersTable
from onboarding.domain.clock import now_iso
from onboarding.domain.identity import user_id_for
from onboarding.domain.metric_catalog import REGISTRATIONS, REJECTIONS
from onboarding.domain.model import RequestRejected, parse_registration
from onboarding.domain.status import Status

MAX_BODY_BYTES = 8 * 1024
JSON_TYPE = "application/json"

app = APIGatewayHttpResolver()


def _json_response(status: int, body: dict[str, Any], correlation_id: str) -> Response:
    return Response(
        status_code=status,
        content_type=JSON_TYPE,
        body=json.dumps(body),
        headers={CORRELATION_HEADER: correlation_id},
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
    return _json_response(error.status, error.as_body(), _correlation_id())


@app.post("/register")
@tracer.capture_method
def register_user() -> Response:
    """Screen the request, then create the pending user (or 409 if the email exists)."""
    correlation_id = _correlation_id()
    logger.set_correlation_id(correlation_id)
    event = app.current_event
    _check_content_type(event.headers or {})
    request, email = parse_registration(_raw_body(event.raw_event))
    user_id = user_id_for(email.address)
    logger.append_keys(user_id=user_id)
    registration = {"email": request.email, "name": request.name, "phone": request.phone}
    created, stored = UsersTable().create_pending(
        {
            "user_id": user_id,
            **registration,
            "correlation_id": correlation_id,
            "created_at": now_iso(),
        }
    )
    if not created:
        if stored is None or any(stored.get(k) != v for k, v in registration.items()):
            raise RequestRejected(409, "email", "is already registered")
        logger.info("registration retried")  # the first reply was lost: answer it again
        return _json_response(202, {"user_id": user_id, "status": stored["status"]}, correlation_id)
    count(REGISTRATIONS)
    logger.info("registered")
    return _json_response(202, {"user_id": user_id, "status": str(Status.PENDING)}, correlation_id)


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (``onboarding.handlers.register.handler``)."""
    return app.resolve(event, context)
