"""A file as it was at a git revision, with its folder around it: ``git:REF:PATH`` sources.

The file's whole folder at REF is extracted (``git archive``), so what the file refers to
relatively (a SAM template's ``CodeUri: src/``) is there as it was at REF too. PATH is relative
to the repository's top level, as in ``git show REF:PATH``.

Example::

    with TemporaryDirectory() as tmp:
        template = export_file("origin/main", "stack/template.yaml", Path(tmp))
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path, PurePosixPath

from kernel.errors import UsageError

PREFIX = "git:"


def parse_git_source(text: str) -> tuple[str, str] | None:
    """``git:REF:PATH`` -> (REF, PATH); None for anything else (a ref never holds a colon)."""
    if not text.startswith(PREFIX):
        return None
    ref, sep, path = text[len(PREFIX) :].partition(":")
    if not ref or not sep or not path:
        raise UsageError(f"{text}: expected git:REF:PATH, e.g. git:origin/main:stack/template.yaml")
    return ref, path


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise UsageError(f"git: cannot run it ({exc.strerror})") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"]
        raise UsageError(f"git {args[0]}: {message[0]}")
    return done.stdout


def export_file(ref: str, path: str, into: Path, repo: Path | None = None) -> Path:
    """Extract ``path``'s folder at ``ref`` into ``into``; the extracted file's path.

    ``repo`` is any folder inside the repository (default: the current directory).
    """
    top = Path(_git(["rev-parse", "--show-toplevel"], repo or Path.cwd()).decode().strip())
    folder = str(PurePosixPath(path).parent)
    archive = _git(["archive", "--format=tar", ref, "--", folder], top)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: refuse links and paths out
            tar.extractall(into, filter="data")
        else:  # git archive of the repository itself writes plain files under ``into``
            tar.extractall(into)
    target = into / path
    if not target.is_file():
        raise UsageError(f"git:{ref}:{path}: no such file at {ref}")
    return target
