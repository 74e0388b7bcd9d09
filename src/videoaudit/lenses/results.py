"""Search and zero-shot results a person can read: titles, texts, spans, thumbnails, labelled classes.

The lens functions (search.py) return ids and numbers; these helpers join in what a user
needs to judge a hit without another query: the video's title, the segment's (or the
root's) ``summary_brief``, the time span, and a thumbnail written as a JPEG file under
``<workspace>/thumbnails/`` (the stored thumbnail nearest the span's middle; file names are
derived from a hash of the id, so they never leave that folder).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Sequence

import pyarrow as pa

THUMB_DIR = "thumbnails"


def _thumb_file(root: Path, video_id: str, t: float) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", video_id)[:40]
    digest = hashlib.sha1(video_id.encode("utf-8")).hexdigest()[:8]
    return root / THUMB_DIR / f"{safe}-{digest}-{t:08.2f}.jpg"


def thumbnail_path(store, video_id: str, t: float, cache: dict) -> str | None:
    """Path of a JPEG of ``video_id`` near time ``t`` (written once), None without thumbnails."""
    if video_id not in cache:
        rows = store.read("thumbnails", [video_id]).to_pylist()
        cache[video_id] = sorted(((r["t"], r["jpeg"]) for r in rows), key=lambda x: x[0])
    thumbs = cache[video_id]
    if not thumbs:
        return None
    tt, jpeg = min(thumbs, key=lambda x: abs(x[0] - t))
    path = _thumb_file(Path(store.root), video_id, tt)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg)
    return str(path)


def describe_hits(store, hits: pa.Table) -> pa.Table:
    """``hits`` (video_id, segment_id, similarity, rank) with title, start, end, text and thumbnail."""
    vids = sorted(set(hits.column("video_id").to_pylist()))
    videos = {v["video_id"]: v for v in store.read("videos", vids, columns=["video_id", "title", "duration"]).to_pylist()}
    segs = {}
    for s in store.read("segments", vids, columns=["video_id", "segment_id", "parent_id", "start", "end",
                                                   "summary_brief"]).to_pylist():
        segs[(s["video_id"], s["segment_id"])] = s
        if s["parent_id"] is None:
            segs.setdefault((s["video_id"], None), s)  # the root describes the whole video
    cache: dict = {}
    cols: dict[str, list] = {"title": [], "start": [], "end": [], "text": [], "thumbnail": []}
    for vid, sid in zip(hits.column("video_id").to_pylist(), hits.column("segment_id").to_pylist()):
        seg = segs.get((vid, sid)) or {}
        v = videos.get(vid) or {}
        start = seg.get("start", 0.0) if sid is not None else 0.0
        end = seg.get("end") if sid is not None else (v.get("duration") or seg.get("end"))
        cols["title"].append(v.get("title"))
        cols["start"].append(start)
        cols["end"].append(end)
        cols["text"].append(seg.get("summary_brief"))
        mid = ((start or 0.0) + (end or start or 0.0)) / 2
        cols["thumbnail"].append(thumbnail_path(store, vid, mid, cache))
    types = {"title": pa.string(), "start": pa.float64(), "end": pa.float64(), "text": pa.string(),
             "thumbnail": pa.string()}
    for name, vals in cols.items():
        hits = hits.append_column(name, pa.array(vals, types[name]))
    return hits


def label_probabilities(result: pa.Table, classes: Sequence[str], all_videos: Sequence[str]) -> pa.Table:
    """A zero-shot result with one ``p_<class>`` column per class, and a row (label null,
    ``has_vector`` false) for every video the lens has no vector of, so none goes missing silently."""
    have = set(result.column("video_id").to_pylist())
    missing = [v for v in all_videos if v not in have]
    probs = result.column("probs").to_pylist()
    out = result.append_column("has_vector", pa.array([True] * result.num_rows, pa.bool_()))
    for i, c in enumerate(classes):
        out = out.append_column(f"p_{c}", pa.array([p[i] for p in probs], pa.float64()))
    if missing:
        extra = pa.Table.from_pylist([{"video_id": v, "has_vector": False} for v in missing], schema=out.schema)
        out = pa.concat_tables([out, extra])
    return out
