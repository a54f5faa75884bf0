"""Locust load tests for the onboarding API: payloads, shapes, a subprocess runner, thresholds.

Nothing here imports Locust except ``locustfile.py`` and ``shapes.py``, which only the Locust
subprocess loads (Locust monkey-patches the process with gevent). Library entry points:
``loadtest.runner.run_locust`` and ``loadtest.thresholds.Thresholds``.
"""
