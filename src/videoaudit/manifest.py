"""The workspace manifest: one JSON file with a format version and every run-level record.

Per-video progress lives in the ledger table; what is not per video lives here, one
section per owner: ``lens_backends`` (which backend and options made each lens),
``stages`` (the configuration fingerprint each stage last ran with: the stage graph
invalidates everything downstream when one changes), ``cascade`` (the last cascade's
summary), ``device`` (where the last run's models ran). Writes are atomic (temporary
file, fsync, rename), so a killed run never leaves half a manifest.

Workspaces from before the manifest kept three sidecar files; :func:`read_manifest`
folds them in and removes them the first time it sees them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FILE = "manifest.json"
#: the layout of the tables this videoaudit reads and writes; a workspace of another version is refused
FORMAT_VERSION = 1
#: sidecar files of older workspaces -> the manifest section that replaces each
LEGACY = {"lens_backends.json": "lens_backends", "lens_signals.json": "lens_signals_legacy",
          "cascade.json": "cascade"}


class ManifestError(ValueError):
    """The manifest is unreadable or names a format this videoaudit cannot read (one line, names the file)."""


def manifest_path(root: str | Path) -> Path:
    return Path(root) / FILE


def _load(root: Path) -> dict[str, Any]:
    path = manifest_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"workspace manifest {path} is unreadable: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ManifestError(f"workspace manifest {path} is not JSON ({exc}); "
                            f"is {root} a videoaudit workspace?") from None
    if not isinstance(data, dict):
        raise ManifestError(f"workspace manifest {path} holds a JSON {type(data).__name__}, not an object")
    return data


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest (``{"format_version": 1}`` for a new workspace); legacy sidecars are folded in."""
    root = Path(root)
    data = _load(root)
    legacy = [(root / name, sec) for name, sec in LEGACY.items() if (root / name).exists()]
    if legacy:
        for p, sec in legacy:
            try:
                data.setdefault(sec, json.loads(p.read_text()))
            except ValueError:
                pass  # an unreadable old record: the stage it describes redoes its work
        write_manifest(root, {**data, "format_version": data.get("format_version", FORMAT_VERSION)})
        for p, _ in legacy:
            p.unlink(missing_ok=True)
    return {"format_version": FORMAT_VERSION, **data}


def write_manifest(root: str | Path, data: dict[str, Any]) -> None:
    """Replace the manifest with ``data`` atomically (temporary file, fsync, rename)."""
    path = manifest_path(root)
    tmp = path.with_name(f".{FILE}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"format_version": FORMAT_VERSION, **data}, f, indent=1, sort_keys=True, default=str)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_format(root: str | Path, manifest: dict | None = None) -> dict:
    """Refuse a workspace written by another format version; returns the manifest (``{}`` if none)."""
    data = _load(Path(root)) if manifest is None else manifest
    version = data.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        hint = ("it was written by a newer videoaudit: upgrade videoaudit to read it" if newer else
                "re-ingest its sources into a new workspace (no automatic upgrade from that version)")
        raise ManifestError(f"workspace {Path(root)} has format version {version!r}; this videoaudit reads "
                            f"version {FORMAT_VERSION}: {hint}")
    return data


def ensure_manifest(root: str | Path) -> dict:
    """Check the version and write the manifest when missing (a new or pre-manifest workspace)."""
    data = check_format(root)
    if "format_version" not in data or any((Path(root) / name).exists() for name in LEGACY):
        data = read_manifest(root)
        write_manifest(root, data)
    return data


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
