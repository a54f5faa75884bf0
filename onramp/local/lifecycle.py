"""How ``onramp up`` stops: on SIGINT or SIGTERM, on ``--duration``, or when its AWS dies.

The handlers are installed explicitly, so a run started from a script with ``&`` (whose
SIGINT a non-interactive shell sets to "ignore", which Python would otherwise keep) stops
on Ctrl-C or ``kill -INT`` like any other. The first signal asks for a drain (the API
answers 503, the pipeline settles, the summary is printed); a second one stops at once.

Example::

    with StopSignals() as signals:
        while not signals.drain_requested.wait(0.1): ...
        if signals.stop_now.is_set(): ...
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """SIGINT and SIGTERM as two events: the first sets ``drain_requested``, the next
    ``stop_now``. Restores the previous handlers on exit."""

    def __init__(self) -> None:
        self.drain_requested = threading.Event()
        self.stop_now = threading.Event()
        self.received: list[str] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signal.Signals(signum).name)
        if self.drain_requested.is_set():
            self.stop_now.set()
        self.drain_requested.set()
