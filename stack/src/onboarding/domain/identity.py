"""The user id: derived from the email, so a second registration of it cannot make a second user.

``user_id = uuid5(USER_ID_NAMESPACE, lower-cased normalised email)``. Register writes the row
with ``PutItem ... ConditionExpression attribute_not_exists(user_id)``: the duplicate check and
the write are one request, one write unit (the item is under 1 KB). A rejected duplicate is
also billed one write unit (DynamoDB bills failed conditional writes). The alternatives cost
more: a GSI on email plus a query (an extra write unit on every registration for the index,
and a read, and still racy), or a transaction with a separate email-uniqueness item (two
items, each transactional write billed double: four write units).

The id is pseudonymous, not secret: anyone who knows an email can compute it.
"""

import uuid

# Fixed forever: changing it would give existing users new ids.
USER_ID_NAMESPACE = uuid.UUID("6f1c2a7e-3b0d-5e8a-9c41-0a7d2f5b9e13")


def user_id_for(email: str) -> str:
    """The stable user id of ``email`` (case-insensitive).

    >>> user_id_for("Ada@Example.com") == user_id_for("ada@example.com")
    True
    """
    return str(uuid.uuid5(USER_ID_NAMESPACE, email.strip().lower()))
