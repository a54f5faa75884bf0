"""onramp's onboarding Lambda functions (SAM ``CodeUri: src/``, ``onboarding.<module>.handler``).

Handlers: ``register`` (HTTP API), ``enrich`` and ``provision`` (DynamoDB stream), ``datalake``
(optional DynamoDB stream). Pure domain rules live in ``status``, ``validation`` and ``identity``
(no AWS imports); AWS access goes through small adapters whose boto3 clients are created lazily.
"""
