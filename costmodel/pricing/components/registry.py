"""Every priced service by its usage-file name."""

from __future__ import annotations

from costmodel.pricing.components import (
    Service,
    account,
    api_gateway,
    identity,
    lambda_,
    messaging,
    monitoring,
    storage,
)

SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        lambda_.SERVICE,
        api_gateway.HTTP_API,
        api_gateway.REST_API,
        storage.DYNAMODB,
        messaging.SES,
        storage.S3,
        monitoring.CLOUDWATCH,
        messaging.SQS,
        monitoring.XRAY,
        account.KMS,
        account.BUDGETS,
        identity.COGNITO,
    )
}
