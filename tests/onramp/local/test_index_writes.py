"""The traffic meter's global-secondary-index writes, by DynamoDB's rules (developer guide,
"Global secondary indexes", writes: an item gaining the index key is one index write, losing
it one, changing its value two; an item without the key is in no index: a sparse index)."""

import boto3
import pytest
from moto import mock_aws

from onramp.local.aws.server import REGION
from onramp.local.aws.traffic import _index_write_units
from tests.users_table import users_table

TABLE = "users"


@pytest.fixture
def table_with_sparse_index(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(**users_table(TABLE))
        yield


def user(**fields):
    base = {"user_id": {"S": "u-1"}, "created_at": {"S": "2026-12-01T10:00:00.000+00:00"}}
    return {**base, **{k: {"S": v} for k, v in fields.items()}}


@pytest.mark.parametrize(
    ("old", "new", "units"),
    [
        (None, user(status="pending", in_flight="pending"), 1),  # the pending put
        (user(in_flight="pending"), user(in_flight="processing"), 2),  # key changes
        (user(in_flight="processing"), user(in_flight="processing", name="Ada"), 0),  # keys only
        (user(in_flight="processing"), user(status="completed"), 1),  # settled: removed
        (user(status="completed"), user(status="completed", name="Ada"), 0),  # not in the index
    ],
)
def test_index_writes_follow_the_in_flight_key(table_with_sparse_index, old, new, units):
    assert _index_write_units(TABLE, old, new, transactional=False) == units
