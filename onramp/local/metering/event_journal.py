"""An append-only list of events kept on disk, so a long local run's memory stays flat.

The recorder logs about ten events per onboarding (invocations with their results, metered
AWS calls, API requests); held in memory they grew with every onboarding for the life of the
run. Here each event is pickled to an unlinked temporary file as it arrives and
read back only when a measurement or an export asks for it.

Example::

    journal: EventJournal[AwsCall] = EventJournal()
    journal.append(call)
    calls = [c for c in journal if c.at in window]
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class EventJournal(Generic[T]):
    """Thread-safe append and iterate (oldest first); the file goes when the journal does."""

    def __init__(self) -> None:
        # Owned for the journal's life: already unlinked, the space is freed when it is collected.
        self._file = tempfile.TemporaryFile(prefix="onramp-events-")  # noqa: SIM115
        self._lock = threading.Lock()
        self._count = 0

    def append(self, event: T) -> None:
        """Add one picklable event."""
        data = pickle.dumps(event, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._file.write(data)
            self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        with self._lock:
            self._file.flush()  # here, not per append: appends stay in the buffer until read
            data = os.pread(self._file.fileno(), self._file.tell(), 0)
        stream = io.BytesIO(data)
        while stream.tell() < len(data):
            yield pickle.load(stream)
