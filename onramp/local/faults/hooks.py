"""Worker side of fault injection: botocore event hooks on boto3's default session.

``install_from_environment()`` runs in ``onramp.local.runtime.worker`` before the handler is
imported. It takes ``ONRAMP_FAULT_PLAN``/``ONRAMP_FAULT_FUNCTION`` out of the environment
(the handler never sees them) and registers, on boto3's default session, so every client
the handler creates later inherits them:

- ``aws-error``: ``before-send.<service>.<Operation>`` answers the HTTP request itself with
  AWS's error response in the service's wire protocol (query XML, REST XML, JSON), so
  botocore parses it into the real ``ClientError`` and its retry rules apply unchanged.
- ``crash``: ``after-call.<service>.<Operation>`` ends the process with ``os._exit(1)``
  once the call succeeded: the side effect is done, the status write is not.
- ``slow``: ``before-send.<service>.<Operation>`` sleeps ``ms`` and lets the request go.
- ``race``: ``after-call.dynamodb.*`` counts the conditional writes this delivery lost
  (``conditional_check_failed`` in the fault's stats), the proof that the race happened.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from onramp.local.faults.plan import (
    AWS_KINDS,
    FUNCTION_VARIABLE,
    KNOWN_ERRORS,
    PLAN_VARIABLE,
    Fault,
    FaultPlan,
)

CRASH_EXIT_CODE = 1
CONDITION_FAILED = "ConditionalCheckFailedException"


class _Body:
    """The raw-response stand-in ``botocore.awsrequest.AWSResponse`` reads its content from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        """The body in one chunk."""
        yield self._data


def error_response(protocol: str, code: str, status: int, message: str) -> tuple[dict, bytes]:
    """Headers and body of AWS's error response for ``code`` in the service's ``protocol``."""
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if protocol == "query":
        sender = "Sender" if status < 500 else "Receiver"
        headers["Content-Type"] = "text/xml"
        body = (
            f"<ErrorResponse><Error><Type>{sender}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>"
        )
    elif protocol == "rest-xml":
        headers = {"x-amz-request-id": request_id, "Content-Type": "application/xml"}
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    elif protocol == "json":
        headers["Content-Type"] = "application/x-amz-json-1.0"
        body = json.dumps({"__type": f"com.amazonaws#{code}", "message": message})
    elif protocol == "rest-json":
        headers.update({"Content-Type": "application/json", "x-amzn-ErrorType": code})
        body = json.dumps({"message": message})
    else:
        raise ValueError(f"no error response for the {protocol!r} protocol")
    return headers, body.encode()


def _error_hook(plan: FaultPlan, fault: Fault, protocol: str) -> Callable[..., Any]:
    from botocore.awsrequest import AWSResponse

    code = str(fault.code)
    status, message = KNOWN_ERRORS.get(code, (fault.status, f"injected {code}"))
    status = fault.status or status

    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        if not plan.decide(fault):
            return None
        headers, body = error_response(protocol, code, int(status), message)
        return AWSResponse(request.url, int(status), headers, _Body(body))

    return before_send


def _crash_hook(plan: FaultPlan, fault: Fault) -> Callable[..., None]:
    def after_call(http_response: Any, **_: Any) -> None:
        if http_response.status_code < 300 and plan.decide(fault):
            print(f"[onramp fault] crash after {fault.service}.{fault.operation}", file=sys.stderr)
            sys.stderr.flush()
            os._exit(CRASH_EXIT_CODE)

    return after_call


def _slow_hook(plan: FaultPlan, fault: Fault) -> Callable[..., None]:
    def before_send(**_: Any) -> None:
        if plan.decide(fault):
            time.sleep(int(fault.ms or 0) / 1000)

    return before_send


def _conflict_hook(plan: FaultPlan, fault: Fault) -> Callable[..., None]:
    def after_call(parsed: Any, **_: Any) -> None:
        if parsed.get("Error", {}).get("Code") == CONDITION_FAILED:
            plan.note(fault, "conditional_check_failed")

    return after_call


def install_from_environment() -> int:
    """Register this function's AWS faults on boto3's default session; return how many."""
    path = os.environ.pop(PLAN_VARIABLE, "")
    function = os.environ.pop(FUNCTION_VARIABLE, "")
    if not path:
        return 0
    import boto3

    plan = FaultPlan.load(path)
    boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    installed = 0
    for fault in plan.faults:
        if fault.kind == "race" and fault.applies_to(function):
            session.events.register("after-call.dynamodb", _conflict_hook(plan, fault))
            installed += 1
        if fault.kind not in AWS_KINDS or not fault.applies_to(function):
            continue
        model = session._session.get_service_model(str(fault.service))
        target = f"{model.service_id.hyphenize()}.{fault.operation}"
        if fault.kind == "aws-error":
            session.events.register(
                f"before-send.{target}", _error_hook(plan, fault, model.protocol)
            )
        elif fault.kind == "slow":
            session.events.register(f"before-send.{target}", _slow_hook(plan, fault))
        else:
            session.events.register(f"after-call.{target}", _crash_hook(plan, fault))
        installed += 1
    return installed
