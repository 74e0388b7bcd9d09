"""The ``pixels`` stage: probe, thumbnails and every pixel lens of a video from one decode.

Like every lens stage it writes a vector per video (``segment_id`` null) and per annotated
segment (``has_gpt``) into ``embeddings_<lens>`` (schema.embeddings_schema; the ``backend``
column holds the registry name that made it).

Segment clips (pixel lenses): a segment's clip is the subset of the video's decoded lens
frames whose requested time lies inside [start, end]; nothing is decoded again. When fewer
than 2 frames fall inside (a short segment, or a lens that samples sparsely, e.g. the motion
lens's frame pairs every few seconds), the clip is the fewest frames NEAREST the window
(distance to the window, ties to the earlier frame), at least 2, that the lens can make a
non-zero vector from (a motion pair needs both of its frames: the nearest 2 may belong to two
different pairs). A lens that cannot make a vector from any of the nearest ``2 + 6`` frames
stores no row for that segment. A whole video whose frames give the zero vector stores no
row either: a zero vector would pretend to be a point of the space.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa

from ..pipeline.stage import WARNING_SCHEMA, WARNINGS, Batch, Stage, model_resources
from ..schema import MEDIA, THUMBNAILS, embeddings_schema, embeddings_table
from .vectors import annotated_segments, vector_row

THUMBNAILS_PER_VIDEO = 8
PIXEL_LENSES = ("visual", "grounding")
MIN_CLIP_FRAMES = 2
MAX_EXTRA_FRAMES = 6
_EPS = 1e-6


def _usable(v) -> bool:
    if v is None:
        return False
    n = float(np.linalg.norm(v))
    return bool(np.isfinite(n) and n > 0)


def clip_vector(frames: Sequence, start: float, end: float, embed: Callable[[list], np.ndarray],
                min_frames: int = MIN_CLIP_FRAMES, max_extra: int = MAX_EXTRA_FRAMES) -> np.ndarray | None:
    """The lens vector of the segment [start, end] from a video's already decoded ``frames``
    (module docstring: inside frames, else the fewest nearest usable ones; None if none)."""
    frames = sorted(frames, key=lambda f: f.t)
    inside = [f for f in frames if start - _EPS <= f.t <= end + _EPS]
    if len(inside) >= min_frames:
        v = embed(inside)
        if _usable(v):
            return v
    order = sorted(frames, key=lambda f: (max(start - f.t, f.t - end, 0.0), f.t))
    lo = max(min_frames, len(inside) + 1) if len(inside) >= min_frames else min_frames
    for n in range(lo, min(len(order), min_frames + max_extra) + 1):
        v = embed(sorted(order[:n], key=lambda f: f.t))
        if _usable(v):
            return v
    return None


def _per_video(emb) -> Callable[[list], np.ndarray]:
    """``emb.embed_frames`` with a fresh per-video feature cache when the backend takes one
    (the weight-free lenses do: a segment clip reuses the features of the video's frames)."""
    import inspect

    try:
        takes_cache = "cache" in inspect.signature(emb.embed_frames).parameters
    except (TypeError, ValueError):
        takes_cache = False
    if not takes_cache:
        return emb.embed_frames
    cache: dict = {}
    return lambda frames: emb.embed_frames(frames, cache=cache)


def _decode(v: dict, sampler, embedders: dict, thumbnails: int) -> dict[str, list]:
    """Every consumer's frames of video ``v`` from ONE decode (a MediaError names the file)."""
    from ..media import FrameRequest, probe

    dur = v["duration"] or 0.0
    if dur <= 0 and embedders:
        dur = probe(v["media_path"]).duration  # container metadata only, no decoding
    times = tuple(dur * (k + 0.5) / thumbnails for k in range(thumbnails)) if dur > 0 else (0.0,)
    requests = [FrameRequest("thumbnails", times=times)]
    for lens, emb in embedders.items():
        requests.append(dataclasses.replace(emb.frame_request(dur), consumer=f"lens:{lens}"))
    return sampler.sample(v["media_path"], requests)


def _lens_rows(vid: str, frames: list, emb, backend: str, segs: list[tuple[str, float, float]]) -> list[dict]:
    """The video's vector and each annotated segment's clip vector (none where unusable)."""
    embed = _per_video(emb)
    rows = []
    vec = embed(frames) if frames else None
    if _usable(vec):
        rows.append(vector_row(vid, None, backend, vec))
    for sid, s, e in segs:
        sv = clip_vector(frames, s, e, embed) if frames else None
        if sv is not None:
            rows.append(vector_row(vid, sid, backend, sv))
    return rows


def pixels_stage(visual: str | None = "appearance", grounding: str | None = "motion",
                 thumbnails: int = THUMBNAILS_PER_VIDEO, width: int = 160, sampler=None,
                 segments: bool = True, visual_options: dict | None = None,
                 grounding_options: dict | None = None) -> Stage:
    """Probe, thumbnails and every selected pixel lens of each video from ONE decode.

    ``visual`` / ``grounding``: registry names (``models.registry``), ``None`` or ``"none"``
    to skip that lens; ``visual_options`` / ``grounding_options``: keyword options of that
    backend (e.g. ``{"model": "/models/Qwen3-VL-Embedding-2B"}``, lenses/backends.py).
    ``sampler``: a FrameSampler to use (tests count its decodes).
    """
    from ..media import FrameSampler, thumbnail_jpeg
    from .backends import LensBackend

    sampler = sampler if sampler is not None else FrameSampler()
    specs = {lens: LensBackend(name, opts or {}) for lens, name, opts in
             (("visual", visual, visual_options), ("grounding", grounding, grounding_options))
             if name and name != "none"}
    chosen = {lens: spec.name for lens, spec in specs.items()}  # the backend column: the registry name

    def run(batch: Batch) -> dict[str, pa.Table]:
        embedders = {lens: spec.build(lens) for lens, spec in specs.items()}  # built once per process
        annotated = annotated_segments(batch) if segments else {}
        media_rows, thumb_rows, warn_rows = [], [], []
        lens_rows: dict[str, list[dict]] = {lens: [] for lens in embedders}
        for v in batch.videos.to_pylist():
            if not v["media_path"]:
                continue
            vid = v["video_id"]
            frames = _decode(v, sampler, embedders, thumbnails)
            if (short := sampler.shortfall(vid)) is not None:  # corrupt packets: fewer frames, said so
                warn_rows.append({"video_id": vid, "segment_id": None, "error": short})
            info = sampler.last_info
            media_rows.append({"video_id": vid, "duration": info.duration, "fps": info.fps,
                               "frame_count": info.frame_count, "width": info.width, "height": info.height,
                               "codec": info.codec})
            for f in frames["thumbnails"]:
                thumb_rows.append({"video_id": vid, "t": f.t, "jpeg": thumbnail_jpeg(f, width=width)})
            for lens, emb in embedders.items():
                lens_rows[lens] += _lens_rows(vid, frames.get(f"lens:{lens}", []), emb, chosen[lens],
                                              annotated.get(vid, []))
        out = {"media": pa.Table.from_pylist(media_rows, schema=MEDIA),
               "thumbnails": pa.Table.from_pylist(thumb_rows, schema=THUMBNAILS)}
        if warn_rows:
            out[WARNINGS] = pa.Table.from_pylist(warn_rows, schema=WARNING_SCHEMA)
        for lens, emb in embedders.items():
            out[embeddings_table(lens)] = pa.Table.from_pylist(lens_rows[lens], schema=embeddings_schema(emb.dim))
        return out

    run.sampler = sampler  # type: ignore[attr-defined]
    writes = ("media", "thumbnails", *(embeddings_table(lens) for lens in chosen))
    # decode and the lens models share one pass over the frames (one decode per video), so the stage
    # asks for what its heaviest backend needs; docs/scale.md says how it would split
    device = next((o.get("device") for o in (visual_options, grounding_options) if o and o.get("device")), None)
    return Stage("pixels", run, writes=writes, reads=("videos", "segments"),
                 resources=model_resources([(lens, spec.name) for lens, spec in specs.items()], device))
