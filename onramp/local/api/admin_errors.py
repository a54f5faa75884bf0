"""What an admin view raises for a request it cannot answer: the HTTP API turns each into a
JSON error naming the problem (``{"message": ...}``).

Example::

    raise NotFound("no user u-123 in the Users table")        # 404
    raise BadQuery("limit: must be an integer, not 'ten'")     # 400
"""


class NotFound(LookupError):
    """404: the id (or view) the request names does not exist."""


class BadQuery(ValueError):
    """400: a query parameter that is unknown or malformed."""
