"""onramp: the serverless onboarding pipeline, its embedded local AWS, load tests and cost model."""

__version__ = "0.1.0"
