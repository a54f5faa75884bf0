"""The one error type every CLI command raises for bad input: printed as one line, exit 2."""


class UsageError(Exception):
    """Bad input from the user (a missing file, a malformed file, a wrong flag value).

    The CLI prints ``onramp: error: <message>`` and exits with status 2; never a traceback.
    The message must name the bad file, flag or key.
    """
