"""The audit's stages as pure functions over a Batch of videos (see engine.py).

Each factory returns a ``Stage`` whose function holds its models (loaded once per
process, or once per Ray actor) and turns Arrow rows into Arrow rows.
"""

from __future__ import annotations

import pyarrow as pa

from .engine import Batch, Stage
from .schema import MEDIA, THUMBNAILS

THUMBNAILS_PER_VIDEO = 8


def media_stage(thumbnails: int = THUMBNAILS_PER_VIDEO, width: int = 160) -> Stage:
    """Probe each video and cut its report thumbnails, from one decode of the file.

    Later consumers (lenses, opinion models) add their FrameRequest to the same
    ``sampler.sample`` call, so a video is still decoded once for all of them.
    """
    from .media import FrameRequest, FrameSampler, thumbnail_jpeg

    sampler = FrameSampler()

    def run(batch: Batch) -> dict[str, pa.Table]:
        media_rows, thumb_rows = [], []
        for v in batch.videos.to_pylist():
            path = v["media_path"]
            if not path:
                continue
            dur = v["duration"] or 0.0
            times = tuple(dur * (k + 0.5) / thumbnails for k in range(thumbnails)) if dur > 0 else (0.0,)
            # a MediaError names the file; the engine records it against this video and goes on
            frames = sampler.sample(path, [FrameRequest("thumbnails", times=times)])
            info = sampler.last_info
            media_rows.append({"video_id": v["video_id"], "duration": info.duration, "fps": info.fps,
                               "frame_count": info.frame_count, "width": info.width, "height": info.height,
                               "codec": info.codec})
            for f in frames["thumbnails"]:
                thumb_rows.append({"video_id": v["video_id"], "t": f.t, "jpeg": thumbnail_jpeg(f, width=width)})
        return {"media": pa.Table.from_pylist(media_rows, schema=MEDIA),
                "thumbnails": pa.Table.from_pylist(thumb_rows, schema=THUMBNAILS)}

    return Stage("media", run, writes=("media", "thumbnails"), reads=("videos",))


def signals_stage(text_model: str = "minilm") -> Stage:
    from .models import get
    from .signals import compute_signals

    def run(batch: Batch) -> dict[str, pa.Table]:
        embedder = get("text", text_model)
        return compute_signals(batch.videos, batch.segments, batch.opinions, embedder)

    return Stage("signals", run, writes=("signals", "video_signals"))


def confidence_stage(stats, config=None) -> Stage:
    """Fusion with run-wide calibration ``stats`` (from confidence.Calibration)."""
    from .confidence import fuse

    def run(batch: Batch) -> dict[str, pa.Table]:
        return fuse(pa.concat_tables([batch.signals, batch.lens_signals]), batch.segments, stats, config)

    return Stage("confidence", run, writes=("confidence", "video_confidence"),
                 reads=("segments", "signals", "lens_signals"))
