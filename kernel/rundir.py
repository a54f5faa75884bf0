"""A fresh run directory under runs/: ``<UTC timestamp>-<random suffix>``, never reused.

Example::

    run_id, run_dir = new_run_dir(Path("runs"))   # ("20261129T101500Z-ab12", runs/2026...)
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from kernel.errors import UsageError


def new_run_id(now: datetime | None = None) -> str:
    """``20261129T101500Z-ab12``: sortable by time, unique by its suffix."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(2)}"


def new_run_dir(root: Path) -> tuple[str, Path]:
    """Create ``root/<run id>`` (exclusive: an existing directory is never overwritten)."""
    for _ in range(100):
        run_id = new_run_id()
        run_dir = root / run_id
        try:
            run_dir.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(f"--out {root}: cannot create {run_dir}: {exc.strerror}") from exc
        return run_id, run_dir
    raise UsageError(f"--out {root}: no free run directory name")
