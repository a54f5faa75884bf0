"""The whole pipeline, hop by hop, with every stream batch delivered twice (at least once)."""

import json

from onboarding.adapters.mailer import NOTICE_SUBJECT, WELCOME_SUBJECT
from onboarding.handlers import datalake, enrich, provision, register
from onboarding_events import VALID_BODY, api_request, stream_event, stream_record

REGISTRATIONS = [
    ({**VALID_BODY, "email": "ada@example.com"}, 202),
    ({**VALID_BODY, "email": "grace@example.org", "name": "Grace Hopper"}, 202),
    ({**VALID_BODY, "email": "linus@example.net", "phone": "+1 555 555 5555"}, 202),
    ({**VALID_BODY, "email": "eve@blocked.example"}, 202),
    ({**VALID_BODY, "email": "ADA@EXAMPLE.COM"}, 202),  # registered: the same answer
    ({**VALID_BODY, "phone": "not a phone"}, 400),
]


def deliver_twice(handler, records, lambda_context):
    event = stream_event(*records)
    for _ in range(2):
        assert handler(event, lambda_context) == {"batchItemFailures": []}


def test_pipeline_end_to_end_with_redelivery(aws, lambda_context, monkeypatch, log_output):
    monkeypatch.setenv("ALLOWED_EMAIL_DOMAINS", "example.com,example.org,example.net")
    for body, status in REGISTRATIONS:
        headers = {"x-correlation-id": f"corr-{body['email'].split('@')[0].lower()}"}
        response = register.handler(api_request(body, headers=headers), lambda_context)
        assert response["statusCode"] == status, response["body"]

    pending = aws.users()
    assert len(pending) == 4
    inserted = [stream_record(user, sequence=i) for i, user in enumerate(pending)]
    deliver_twice(enrich.handler, inserted, lambda_context)

    after_enrich = {u["user_id"]: u for u in aws.users()}
    became_processing = [
        stream_record(after_enrich[u["user_id"]], old_image=u, sequence=10 + i)
        for i, u in enumerate(pending)
        if after_enrich[u["user_id"]]["status"] == "processing"
    ]
    deliver_twice(provision.handler, became_processing, lambda_context)

    final = {u["user_id"]: u for u in aws.users()}
    completed = [  # the audit stream's inserts of completed entries (DataLake's source)
        stream_record(entry, sequence=20 + i)
        for i, entry in enumerate(e for e in aws.audit() if e["status"] == "completed")
    ]
    assert len(completed) == 2
    deliver_twice(datalake.handler, completed, lambda_context)

    outcome = sorted((u["email"], u["status"], u.get("failure_reason")) for u in final.values())
    assert outcome == [
        ("ada@example.com", "completed", None),
        ("eve@blocked.example", "failed", "domain_not_allowed"),
        ("grace@example.org", "completed", None),
        ("linus@example.net", "failed", "invalid_phone"),
    ]
    sent = sorted((m.subject, m.destinations["ToAddresses"][0]) for m in aws.sent_emails())
    assert sent == [  # delivered twice: still one welcome each, and one notice to Ada
        (WELCOME_SUBJECT, "ada@example.com"),
        (WELCOME_SUBJECT, "grace@example.org"),
        (NOTICE_SUBJECT, "ada@example.com"),  # the second registration of her address
    ]
    assert len(aws.pool_users()) == 2
    assert len(aws.keys("onramp-test-userspaces")) == 2
    assert len(aws.audit()) == 2 * 3 + 2 * 2  # completed: 3 entries each, failed: 2 each
    for user in final.values():
        expected = f"corr-{user['email'].split('@')[0].lower()}"
        assert {a["correlation_id"] for a in aws.audit(user["user_id"])} == {expected}
    [lake_key] = aws.keys("onramp-test-lake")
    lake = aws.s3.get_object(Bucket="onramp-test-lake", Key=lake_key)["Body"].read().decode()
    assert len(lake.splitlines()) == 2
    logs = log_output.getvalue()
    for secret in ("ada@", "grace@", "Lovelace", "Hopper", "7946", "555 5555"):
        assert secret not in logs and secret not in lake
    assert json.loads(logs.splitlines()[-1])["correlation_id"].startswith("corr-")
