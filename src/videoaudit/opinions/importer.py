"""Import opinions from JSONL: the format any external model run can produce.

One JSON object per line (docs/formats.md)::

    {"video_id": "abc", "kind": "description", "text": "..."}
    {"video_id": "abc", "kind": "event", "start": 3.2, "end": 7.9, "text": "..."}
    {"video_id": "abc", "kind": "point", "t": 4.0, "x": 0.41, "y": 0.62, "text": "the cook"}

A bad line, or a line about a video the workspace does not hold, is an error naming the
line and the video; the good lines still import.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable

import pyarrow as pa

from ..schema import OPINIONS

KINDS = ("description", "event", "point")


class OpinionError(ValueError):
    pass


def _num(obj: dict, key: str) -> float | None:
    v = obj.get(key)
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise OpinionError(f"{key}={v!r} is not a number")
    if not math.isfinite(f):
        raise OpinionError(f"{key}={v!r} is not finite")
    return f


def parse_opinion(obj: dict, source: str) -> dict:
    """One validated OPINIONS row from one JSON object (raises OpinionError)."""
    if not isinstance(obj, dict):
        raise OpinionError("line is not a JSON object")
    vid = obj.get("video_id")
    if not isinstance(vid, str) or not vid:
        raise OpinionError("missing video_id")
    kind = obj.get("kind")
    if kind not in KINDS:
        raise OpinionError(f"kind={kind!r}, expected one of {', '.join(KINDS)}")
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise OpinionError("text is not a string")
    row = {
        "video_id": vid,
        "source": str(obj.get("source") or source),
        "kind": kind,
        "text": text,
        "start": _num(obj, "start"),
        "end": _num(obj, "end"),
        "t": _num(obj, "t"),
        "x": _num(obj, "x"),
        "y": _num(obj, "y"),
        "settings": json.dumps(obj["settings"]) if isinstance(obj.get("settings"), dict) else obj.get("settings"),
        "raw": obj.get("raw"),
    }
    if kind in ("description", "event") and not (text and text.strip()):
        raise OpinionError(f"{kind} without text")
    if kind == "event":
        if row["start"] is None or row["end"] is None:
            raise OpinionError("event needs start and end")
        if row["end"] <= row["start"]:
            raise OpinionError(f"event end {row['end']} <= start {row['start']}")
    if kind == "point":
        if row["t"] is None or row["x"] is None or row["y"] is None:
            raise OpinionError("point needs t, x and y")
        if not (0.0 <= row["x"] <= 1.0 and 0.0 <= row["y"] <= 1.0):
            raise OpinionError(f"point x={row['x']}, y={row['y']} outside [0, 1] (normalised coordinates)")
    return row


def read_opinions(lines: Iterable[str] | str | Path, source: str, known_videos: set[str] | None = None
                  ) -> tuple[pa.Table, list[tuple[str | None, None, str]]]:
    """Parse JSONL opinions; returns (rows, errors) where each error names line and video."""
    if isinstance(lines, (str, Path)):
        path = Path(lines)
        lines = path.read_text(encoding="utf-8").splitlines()
        where = path.name
    else:
        where = "opinions"
    rows: list[dict] = []
    errors: list[tuple[str | None, None, str]] = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        vid = None
        try:
            obj = json.loads(line)
            vid = obj.get("video_id") if isinstance(obj, dict) else None
            row = parse_opinion(obj, source)
        except (json.JSONDecodeError, OpinionError) as exc:
            errors.append((vid, None, f"{where} line {i}" + (f" (video {vid})" if vid else "") + f": {exc}"))
            continue
        if known_videos is not None and row["video_id"] not in known_videos:
            errors.append((vid, None, f"{where} line {i}: video {vid} is not in the workspace"))
            continue
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=OPINIONS), errors
