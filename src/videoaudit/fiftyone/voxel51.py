"""Build the workshop's FiftyOne dataset (the Voxel51 Action100M schema) from the release files.

For users without the hub copy (Voxel51/action100m_tiny_subset): the release parquet (or its
JSON forms) plus a folder of ``<video_uid>.mp4`` give the same sample fields (title,
description, full_video_url, upload_date, view_count, like_count, full_video_duration,
transcript, tree_depth) and the six TemporalDetections fields holding every tree level
(node_id, parent_id, level, tier attributes; N/A actions dropped, N/A actors kept), frame
supports ``[int(start*fps)+1, int(end*fps)+1]`` (FACTS.md section 2). ``clip`` keeps the
first CLIP seconds as the subset does (90). Videos without a media file are skipped and
listed: FiftyOne needs the file for the frame rate.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from . import require

GPT = {"gpt_summary_brief": ("summary", "brief"), "gpt_summary_detailed": ("summary", "detailed"),
       "gpt_action_brief": ("action", "brief"), "gpt_action_detailed": ("action", "detailed"),
       "gpt_action_actor": ("action", "actor")}


def _frame(t: float, fps: float) -> int:
    return int(t * fps) + 1


def _detections(fo, row: dict, fps: float, clip: float | None) -> dict:
    parents = {n["parent_id"] for n in row["nodes"]}
    out = {}
    for field, (a, b) in GPT.items():
        dets = []
        for n in row["nodes"]:
            gpt = n.get("gpt")
            if not gpt or (clip is not None and n["start"] >= clip):
                continue
            text = (gpt.get(a) or {}).get(b)
            if text is None or (b != "actor" and text.strip().upper() == "N/A"):
                continue
            end = min(n["end"], clip) if clip is not None else n["end"]
            tier = "root" if n["level"] == 0 else ("mid" if n["node_id"] in parents else "leaf")
            dets.append(fo.TemporalDetection(label=text, support=[_frame(n["start"], fps), _frame(end, fps)],
                                             node_id=n["node_id"], parent_id=n["parent_id"], level=n["level"],
                                             tier=tier))
        out[field] = fo.TemporalDetections(detections=dets)
    return out


def _transcript(fo, entries: list, fps: float, duration: float):
    times = [float(e["time"]) for e in entries]
    dets = [fo.TemporalDetection(label=e["text"], support=[_frame(t0, fps), _frame(
        min(times[i + 1] if i + 1 < len(times) else t0 + 5, duration), fps)])
        for i, (e, t0) in enumerate(zip(entries, times)) if t0 < duration]
    return fo.TemporalDetections(detections=dets)


def build_dataset(release: str | Path, media_dir: str | Path, name: str, clip: float | None = None,
                  overwrite: bool = False) -> dict:
    """Create FiftyOne dataset ``name``; returns {"dataset", "samples", "skipped" (ids without media)}."""
    fo = require()
    from ..formats.action100m import iter_release

    if fo.dataset_exists(name):
        if not overwrite:
            raise ValueError(f"FiftyOne dataset {name!r} exists; pick another --name or pass --overwrite")
        fo.delete_dataset(name)
    media_dir = Path(media_dir)
    if not media_dir.is_dir():
        raise ValueError(f"--media {media_dir}: no such folder")
    ds = fo.Dataset(name, persistent=True)
    rows, skipped = [], []
    for row in iter_release(release):
        uid = str(row["video_uid"])
        path = (media_dir / f"{uid}.mp4").resolve()
        if not path.is_relative_to(media_dir.resolve()) or not path.is_file():
            skipped.append(uid)
            continue
        rows.append((uid, path, row))
    samples = []
    for uid, path, row in rows:
        meta = row.get("metadata") or {}
        up = meta.get("upload_date")
        samples.append(fo.Sample(
            filepath=str(path), video_uid=uid, title=meta.get("title"), description=meta.get("description"),
            full_video_url=f"https://www.youtube.com/watch?v={uid}",
            upload_date=_dt.datetime.strptime(up, "%Y%m%d") if up and len(str(up)) == 8 else None,
            view_count=meta.get("view_count"), like_count=meta.get("like_count"),
            full_video_duration=meta.get("duration"),
            transcript=" ".join(e["text"] for e in meta.get("transcript") or []),
            tree_depth=max((n["level"] for n in row["nodes"]), default=0)))
    ds.add_samples(samples, progress=False)
    ds.compute_metadata(progress=False)
    for sample, (uid, _, row) in zip(ds.iter_samples(autosave=True, progress=False), rows):
        fps = sample.metadata.frame_rate
        duration = min(sample.metadata.duration, clip) if clip else sample.metadata.duration
        for field, value in _detections(fo, row, fps, clip).items():
            sample[field] = value
        sample["transcript_segments"] = _transcript(fo, (row.get("metadata") or {}).get("transcript") or [], fps,
                                                    duration)
    return {"dataset": name, "samples": len(rows), "skipped": skipped}
