"""The workspace folder itself: a folder (not a file), existing unless being created, of this format.

Kept apart from ``workspace.py`` so that ``videoaudit status`` can check its argument without
importing pyarrow (docs/performance.md, start-up).
"""

from __future__ import annotations

from pathlib import Path


def check_not_a_file(root: Path) -> None:
    from .errors import WorkspaceError

    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"workspace path {root} is a file, not a directory: give a folder (new or existing)")


def open_root(root: Path, create: bool) -> None:
    """Check (and with ``create`` make) the workspace directory; one-line WorkspaceError otherwise."""
    from .errors import WorkspaceError, WorkspaceMissing
    from .manifest import ManifestError, check_format

    check_not_a_file(root)
    if not root.exists():
        if not create:
            raise WorkspaceMissing(f"no workspace at {root}: run videoaudit ingest first (or check the path)")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot create the workspace {root}: {exc.strerror or exc}") from None
    elif not create and not any(root.glob("*.lance")) and not (root / "manifest.json").exists():
        raise WorkspaceMissing(f"{root} is not a videoaudit workspace (no tables, no manifest.json): "
                               "run videoaudit ingest first (or check the path)")
    try:
        check_format(root)
    except ManifestError as exc:
        raise WorkspaceError(str(exc)) from None
