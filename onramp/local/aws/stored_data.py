"""How much memory the embedded AWS's stored data takes: rows, objects, pool users, messages.

The embedded AWS keeps what the pipeline stores (DynamoDB rows and stream records, S3
objects, Cognito users, sent emails, queued messages) in moto's stores, in memory, where AWS
keeps it on its own disks. A soak grows that data by design: `onramp bench --only soak`
reports it next to the AWS process's RSS (``aws_process`` answers ``stored_data`` from these
stores). Sizes are ``sys.getsizeof`` summed over every object reachable from the stores
(strings, dicts, moto's models), each counted once and rounded as the allocator rounds it;
free space inside the allocator's pools is not included, so the figure is a lower bound.

``clear_stored_data`` empties the same stores (not the stream records, which stream
retention trims once every reader has settled them): the soak's second leg shows whether the
memory the data took is used again once it is gone.

Example::

    by_store = stored_data_bytes()   # {"dynamodb items": 5_112_000, "s3 objects": ...}
    clear_stored_data()              # tables, buckets and pools stay, empty
"""

from __future__ import annotations

import gc
import sys
import types
from collections.abc import Iterable
from typing import Any

from moto.cognitoidp.models import cognitoidp_backends
from moto.core.base_backend import BaseBackend
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends
from moto.ses.models import ses_backends
from moto.sqs.models import sqs_backends

from onramp.local.aws.server import ACCOUNT_ID, REGION

ALIGNMENT = 16
SMALL_REQUEST_THRESHOLD = 512
"""pymalloc serves requests up to 512 bytes from its pools (CPython 3.8+, 64-bit)."""

_NOT_DATA = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    BaseBackend,
)


def stored_data_bytes() -> dict[str, int]:
    """Bytes held per store of this process's moto backends (account and region of the stack)."""
    tables = list(dynamodb_backends[ACCOUNT_ID][REGION].tables.values())
    seen: set[int] = set()
    return {
        "dynamodb items": _size([t.items for t in tables], seen),
        "dynamodb stream records": _size(
            [t.stream_shard.items for t in tables if t.stream_shard is not None], seen
        ),
        "s3 objects": _size(
            [
                *(b.keys for b in s3_backends[ACCOUNT_ID]["aws"].buckets.values()),
                s3_backends[ACCOUNT_ID]["aws"].tagger.tags,
            ],
            seen,
        ),
        "cognito users": _size(
            [p.users for p in cognitoidp_backends[ACCOUNT_ID][REGION].user_pools.values()], seen
        ),
        "ses messages": _size([ses_backends[ACCOUNT_ID][REGION].sent_messages], seen),
        "sqs messages": _size(
            [q._messages for q in sqs_backends[ACCOUNT_ID][REGION].queues.values()], seen
        ),
    }


def clear_stored_data() -> None:
    """Empty every store ``stored_data_bytes`` measures but the stream records; the tables,
    buckets, pools and queues themselves stay."""
    for table in dynamodb_backends[ACCOUNT_ID][REGION].tables.values():
        table.items.clear()
    s3 = s3_backends[ACCOUNT_ID]["aws"]
    for bucket in s3.buckets.values():
        bucket.keys.clear()
    # an object's tags are kept by its ARN (``arn:aws:s3:::bucket/key/version``), a bucket's
    # by the bucket's: a new dict of the buckets' (a dict does not shrink as keys go)
    s3.tagger.tags = {arn: tags for arn, tags in s3.tagger.tags.items() if "/" not in arn}
    for pool in cognitoidp_backends[ACCOUNT_ID][REGION].user_pools.values():
        pool.users.clear()
    ses_backends[ACCOUNT_ID][REGION].sent_messages.clear()
    for queue in sqs_backends[ACCOUNT_ID][REGION].queues.values():
        queue._messages.clear()
    gc.collect()


def _size(roots: Iterable[Any], seen: set[int]) -> int:
    total = 0
    pending = list(roots)
    while pending:
        obj = pending.pop()
        if id(obj) in seen or isinstance(obj, _NOT_DATA):
            continue
        seen.add(id(obj))
        total += allocated_size(sys.getsizeof(obj))
        pending.extend(gc.get_referents(obj))
    return total


def allocated_size(size: int) -> int:
    """Bytes the allocator uses for an object of ``size``: pymalloc rounds requests up to 512
    bytes to its 16-byte size classes; larger ones get malloc's chunk header, 16-byte aligned."""
    rounded = -(-size // ALIGNMENT) * ALIGNMENT
    return rounded if size <= SMALL_REQUEST_THRESHOLD else rounded + ALIGNMENT
