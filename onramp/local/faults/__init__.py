"""Fault injection for the embedded stack: the plan and the worker's botocore hooks."""
