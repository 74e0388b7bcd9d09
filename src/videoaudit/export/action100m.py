"""Write the audited dataset back in the Action100M release format, keeping only trusted annotations.

Every node keeps its place in the tree (so loaders that walk the tree still work), but a
node whose annotation is not kept loses its ``gpt`` field, exactly like a node too
short to have been annotated. "N/A" fields are restored as "N/A". What is kept:
annotations at or above ``min_tier`` (default trusted) and those a reviewer approved;
with ``apply_reviews`` the decisions act per field (export/reviewed.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..formats.action100m import write_release
from . import reviewed

#: bytes of release rows buffered before a row group is written (megabyte texts: a few rows a group)
GROUP_BYTES = 16 << 20
#: bytes of workspace rows read at once, and most videos per read
CHUNK_BYTES, MAX_VIDEOS = 16 << 20, 64


def _gpt(seg: dict) -> dict:
    na = set(seg.get("na_fields") or [])

    def f(name):
        return "N/A" if name in na else seg.get(name)

    return {"summary": {"brief": f("summary_brief"), "detailed": f("summary_detailed")},
            "action": {"brief": f("action_brief"), "detailed": f("action_detailed"), "actor": f("actor")}}


def _kept_in(ws, video_ids, min_tier: str) -> set[tuple[str, str]]:
    """The (video, segment) pairs of ``video_ids`` whose tier ``min_tier`` keeps."""
    conf = ws.store.read("confidence", list(video_ids), columns=["video_id", "segment_id", "tier"])
    return {(v, s) for v, s, t in zip(*(conf.column(c).to_pylist() for c in ("video_id", "segment_id", "tier")))
            if reviewed.keeps(t, min_tier)}


def _release_rows(ws, min_tier: str = "trusted", apply_reviews: bool = False):
    """The release rows of every video, the kept set read per chunk of videos (never the whole map)."""
    decided = reviewed.decisions(ws) if apply_reviews else {}
    yield from release_rows(ws, ws.video_ids(), lambda part: _kept_in(ws, part, min_tier), decided)


def release_rows(ws, video_ids, keep, decided: dict | None = None, target_bytes: int = CHUNK_BYTES):
    """Release rows of ``video_ids``; a node keeps its ``gpt`` when ``(video_id, segment_id)`` is
    in ``keep`` (a set, a function of a chunk of video ids giving that chunk's set, or ``None`` =
    every annotation kept, e.g. for the fusion's fault-injected copy); ``decided``: review
    verdicts, which decide per field what stays (export/reviewed.py). Videos are read a chunk at a
    time, the chunk's length set from the bytes per video of the last one (one video of megabyte
    texts is tens of MB; thousands of ordinary ones fit in the same bytes)."""
    ids = list(video_ids)
    decided = decided or {}
    i, n = 0, 1
    while i < len(ids):
        part = ids[i:i + n]
        i += len(part)
        vt, st = ws.store.read("videos", part), ws.store.read("segments", part)
        n = int(min(MAX_VIDEOS, max(1, target_bytes * len(part) // max(1, vt.nbytes + st.nbytes))))
        kept = keep(part) if callable(keep) else keep
        videos = {v["video_id"]: v for v in vt.to_pylist()}
        segs: dict[str, list[dict]] = {}
        for s in st.to_pylist():
            verdict = decided.get((s["video_id"], s["segment_id"]))
            if verdict is not None and kept is not None:  # the reviewer's word decides which fields stay
                s = reviewed.apply(s, verdict)
                kept.add((s["video_id"], s["segment_id"]))
            segs.setdefault(s["video_id"], []).append(s)
        del vt, st
        for vid in part:
            yield _release_row(videos.pop(vid), segs.pop(vid, []), kept)


def _release_row(v: dict, segs: list[dict], keep: set | None) -> dict:
    vid = v["video_id"]
    meta = json.loads(v["metadata"] or "{}")
    nodes = [{
        "node_id": s["segment_id"], "parent_id": s["parent_id"], "level": s["level"],
        "start": s["start"], "end": s["end"], "plm_action": s["plm_action"], "plm_caption": s["plm_caption"],
        "llama3_caption": s["llama3_caption"],
        "gpt": _gpt(s) if s["has_gpt"] and (keep is None or (vid, s["segment_id"]) in keep) else None,
    } for s in segs]
    return {
        "video_uid": vid,
        "metadata": {
            "title": v["title"], "description": v["description"],
            "view_count": meta.get("view_count"), "like_count": meta.get("like_count"),
            "duration": int(round(v["full_duration"] or v["duration"] or 0)),
            "upload_date": meta.get("upload_date"),
            "transcript": [{"time": f"{e['start']:.2f}", "text": e["text"]} for e in (v["transcript"] or [])],
        },
        "nodes": nodes,
    }


def export_action100m(ws, out: Path, apply_reviews: bool = False, min_tier: str = "trusted") -> Path:
    write_release(_release_rows(ws, reviewed.check_min_tier(min_tier), apply_reviews), out,
                  max_group_bytes=GROUP_BYTES)
    return out
