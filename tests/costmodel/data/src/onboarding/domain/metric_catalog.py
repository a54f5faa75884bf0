"""A fixed metric table for the test template (``CodeUri: src/``): 8 series, whatever the
real one (stack/src/onboarding/domain/metric_catalog.py) becomes, so bills can be computed by
hand."""

FIXED_SERIES = 8
PER_STREAM_FUNCTION = 2


def series_count(stream_functions: int) -> int:
    """8 series plus 2 per stream function (the test template's functions have no stream)."""
    return FIXED_SERIES + PER_STREAM_FUNCTION * stream_functions
