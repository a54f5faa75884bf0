"""The local HTTP API: API Gateway's routes, payload 2.0, JWT authorizer, admin endpoints."""
