"""Private key files: created 0600, and never trusted or reused when others may touch them.

The local JWT issuer key signs every token the local authorizer accepts: whoever can write
the file can plant a key and mint tokens, whoever can read it can mint them. So an existing
file must be a regular file (not a symlink), owned by this user, with no group or other
permission bits; a new one is created with mode 0600 (``O_CREAT``, ``O_NOFOLLOW``), and
the opened file is checked again, so a file swapped in between is refused too.

Example::

    check_key_file(Path("key.pem"), "--jwt-key")            # UsageError if unsafe
    write_private_key(Path("key.pem"), pem, "--jwt-key")     # 0600
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kernel.errors import UsageError

OWNER_ONLY = 0o600


def check_key_file(path: Path, flag: str) -> None:
    """UsageError unless ``path`` is absent or a regular file only its owner (us) can use."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot inspect ({exc.strerror})") from None
    _check(info, path, flag)


def write_private_key(path: Path, pem: bytes, flag: str) -> None:
    """Write ``pem`` to ``path``, created 0600 if new; refuse a file others may touch."""
    check_key_file(path, flag)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, OWNER_ONLY)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write the key ({exc.strerror})") from None
    with os.fdopen(descriptor, "wb") as out:
        _check(os.fstat(out.fileno()), path, flag)
        out.truncate()
        out.write(pem)


def _check(info: os.stat_result, path: Path, flag: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{flag} {path}: not a regular file (a symlink?); refusing it for a key")
    if info.st_uid != os.getuid():
        raise UsageError(f"{flag} {path}: owned by another user; refusing it for a key")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise UsageError(
            f"{flag} {path}: mode {mode:04o} lets others read or write the key; "
            "it must be 0600 (chmod 600)"
        )
