"""A Users-shaped table on a running moto server, for the embedded-runtime tests."""

import boto3

from onramp.local.aws.server import MotoServer


def create_table(server: MotoServer, name: str = "users", streamed: bool = True) -> None:
    """An on-demand table keyed by ``id``, streaming NEW_AND_OLD_IMAGES when ``streamed``."""
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    boto3.client("dynamodb", endpoint_url=server.endpoint_url).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **({"StreamSpecification": stream} if streamed else {}),
    )
