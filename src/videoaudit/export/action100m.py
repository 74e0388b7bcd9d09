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
from ..workspace import chunks
from . import reviewed

#: bytes of release rows buffered before a row group is written (megabyte texts: a few rows a group)
GROUP_BYTES = 64 << 20


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
    for part in video_chunks(ws.video_ids()):
        yield from release_rows(ws, part, _kept_in(ws, part, min_tier), decided)


def video_chunks(ids: list[str], first: int = 4, most: int = 64):
    """Consecutive chunks of videos, growing from ``first`` to ``most`` (a video of megabyte texts is
    tens of MB: the first chunks stay small, and :func:`release_rows` reads by sub-chunks of these)."""
    i, n = 0, first
    while i < len(ids):
        yield ids[i:i + n]
        i += n
        n = min(most, n * 2)


def release_rows(ws, video_ids, keep: set | None, decided: dict | None = None, chunk: int = 8):
    """Release rows of ``video_ids``; a node keeps its ``gpt`` when ``(video_id, segment_id)`` is
    in ``keep`` (``None`` = every annotation kept, e.g. for the fusion's fault-injected copy);
    ``decided``: review verdicts, which decide per field what stays (export/reviewed.py).
    Read ``chunk`` videos at a time: a row is built and handed on before the next chunk is read."""
    ids = list(video_ids)
    decided = decided or {}
    for part in chunks(ids, chunk):
        videos = {v["video_id"]: v for v in ws.store.read("videos", part).to_pylist()}
        segs: dict[str, list[dict]] = {}
        for s in ws.store.read("segments", part).to_pylist():
            verdict = decided.get((s["video_id"], s["segment_id"]))
            if verdict is not None and keep is not None:  # the reviewer's word decides which fields stay
                s = reviewed.apply(s, verdict)
                keep.add((s["video_id"], s["segment_id"]))
            segs.setdefault(s["video_id"], []).append(s)
        for vid in part:
            yield _release_row(videos[vid], segs.pop(vid, []), keep)
        del videos, segs


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
