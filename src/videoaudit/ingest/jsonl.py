"""The generic JSONL format: one JSON object per line = one video (docs/formats.md).

Any dataset of timed (optionally hierarchical) captions can be written in it. The rules
are the Action100M ones (same N/A handling, clip convention, structure checks, RowError
for unusable rows) with two differences: several parentless segments are allowed (they
are level-0 roots side by side, so a flat list of segments is a valid dataset), and
``level`` is optional (derived from the parent links).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from ..schema import CAPTION_FIELDS, GPT_FIELDS
from . import IngestedVideo, RowError
from .action100m import (
    build_segments,
    convert_or_error,
    iter_json_lines,
    metadata_json,
    numbered,
    parse_seconds,
    resolve_media,
    timed_transcript,
    transcript_entries,
)

SOURCE = "jsonl"

VIDEO_KEYS = frozenset(
    {"video_id", "media", "duration", "full_duration", "fps", "title", "description", "transcript", "metadata", "segments"}
)
SEGMENT_KEYS = frozenset({"id", "parent", "start", "end", "level", "captions", *GPT_FIELDS, *CAPTION_FIELDS})


def _segment_nodes(vid: str, raw_segments, warnings: list[str]) -> list[dict]:
    """The record's ``segments`` as build_segments' normalised nodes (unknown keys warned about)."""
    if not isinstance(raw_segments, list):
        raise RowError(vid, f"segments is {type(raw_segments).__name__}, not a list")
    if not raw_segments:
        raise RowError(vid, "no segments")
    nodes = []
    seg_unknown: set[str] = set()
    for i, s in enumerate(raw_segments):
        if not isinstance(s, dict):
            raise RowError(vid, f"segment {i} is {type(s).__name__}, not an object")
        seg_unknown |= set(s) - SEGMENT_KEYS
        caps = s.get("captions") or {}
        if not isinstance(caps, dict):
            warnings.append(f"video {vid}: segment {s.get('id', i)}: captions is not an object; ignored")
            caps = {}
        gpt = {name: s.get(name) for name in GPT_FIELDS}
        nodes.append({
            "segment_id": s.get("id", str(i)),
            "parent_id": s.get("parent"),
            "level": s.get("level"),
            "start": s.get("start"),
            "end": s.get("end"),
            "gpt": gpt if any(v is not None for v in gpt.values()) else None,
            "captions": {c: caps.get(c, s.get(c)) for c in CAPTION_FIELDS},
        })
    if seg_unknown:
        warnings.append(f"video {vid}: unknown segment field(s) ignored: {', '.join(sorted(seg_unknown))}")
    return nodes


def _media_candidates(media, vid: str, base_dir, media_dir) -> list:
    """Where to look for the video file: relative paths from the data stay inside the folder
    they are looked up in; an absolute path was named in full by whoever wrote the file."""
    if media:
        p = Path(str(media)).expanduser()
        if p.is_absolute():
            return [p]
        candidates: list = []
        if media_dir is not None:
            candidates.append((Path(media_dir) / p, Path(media_dir)))
        if base_dir is not None:
            candidates.append((Path(base_dir) / p, Path(base_dir)))
        return candidates or [(p, Path.cwd())]
    if media_dir is not None:
        return [(Path(media_dir) / f"{vid}.mp4", Path(media_dir))]
    return []


def _metadata(record: dict, vid: str, unknown: list[str], clip, warnings: list[str]) -> dict:
    meta = record.get("metadata")
    if meta is None:
        meta = {}
    elif not isinstance(meta, dict):
        warnings.append(f"video {vid}: metadata is {type(meta).__name__}, not an object; kept as 'value'")
        meta = {"value": meta}
    return {**meta, **{k: record[k] for k in unknown}, "clip": clip}


def convert_jsonl_record(
    record: dict, base_dir=None, media_dir=None, clip: float | None = None
) -> IngestedVideo:
    """One generic-JSONL object -> IngestedVideo; raises RowError if unusable.

    ``base_dir`` is the JSONL file's folder (relative ``media`` paths are looked up there
    and in ``media_dir``).
    """
    if not isinstance(record, dict):
        raise RowError(None, f"line is a JSON {type(record).__name__}, not an object")
    vid = record.get("video_id")
    if vid is None or not str(vid).strip():
        raise RowError(None, "missing video_id")
    vid = str(vid)
    warnings: list[str] = []
    unknown = sorted(set(record) - VIDEO_KEYS)
    if unknown:
        warnings.append(f"video {vid}: unknown field(s) kept in metadata: {', '.join(unknown)}")
    nodes = _segment_nodes(vid, record.get("segments"), warnings)
    segments, root_end = build_segments(vid, nodes, clip, warnings, require_single_root=False)
    max_end = max((r["end"] for r in segments), default=root_end)

    duration = parse_seconds(record.get("duration"))
    if duration is None:
        if record.get("duration") is not None:
            warnings.append(f"video {vid}: unparseable duration {record.get('duration')!r}; latest segment end used")
        duration = max(root_end, max_end)
    full = parse_seconds(record.get("full_duration"))
    if full is None:
        full = duration
    if clip is not None:
        duration = min(duration, float(clip))
    entries = transcript_entries(record.get("transcript"), vid, warnings,
                                 lambda e: (e.get("start", e.get("time")), e.get("end"), e.get("text")))
    transcript = timed_transcript(entries, duration, vid, warnings, clipped=clip is not None)
    media_path = resolve_media(_media_candidates(record.get("media"), vid, base_dir, media_dir), vid, warnings)
    meta = _metadata(record, vid, unknown, clip, warnings)
    fps = parse_seconds(record.get("fps"))
    video = {
        "video_id": vid,
        "media_path": media_path,
        "duration": float(duration),
        "full_duration": float(full),
        "fps": fps if fps and fps > 0 else None,
        "title": record.get("title"),
        "description": record.get("description"),
        "transcript": transcript,
        "metadata": metadata_json(meta),
        "source": SOURCE,
    }
    return IngestedVideo(video=video, segments=segments, warnings=warnings)


def iter_jsonl(path, media_dir=None, clip: float | None = None) -> Iterator[IngestedVideo | RowError]:
    """Stream a generic JSONL file line by line, each line alone; bad lines yield RowError naming the line."""
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be a positive number of seconds, got {clip!r}")
    path = Path(path)
    base_dir = path.parent
    for lineno, record in iter_json_lines(path):
        if isinstance(record, RowError):
            yield record
            continue
        out = convert_or_error(convert_jsonl_record, record, base_dir=base_dir, media_dir=media_dir, clip=clip)
        yield numbered(out, f"line {lineno}")


def to_record(video: dict, segments: list[dict]) -> dict:
    """The generic-JSONL object for canonical rows (the inverse of :func:`convert_jsonl_record`).

    Fields that were "N/A" in the source (listed in ``na_fields``) are written back as "N/A";
    ``metadata`` is decoded from its JSON string (its ``clip`` key is dropped).
    """
    meta = json.loads(video["metadata"]) if video.get("metadata") else {}
    meta.pop("clip", None)
    segs = []
    for r in segments:
        s = {"id": r["segment_id"], "parent": r.get("parent_id"), "start": r["start"], "end": r["end"]}
        if r.get("level") is not None:
            s["level"] = r["level"]
        na = set(r.get("na_fields") or ())
        for name in GPT_FIELDS:
            v = "N/A" if name in na else r.get(name)
            if v is not None:
                s[name] = v
        caps = {c: r[c] for c in CAPTION_FIELDS if r.get(c) is not None}
        if caps:
            s["captions"] = caps
        segs.append(s)
    rec = {
        "video_id": video["video_id"],
        "duration": video.get("duration"),
        "full_duration": video.get("full_duration"),
        "title": video.get("title"),
        "description": video.get("description"),
        "transcript": video.get("transcript"),
        "metadata": meta,
        "segments": segs,
    }
    if video.get("media_path"):
        rec["media"] = video["media_path"]
    if video.get("fps"):
        rec["fps"] = video["fps"]
    return rec
