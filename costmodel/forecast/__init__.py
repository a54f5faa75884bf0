"""Forecast: scenarios from a measurement, break-even, projection, Monte Carlo, sensitivity, the
article's figures."""
