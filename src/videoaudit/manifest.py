"""The workspace manifest: one JSON file with a format version and every run-level record.

Per-video progress lives in the ledger table; what is not per video lives here, one
section per owner: ``lens_backends`` (which backend and options made each lens),
``stages`` (the configuration fingerprint each stage last ran with: the stage graph
invalidates everything downstream when one changes), ``cascade`` (the last cascade's
summary), ``device`` (where the last run's models ran). Writes are atomic (write a
temporary file, then rename), so a killed run never leaves half a manifest.

Workspaces from before the manifest kept three sidecar files; :func:`read_manifest`
folds them in and removes them the first time it sees them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FILE = "manifest.json"
FORMAT_VERSION = 1
#: sidecar files of older workspaces -> the manifest section that replaces each
LEGACY = {"lens_backends.json": "lens_backends", "lens_signals.json": "lens_signals_legacy",
          "cascade.json": "cascade"}


class ManifestError(ValueError):
    """A manifest this version cannot use (unreadable, or written by a newer videoaudit)."""


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of the workspace at ``root`` (``{"format_version": 1}`` when there is none yet)."""
    root = Path(root)
    path = root / FILE
    data: dict[str, Any] = {"format_version": FORMAT_VERSION}
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except ValueError as exc:
            raise ManifestError(f"{path}: unreadable workspace manifest ({exc})") from None
        if not isinstance(data, dict):
            raise ManifestError(f"{path}: the workspace manifest is not a JSON object")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ManifestError(f"{path}: workspace format version {version!r}; this videoaudit reads versions up "
                                f"to {FORMAT_VERSION}: upgrade videoaudit, or audit into a new workspace")
    legacy = [(root / name, section) for name, section in LEGACY.items() if (root / name).exists()]
    if legacy:
        for p, section in legacy:
            try:
                data.setdefault(section, json.loads(p.read_text()))
            except ValueError:
                pass  # an unreadable old record: the stage it describes redoes its work
        data["format_version"] = FORMAT_VERSION
        write_manifest(root, data)
        for p, _ in legacy:
            p.unlink(missing_ok=True)
    return data


def write_manifest(root: str | Path, data: dict[str, Any]) -> None:
    root = Path(root)
    path = root / FILE
    tmp = root / f".{FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({**data, "format_version": FORMAT_VERSION}, indent=1, sort_keys=True, default=str))
    tmp.replace(path)


def section(root: str | Path, name: str, default: Any = None) -> Any:
    return read_manifest(root).get(name, default)


def update_section(root: str | Path, name: str, value: Any) -> None:
    """Replace one section (``None`` removes it); the others are kept."""
    data = read_manifest(root)
    if value is None:
        data.pop(name, None)
    else:
        data[name] = value
    write_manifest(root, data)


def record_run_device(root: str | Path, device: str) -> None:
    """Say which device the latest run's models were asked to run on ("cpu", "cuda", ...)."""
    data = read_manifest(root)
    if data.get("device") != device:
        data["device"] = device
        write_manifest(root, data)
