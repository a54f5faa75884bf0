"""Per-invocation capture of what handlers write to stdout/stderr (Lambda's log stream).

``install()`` swaps ``sys.stdout``/``sys.stderr`` for thread-aware proxies. A thread that
called ``begin()`` has its writes counted (and sent to ``sink``, or dropped); every other
thread writes through to the original stream. Install before the handler modules are
imported: Powertools' Logger keeps a reference to the ``sys.stdout`` it saw at creation.

Example::

    capture = LogCapture(); capture.install()
    capture.begin(); print("hello"); n = capture.end()     # n == 6
    capture.uninstall()
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO


class _Proxy:
    def __init__(self, capture: LogCapture, original: TextIO) -> None:
        self._capture = capture
        self._original = original

    def write(self, text: str) -> int:
        if not self._capture.record(text):
            return self._original.write(text)
        return len(text)

    def flush(self) -> None:
        self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class LogCapture:
    """Counts the bytes each invocation thread writes to stdout/stderr."""

    def __init__(self, sink: TextIO | None = None) -> None:
        self._local = threading.local()
        self._sink = sink
        self._sink_lock = threading.Lock()
        self._originals: tuple[TextIO, TextIO] | None = None

    def install(self) -> None:
        """Replace sys.stdout/sys.stderr with counting proxies."""
        self._originals = (sys.stdout, sys.stderr)
        sys.stdout = _Proxy(self, sys.stdout)  # type: ignore[assignment]
        sys.stderr = _Proxy(self, sys.stderr)  # type: ignore[assignment]

    def uninstall(self) -> None:
        """Put the original streams back."""
        if self._originals is not None:
            sys.stdout, sys.stderr = self._originals
            self._originals = None

    def begin(self) -> None:
        """Start counting this thread's writes."""
        self._local.bytes = 0

    def end(self) -> int:
        """Stop counting this thread's writes; return the UTF-8 bytes written since ``begin``."""
        written = getattr(self._local, "bytes", 0)
        self._local.bytes = None
        return written

    def record(self, text: str) -> bool:
        """Count ``text`` if this thread is capturing; False means "not mine, write through"."""
        if getattr(self._local, "bytes", None) is None:
            return False
        self._local.bytes += len(text.encode("utf-8", "replace"))
        if self._sink is not None:
            with self._sink_lock:
                self._sink.write(text)
        return True
