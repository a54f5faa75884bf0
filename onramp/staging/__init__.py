"""Staging: read a deployed stack's figures back from CloudWatch and reconcile with the bill.

``onramp measure`` writes the same measurement.json as the embedded stack (source
``cloudwatch``); ``onramp cost actuals`` compares Cost Explorer's figures with the model.
"""
