"""Build FiftyOne datasets in the Voxel51 Action100M schema for the tests (FACTS.md section 2).

Written independently of videoaudit's exporter, so the ingest round trip is not circular:
five gpt TemporalDetections fields holding all levels mixed, node_id/parent_id/level/tier
attributes, N/A actions dropped and N/A actors kept, nodes without GPT text left out,
transcript_segments, frame supports by either convention.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow.parquet as pq

GPT = {"gpt_summary_brief": ("summary", "brief"), "gpt_summary_detailed": ("summary", "detailed"),
       "gpt_action_brief": ("action", "brief"), "gpt_action_detailed": ("action", "detailed"),
       "gpt_action_actor": ("action", "actor")}


def to_frame(t: float, convention: str, fps: float, duration: float, n: int) -> int:
    if convention == "action100m":
        return int(t * fps) + 1  # Voxel51's conversion, exactly as FACTS.md states it
    return 1 + int(round(t / duration * (n - 1)))  # eta.core.frameutils.timestamp_to_frame_number


def build_voxel51(name: str, parquet, videos_dir, convention: str = "action100m"):
    import fiftyone as fo

    ds = fo.Dataset(name)
    samples = []
    for row in pq.read_table(parquet).to_pylist():
        uid = row["video_uid"]
        s = fo.Sample(filepath=str(Path(videos_dir) / f"{uid}.mp4"), video_uid=uid,
                      title=row["metadata"]["title"], description=row["metadata"]["description"],
                      full_video_duration=row["metadata"]["duration"],
                      tree_depth=max(n["level"] for n in row["nodes"]))
        samples.append((s, row))
    ds.add_samples([s for s, _ in samples], progress=False)
    ds.compute_metadata(progress=False)  # ffprobe: the dataset's own frame rate and frame count
    for s, row in zip(ds.iter_samples(autosave=True, progress=False), [r for _, r in samples]):
        m = s.metadata
        fr = lambda t: to_frame(t, convention, m.frame_rate, m.duration, m.total_frame_count)  # noqa: E731
        parents = {n["parent_id"] for n in row["nodes"]}
        for field, (a, b) in GPT.items():
            dets = []
            for n in row["nodes"]:
                if n["gpt"] is None:
                    continue
                text = (n["gpt"].get(a) or {}).get(b)
                if text is None or (a == "action" and b != "actor" and text.strip().upper() == "N/A"):
                    continue
                tier = "root" if n["level"] == 0 else ("mid" if n["node_id"] in parents else "leaf")
                dets.append(fo.TemporalDetection(label=text, support=[fr(n["start"]), fr(n["end"])],
                                                 node_id=n["node_id"], parent_id=n["parent_id"],
                                                 level=n["level"], tier=tier))
            s[field] = fo.TemporalDetections(detections=dets)
        tr = row["metadata"]["transcript"] or []
        times = [float(e["time"]) for e in tr]
        s["transcript_segments"] = fo.TemporalDetections(detections=[
            fo.TemporalDetection(label=e["text"], support=[fr(t0), fr(times[i + 1] if i + 1 < len(times)
                                                                     else min(t0 + 5, m.duration))])
            for i, (e, t0) in enumerate(zip(tr, times)) if t0 < m.duration])
        s["transcript"] = " ".join(e["text"] for e in tr)
    return ds


def frame_seconds(convention: str, fps: float, duration: float, n: int) -> float:
    return 1.0 / fps if convention == "action100m" else duration / (n - 1)


__all__ = ["build_voxel51", "frame_seconds", "to_frame", "math"]
