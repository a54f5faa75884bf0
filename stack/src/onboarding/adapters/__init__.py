"""AWS calls and runtime: boto3 clients, tables, S3/IAM, SES, the lookup provider, settings,
observability."""
