"""The Lambda runtime: handlers in worker subprocesses, as execution environments."""
