"""Where a running ``onramp up`` is: a small JSON file the other commands find it by.

``onramp up`` writes it once serving (its pid, the API, console and moto URLs) and removes it
when it stops; ``onramp status`` and ``onramp replay-dlq`` read it when no ``--url`` is
given, so a runtime on another port (``--port 0``) is found without being told. A file whose
process is gone (a crash, ``kill -9``) is ignored. The path is
``$ONRAMP_STATE_FILE``, else ``<tmp>/onramp-up-<uid>.json``.

Example::

    write({"api_url": "http://127.0.0.1:3000", ...})   # by onramp up
    (read() or {}).get("api_url")                      # by onramp status
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

VARIABLE = "ONRAMP_STATE_FILE"


def path() -> Path:
    """The state file of this user (``$ONRAMP_STATE_FILE`` overrides)."""
    configured = os.environ.get(VARIABLE)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"onramp-up-{os.getuid()}.json"


def write(urls: dict[str, str]) -> Path:
    """Record this process as the running ``onramp up`` with its ``urls``; the path written."""
    target = path()
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps({"pid": os.getpid(), **urls}, indent=1) + "\n")
    temporary.replace(target)  # a reader never sees half a file
    return target


def read() -> dict[str, Any] | None:
    """The running ``onramp up``'s record; None when there is none or its process is gone."""
    try:
        state = json.loads(path().read_text())
        os.kill(int(state["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if isinstance(state, dict) else None


def remove() -> None:
    """Remove the file if this process wrote it (another ``onramp up`` may have since)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if json.loads(path().read_text())["pid"] == os.getpid():
            path().unlink()
