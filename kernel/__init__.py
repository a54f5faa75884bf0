"""The shared kernel every package imports downward: errors, the SAM template reader, run
directories."""
