"""The run manifest: ``<workspace>/manifest.json``, facts about how the workspace's rows were made.

Kept minimal and additive: a key is written through one small function, never rewritten
wholesale by a stage, so several writers (device, backends, cascade) can share the file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

FORMAT_VERSION = 1
FILE = "manifest.json"


def read_manifest(root: str | Path) -> dict:
    """The manifest's content; ``{"format_version": 1}`` when the workspace has none yet."""
    path = Path(root) / FILE
    if not path.exists():
        return {"format_version": FORMAT_VERSION}
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the manifest must be a JSON object")
    return data


def write_manifest(root: str | Path, data: dict) -> None:
    """Replace the manifest atomically (a reader never sees half a file)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    out = {**data, "format_version": FORMAT_VERSION}
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", dir=root)
    with os.fdopen(fd, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    os.replace(tmp, root / FILE)


def record_run_device(root: str | Path, device: str) -> None:
    """Say which device the latest run's models were asked to run on ("cpu", "cuda", ...)."""
    data = read_manifest(root)
    if data.get("device") != device:
        data["device"] = device
        write_manifest(root, data)
