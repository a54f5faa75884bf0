"""What moto's stores hold that no cheap AWS call returns: the emails SES accepted and the
messages waiting in a queue (read in place, so nothing is received or hidden).

These read the stores of the process moto runs in (``aws_process`` answers them for the
runtime).

Example::

    sent_emails()   # [{"message_id": ..., "source": ..., "to": [...], "subject": ..., "body": ...}]
    queued_messages(["onramp-enrich-dlq"])   # the bodies, oldest first
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moto.ses.models import ses_backends
from moto.sqs.models import sqs_backends

from onramp.local.aws.server import ACCOUNT_ID, REGION


def sent_emails() -> list[dict[str, Any]]:
    """The emails SES accepted: message id, source, destinations, subject, body."""
    emails = []
    for message in list(ses_backends[ACCOUNT_ID][REGION].sent_messages):
        emails.append(
            {
                "message_id": getattr(message, "id", ""),
                "source": getattr(message, "source", ""),
                "to": recipients(message),
                "subject": getattr(message, "subject", ""),
                "body": getattr(message, "body", getattr(message, "raw_data", "")),
            }
        )
    return emails


def recipients(message: Any) -> list[str]:
    """The addresses of a message moto's SES stored (a simple or a raw one)."""
    destinations = getattr(message, "destinations", None) or {}
    if isinstance(destinations, dict):
        return [a for addresses in destinations.values() for a in addresses]
    return list(destinations)


def sent_email_count() -> int:
    """How many emails SES accepted."""
    return len(ses_backends[ACCOUNT_ID][REGION].sent_messages)


def queued_messages(queue_names: Iterable[str]) -> list[str]:
    """The bodies of the messages in those queues, left in place."""
    backend = sqs_backends[ACCOUNT_ID][REGION]
    return [
        message.body for name in queue_names for message in list(backend.get_queue(name)._messages)
    ]
