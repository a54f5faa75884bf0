"""The embedded AWS: moto's server, the local HTTP API, the Lambda runtime, stream pumps, faults,
metering."""
