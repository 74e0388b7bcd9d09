"""Import opinions from JSONL: the format any external model run can produce.

One JSON object per line (docs/formats.md)::

    {"video_id": "abc", "kind": "description", "text": "..."}
    {"video_id": "abc", "kind": "event", "start": 3.2, "end": 7.9, "text": "..."}
    {"video_id": "abc", "kind": "point", "t": 4.0, "x": 0.41, "y": 0.62, "text": "the cook"}

A bad line, or a line about a video the workspace does not hold, is an error naming the
line and the video; the good lines still import. Times are checked against the video: a
negative time, or a start (or point time) at or after the video's end, is rejected; an end
beyond the video's end by more than :data:`TIME_SLACK` is clamped to it and the line is
recorded as a warning, so a model that ran on the full video while the annotation covers a
clip is not silently trusted.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable

import pyarrow as pa

from ..schema import OPINIONS

KINDS = ("description", "event", "point")
#: seconds by which a time may pass the video's end (rounding of a model's mm:ss.ff stamps)
TIME_SLACK = 0.5


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


def check_times(row: dict, duration: float | None) -> str | None:
    """Reject (OpinionError) times no video can have; clamp an end past the video's end and say so."""
    for key in ("start", "end", "t"):
        if row[key] is not None and row[key] < 0:
            raise OpinionError(f"{key}={row[key]:g} is negative")
    if duration is None or duration <= 0:
        return None
    first = row["start"] if row["kind"] == "event" else row["t"]
    if first is not None and first >= duration:
        key = "start" if row["kind"] == "event" else "t"
        raise OpinionError(f"{key}={first:g} is at or after the end of the video ({duration:g} s)")
    if row["end"] is not None and row["end"] > duration + TIME_SLACK:
        was = row["end"]
        row["end"] = float(duration)
        return f"end={was:g} is after the end of the video ({duration:g} s): clamped to {duration:g}"
    return None


def _lines(path: Path) -> Iterable[str | None]:
    """Lines of a file, each decoded alone (None for an invalid UTF-8 line: one error, not a lost file)."""
    with open(path, "rb") as f:
        for raw in f:
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield None


def read_opinions(lines: Iterable[str] | str | Path, source: str, known_videos: set[str] | dict | None = None
                  ) -> tuple[pa.Table, list[tuple[str | None, None, str]]]:
    """Parse JSONL opinions; returns (rows, errors) where each error names line and video.

    ``known_videos`` may map each video id to its duration in seconds: times are then checked
    against it (:func:`check_times`); clamped lines are kept and reported among the errors.
    """
    if isinstance(lines, (str, Path)):
        path = Path(lines)
        lines = _lines(path)
        where = path.name
    else:
        where = "opinions"
    durations = known_videos if isinstance(known_videos, dict) else {}
    rows: list[dict] = []
    errors: list[tuple[str | None, None, str]] = []
    for i, line in enumerate(lines, 1):
        if line is None:
            errors.append((None, None, f"{where} line {i}: invalid UTF-8"))
            continue
        if not line.strip():
            continue
        vid = None
        try:
            obj = json.loads(line)
            vid = obj.get("video_id") if isinstance(obj, dict) else None
            row = parse_opinion(obj, source)
            flag = check_times(row, durations.get(row["video_id"]))
        except (ValueError, RecursionError, OpinionError) as exc:
            cause = "JSON nested too deeply to read" if isinstance(exc, RecursionError) else str(exc)
            errors.append((vid, None, f"{where} line {i}" + (f" (video {vid})" if vid else "") + f": {cause}"))
            continue
        if known_videos is not None and row["video_id"] not in known_videos:
            errors.append((vid, None, f"{where} line {i}: video {vid} is not in the workspace"))
            continue
        if flag:
            errors.append((vid, None, f"{where} line {i} (video {vid}): {flag}"))
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=OPINIONS), errors
