"""Create, on moto's server, every resource of the template that the pipeline touches.

Tables (keys, indexes, stream, TTL), buckets, queues, the SES sender identities and the
sign-in resources (Cognito pools and the role they hand out: ``sign_in_resources``) are
read from the template, so local and deployed cannot drift. Each resource gets a local
physical name ``<stack>-<LogicalId>`` (lower-case for buckets); ``Ref``/``GetAtt`` values
are returned for the template ``Resolver``, which then resolves each function's environment.

Example::

    local = create_resources(template, server.internal_client, specs, {"EnableDataLake": "false"})
    local.table_names["UsersTable"]          # 'onramp-local-UsersTable'
    local.environment(spec)                  # {'USERS_TABLE': 'onramp-local-UsersTable', ...}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kernel.sam_template import FunctionSpec, Resolver
from onramp.local.aws.server import ACCOUNT_ID, REGION
from onramp.local.aws.sign_in_resources import SignInResources, create_sign_in

STACK_NAME = "onramp-local"
ClientFactory = Callable[[str], Any]


@dataclass
class LocalResources:
    """Local names of the created resources and the resolver bound to them."""

    resolver: Resolver
    table_names: dict[str, str] = field(default_factory=dict)
    stream_arns: dict[str, str] = field(default_factory=dict)
    bucket_names: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)
    sender_identities: list[str] = field(default_factory=list)
    sign_in: SignInResources = field(default_factory=SignInResources)

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        """The function's environment variables with every intrinsic resolved to local names."""
        resolved = self.resolver.resolve(spec.environment)
        return {name: _env_string(value) for name, value in resolved.items() if value is not None}

    def queue_url_for_arn(self, arn: str) -> str:
        """The local URL of the queue with this ARN (an OnFailure destination)."""
        for logical_id, queue_arn in self.queue_arns.items():
            if queue_arn == arn:
                return self.queue_urls[logical_id]
        raise KeyError(f"no local queue with ARN {arn}")

    def enabled(self, resource: Mapping[str, Any]) -> bool:
        """False when the resource's Condition is false with the current parameters."""
        condition = resource.get("Condition")
        return condition is None or self.resolver.condition(condition)


def physical_name(logical_id: str) -> str:
    """The local physical name of a resource."""
    return f"{STACK_NAME}-{logical_id}"


def create_resources(
    template: Mapping[str, Any],
    client: ClientFactory,
    specs: list[FunctionSpec],
    parameters: Mapping[str, Any] | None = None,
) -> LocalResources:
    """Create the template's tables, buckets, queues, SES identities and sign-in resources;
    return their names."""
    refs, attributes = _planned_names(template)
    refs.update(parameters or {})
    local = LocalResources(resolver=_resolver(template, refs, attributes))
    resources = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if local.enabled(resource)
    }
    dynamodb = client("dynamodb")
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::DynamoDB::Table":
            stream_arn = _create_table(dynamodb, logical_id, local.resolver.resolve(resource))
            local.table_names[logical_id] = physical_name(logical_id)
            if stream_arn:
                local.stream_arns[logical_id] = attributes[f"{logical_id}.StreamArn"] = stream_arn
        elif resource["Type"] == "AWS::S3::Bucket":
            local.bucket_names[logical_id] = refs[logical_id]
            client("s3").create_bucket(Bucket=refs[logical_id])
        elif resource["Type"] == "AWS::SQS::Queue":
            fifo = bool(local.resolver.resolve(resource.get("Properties", {}).get("FifoQueue")))
            attrs = {"FifoQueue": "true"} if fifo else {}
            url = client("sqs").create_queue(
                QueueName=attributes[f"{logical_id}.QueueName"], Attributes=attrs
            )["QueueUrl"]
            local.queue_urls[logical_id] = url
            local.queue_arns[logical_id] = attributes[f"{logical_id}.Arn"]
    local.sign_in = create_sign_in(
        resources,
        lambda value: _resolver(template, refs, attributes).resolve(value),
        client,
        refs,
        attributes,
    )
    local.resolver = _resolver(template, refs, attributes)
    local.sender_identities = _verify_senders(specs, resources, local, client("ses"))
    return local


def _planned_names(template: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ref and GetAtt values of every resource, known before anything is created."""
    refs: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    prefix = f"arn:aws:{{}}:{REGION}:{ACCOUNT_ID}:"
    for logical_id, resource in template["Resources"].items():
        name = physical_name(logical_id)
        kind = resource.get("Type", "")
        refs[logical_id] = name
        if kind == "AWS::DynamoDB::Table":
            attributes[f"{logical_id}.Arn"] = prefix.format("dynamodb") + f"table/{name}"
        elif kind == "AWS::S3::Bucket":
            refs[logical_id] = name.lower()
            attributes[f"{logical_id}.Arn"] = f"arn:aws:s3:::{name.lower()}"
            attributes[f"{logical_id}.DomainName"] = f"{name.lower()}.s3.amazonaws.com"
        elif kind == "AWS::SQS::Queue":
            fifo = resource.get("Properties", {}).get("FifoQueue") is True
            queue = name + (".fifo" if fifo else "")
            refs[logical_id] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{queue}"
            attributes[f"{logical_id}.QueueName"] = queue
            attributes[f"{logical_id}.QueueUrl"] = refs[logical_id]
            attributes[f"{logical_id}.Arn"] = prefix.format("sqs") + queue
        elif kind == "AWS::SNS::Topic":
            refs[logical_id] = prefix.format("sns") + name
            attributes[f"{logical_id}.TopicArn"] = refs[logical_id]
        elif kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            attributes[f"{logical_id}.Arn"] = prefix.format("lambda") + f"function:{name}"
        elif kind == "AWS::Serverless::HttpApi":
            refs[logical_id] = "onramplocal"
    return refs, attributes


def _resolver(
    template: Mapping[str, Any], refs: dict[str, Any], attributes: dict[str, Any]
) -> Resolver:
    return Resolver(
        template, refs, attributes, region=REGION, account=ACCOUNT_ID, stack_name=STACK_NAME
    )


def _create_table(dynamodb: Any, logical_id: str, resource: Mapping[str, Any]) -> str | None:
    """Create one table (keys, indexes, stream, TTL); return its stream ARN if it has one."""
    props = resource.get("Properties", {})
    name = physical_name(logical_id)
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if request["BillingMode"] == "PROVISIONED":
        request["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(index_kind):
            request[index_kind] = props[index_kind]
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    description = dynamodb.create_table(**request)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    return description.get("LatestStreamArn")


def _verify_senders(
    specs: list[FunctionSpec], resources: Mapping[str, Any], local: LocalResources, ses: Any
) -> list[str]:
    """Verify every SES identity the template declares or a function uses as SENDER_EMAIL."""
    identities = {
        str(local.resolver.resolve(r["Properties"]["EmailIdentity"]))
        for r in resources.values()
        if r["Type"] == "AWS::SES::EmailIdentity"
    }
    for spec in specs:
        if spec.logical_id in resources:
            sender = local.environment(spec).get("SENDER_EMAIL")
            if sender:
                identities.add(sender)
    for identity in sorted(identities):
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
    return sorted(identities)


def _env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
