"""Metering a local run: AWS's capacity rules, the event journal, the recorder of
measurement.json."""
