"""Which ingest format a file is in, from its extension and its first record.

``ingest x.jsonl`` without ``--format`` must not read a generic-JSONL file as the Action100M
release (every line rejected for a missing video_uid). The first record decides:
``video_uid`` + ``nodes`` is the release (parquet or its JSON forms), ``video_id`` +
``segments`` the generic JSONL; anything else is an error that says what each format needs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

NEEDS = {"action100m": ("video_uid", "nodes"), "jsonl": ("video_id", "segments")}


class FormatError(ValueError):
    """The file is not in the format asked for (or in none); the message says which fits."""


def _first_keys(path: Path) -> set[str] | None:
    """Keys of the first record (parquet: the columns), None when there is no record to look at."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return set(pq.read_schema(path).names)
    with path.open(encoding="utf-8", errors="replace") as f:
        head = f.read(1 << 16)
    text = head.lstrip()
    if not text:
        return None
    if text.startswith("["):  # a JSON array of records: look inside the first object
        text = text[1:].lstrip()
    if not text.startswith("{"):
        return None
    line = text.splitlines()[0]
    try:
        obj = json.loads(line)
        return set(obj) if isinstance(obj, dict) else None
    except ValueError:
        # a pretty-printed object: top-level keys are the quoted names at the first indent
        return set(re.findall(r'^[\s{]{0,5}"([^"]+)"\s*:', text, flags=re.M)) or None


#: the format a broken file's extension points to (its reader then reports what is wrong)
BY_SUFFIX = {".json": "action100m", ".jsonl": "jsonl"}


def _first_line_parses(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as f:
        line = f.readline().strip().lstrip("[").strip().rstrip(",")
    try:
        json.loads(line)
        return True
    except ValueError:
        return False


def fits(keys: set[str]) -> list[str]:
    return [fmt for fmt, need in NEEDS.items() if all(k in keys for k in need)]


def detect_format(path: str | Path) -> str:
    """action100m | jsonl, or FormatError naming the keys found and what each format needs."""
    path = Path(path)
    try:
        keys = _first_keys(path)
    except Exception:  # unreadable: the reader of the only format its extension allows names the problem
        if path.suffix.lower() in (".parquet", ".pq"):
            return "action100m"
        raise
    if keys is None:
        raise FormatError(f"{path}: cannot tell its format (no JSON object or parquet table at the start); "
                          f"give --format action100m or --format jsonl")
    found = fits(keys)
    if found:
        return found[0]
    if path.suffix.lower() in BY_SUFFIX and not _first_line_parses(path):
        return BY_SUFFIX[path.suffix.lower()]  # broken JSON: that format's reader names the line and the cause
    raise FormatError(f"{path}: neither format fits: its first record has {', '.join(sorted(keys)[:8]) or 'no keys'}; "
                      + "; ".join(f"--format {f} needs {' and '.join(n)}" for f, n in NEEDS.items()))


def check_format(path: str | Path, format: str) -> None:
    """An explicit --format that the content clearly contradicts is an error naming the right one."""
    try:
        keys = _first_keys(Path(path))
    except Exception:  # unreadable: the format's reader says so, naming the file
        return
    if keys is None or format not in NEEDS:
        return
    found = fits(keys)
    if found and format not in found:
        need = " and ".join(NEEDS[format])
        raise FormatError(f"{path} looks like --format {found[0]} (its records have "
                          f"{' and '.join(NEEDS[found[0]])}), not --format {format} (needs {need})")
