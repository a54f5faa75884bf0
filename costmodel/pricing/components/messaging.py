"""Messaging: SES outbound email (a la carte or a plan) and SQS standard queues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costmodel.pricing.arithmetic import Arithmetic
from costmodel.pricing.components import Metered, Service, metered, number, steps

SES_PLANS = ("a-la-carte", "essentials")
SQS_CHUNK_KB = 64


def meter_ses(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """A la carte: per recipient; Essentials plan: per email. Attachments per GB."""
    if usage["ses_plan"] == "essentials":
        sent = ("essentials_emails", resource["recipients"])
    else:
        sent = ("recipients", resource["recipients"])
    return metered(num, sent, ("attachments", resource["attachments_gb"]))


def meter_sqs(
    resource: Mapping[str, Any], usage: Mapping[str, Any], num: Arithmetic
) -> list[Metered]:
    """SQS requests, each 64 KB chunk of a payload billed as one request."""
    chunks = steps(resource["message_size_kb"], SQS_CHUNK_KB, num)
    return metered(num, ("requests", resource["requests"] * chunks))


SES = Service(
    "ses",
    {
        "recipients": number(doc="recipients (a la carte) or emails (plan)"),
        "attachments_gb": number(),
    },
    meter_ses,
)
SQS = Service(
    "sqs",
    {"requests": number(), "message_size_kb": number(doc="mean payload size, 64 KB chunks")},
    meter_sqs,
)
