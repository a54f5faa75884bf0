"""DynamoDB stream event sources: Lambda's filtering, batching, retries and the polling pumps."""
