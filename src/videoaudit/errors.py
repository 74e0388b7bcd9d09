"""Errors a user can act on: one line that names the item and the cause, no traceback.

:class:`WorkspaceError` is what the workspace raises for a problem with the workspace itself
(missing, a file, another format version, an unreadable or foreign table, no space left, read
only); the command line prints ``str(e)`` and exits 1 (``--debug`` shows the traceback).
:func:`explain` turns the low-level errors that reach the command line (OSError, Arrow and
Lance errors, whose text names Rust source files and temporary files) into such a line.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path


class WorkspaceError(RuntimeError):
    """A problem with the workspace as a whole; ``str()`` is one actionable line."""


class WorkspaceMissing(WorkspaceError):
    """A command that only reads was pointed at a path holding no workspace."""


_OS_CAUSES = {
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EDQUOT: "disk quota exceeded",
}
# Lance / object_store spell OS errors inside their own messages
_OS_PATTERNS = [(re.compile(r"os error (\d+)"), None),
                (re.compile(r"No space left on device", re.I), errno.ENOSPC),
                (re.compile(r"Read-only file system", re.I), errno.EROFS),
                (re.compile(r"Permission denied", re.I), errno.EACCES)]


def os_errno(exc: BaseException) -> int | None:
    """The errno behind ``exc``: its own, or the one a Lance / Arrow message spells out."""
    if isinstance(exc, OSError) and exc.errno in _OS_CAUSES:
        return exc.errno
    text = str(exc)
    for pattern, code in _OS_PATTERNS:
        m = pattern.search(text)
        if m:
            code = code if code is not None else int(m.group(1))
            if code in _OS_CAUSES:
                return code
    return None


def clean_message(text: str) -> str:
    """A Lance / Arrow message without its Rust source location and bug-report boilerplate, on one line."""
    text = re.sub(r",?\s*/\S+\.rs:\d+:\d+", "", text)
    text = re.sub(r"Encountered internal error\. Please file a bug report at \S+\s*", "", text)
    text = re.sub(r"^(lance error|LanceError\(\w+\)):\s*", "", text.strip())
    text = " ".join(text.split())
    return text[:300] + ("..." if len(text) > 300 else "")


def storage_error(root: str | Path, exc: BaseException) -> WorkspaceError | None:
    """A WorkspaceError for a full disk, a read-only workspace or a permission problem, else None."""
    code = os_errno(exc)
    if code is None:
        return None
    return WorkspaceError(f"cannot write the workspace {Path(root)}: {_OS_CAUSES[code]} "
                          f"({clean_message(str(exc))})")


def explain(exc: BaseException, root: str | Path | None = None) -> str | None:
    """One line for an error that reached the command line, or None when it is a plain bug."""
    from .ingest import SourceError
    from .lock import WorkspaceLocked
    from .manifest import ManifestError

    if isinstance(exc, (WorkspaceError, WorkspaceLocked, ManifestError, SourceError)):
        return str(exc)
    if root is not None:
        err = storage_error(root, exc)
        if err is not None:
            return str(err)
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot access{where}: {exc.strerror}"
    name = type(exc).__name__
    if name in ("ArrowInvalid", "ArrowIOError", "ArrowTypeError") or "lance" in str(exc).lower():
        return f"{name}: {clean_message(str(exc))}"
    return None


def unreadable_table(name: str, path, exc: Exception) -> "WorkspaceError":
    """The one-line error for a workspace table Lance cannot open (corrupt, truncated, foreign)."""
    return WorkspaceError(f"workspace table {name} ({path}) is unreadable: {clean_message(str(exc))}; "
                          "move it away to recompute it, or re-ingest into a new workspace")
