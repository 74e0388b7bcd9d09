"""``videoaudit app``: export the audit if the dataset is missing or stale, then serve the FiftyOne App.

The App binds 127.0.0.1 only. "Stale" means the workspace's tables changed since the last
export (``dataset.info["videoaudit"]["fingerprint"]``, LanceDB table versions), so opening
the App twice in a row does not export twice.
"""

from __future__ import annotations

from pathlib import Path

from . import require
from .export import INFO_KEY, export_fiftyone, slug, workspace_fingerprint

DEFAULT_PORT = 5151


def default_dataset_name(ws) -> str:
    return f"videoaudit-{slug(Path(ws.path).resolve().name)}"


def needs_export(ws, dataset: str) -> bool:
    fo = require()
    if not fo.dataset_exists(dataset):
        return True
    info = fo.load_dataset(dataset).info.get(INFO_KEY) or {}
    return info.get("fingerprint") != workspace_fingerprint(ws)


def open_app(ws, dataset: str | None = None, port: int = DEFAULT_PORT, export: bool | None = None,
             echo=print, wait: bool = True):
    """Export when needed (``export=None``), forced (True) or never (False); launch the App; print its URL.

    Returns the FiftyOne Session (after the App closes when ``wait``).
    """
    fo = require()
    name = dataset or default_dataset_name(ws)
    if export or (export is None and needs_export(ws, name)):
        summary = export_fiftyone(ws, name)
        echo(f"exported {summary['samples']} videos to FiftyOne dataset {name!r} in {summary['seconds']} s")
    elif not fo.dataset_exists(name):
        raise ValueError(f"no FiftyOne dataset named {name!r}; run without --no-export to create it")
    session = fo.launch_app(fo.load_dataset(name), port=port, address="127.0.0.1", remote=True, auto=False)
    echo(f"FiftyOne App: {session.url}")
    echo(f"dataset: {name}   (saved views va-trusted, va-review-queue, ...; Ctrl-C to stop)")
    if wait:
        session.wait(-1)
    return session
