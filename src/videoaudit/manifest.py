"""The workspace manifest: ``manifest.json`` in the workspace root, the one place for facts about the
workspace as a whole (its format version first of all).

Every other module reads and writes it through :func:`read_manifest` / :func:`write_manifest`, so
the file has one owner. Writes go to a temporary file and are renamed over the old one: a killed
process never leaves half a manifest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FILE = "manifest.json"

#: the layout of the tables this videoaudit reads and writes; a workspace of another version is refused
FORMAT_VERSION = 1


class ManifestError(ValueError):
    """The manifest is unreadable or names a format this videoaudit cannot read (one line, names the file)."""


def manifest_path(root: str | Path) -> Path:
    return Path(root) / FILE


def read_manifest(root: str | Path) -> dict:
    """The manifest's content; ``{}`` when the workspace has none (new, or written before manifests)."""
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
                            f"is {Path(root)} a videoaudit workspace?") from None
    if not isinstance(data, dict):
        raise ManifestError(f"workspace manifest {path} holds a JSON {type(data).__name__}, not an object")
    return data


def write_manifest(root: str | Path, data: dict) -> None:
    """Replace the manifest with ``data`` atomically (temporary file, fsync, rename)."""
    path = manifest_path(root)
    tmp = path.with_name(f".{FILE}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_format(root: str | Path, manifest: dict | None = None) -> dict:
    """Refuse a workspace written by another format version; returns the manifest (``{}`` if none)."""
    data = read_manifest(root) if manifest is None else manifest
    version = data.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        hint = ("it was written by a newer videoaudit: upgrade videoaudit to read it" if newer else
                "re-ingest its sources into a new workspace (no automatic upgrade from that version)")
        raise ManifestError(f"workspace {Path(root)} has format version {version!r}; this videoaudit reads "
                            f"version {FORMAT_VERSION}: {hint}")
    return data


def ensure_manifest(root: str | Path) -> dict:
    """Check the version and write ``format_version`` when missing (new or pre-manifest workspace)."""
    data = check_format(root)
    if "format_version" not in data:
        data = {**data, "format_version": FORMAT_VERSION}
        write_manifest(root, data)
    return data
