"""Signals: one row per (segment, signal), a value in [0, 1] or null, and why.

Adding a signal is one function in its family's module and one line in ``FAMILIES``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..schema import SIGNALS, VIDEO_SIGNALS
from .base import Signal
from .consistency import consistency_signals
from .context import VideoView, build_views
from .evidence import evidence_signals
from .lexical import lexical_signals
from .semantic import semantic_signals
from .temporal import temporal_signals, video_temporal_metrics


def signals_for_video(view: VideoView, embedder) -> list[Signal]:
    return [
        *lexical_signals(view),
        *semantic_signals(view),
        *temporal_signals(view),
        *evidence_signals(view),
        *consistency_signals(view, embedder),
    ]


def compute_signals(videos: pa.Table, segments: pa.Table, opinions: pa.Table, embedder) -> dict[str, pa.Table]:
    """All signals of a batch of videos: ``{"signals": ..., "video_signals": ...}``."""
    cols: dict[str, list] = {k: [] for k in SIGNALS.names}
    vcols: dict[str, list] = {k: [] for k in VIDEO_SIGNALS.names}
    for view in build_views(videos, segments, opinions, embedder):
        ids = view.seg.segment_id.to_numpy()
        audited = view.audited
        for sig in signals_for_video(view, embedder):
            keep = audited
            m = int(keep.sum())
            cols["video_id"] += [view.video_id] * m
            cols["segment_id"] += ids[keep].tolist()
            cols["signal"] += [sig.name] * m
            cols["family"] += [sig.family] * m
            vals = sig.values[keep]
            cols["value"] += [None if np.isnan(v) else float(v) for v in vals]
            cols["explanation"] += [e for e, k in zip(sig.explanations, keep) if k]
        for name, value, expl in video_temporal_metrics(view):
            vcols["video_id"].append(view.video_id)
            vcols["signal"].append(name)
            vcols["value"].append(value)
            vcols["explanation"].append(expl)
    return {
        "signals": pa.table(cols, schema=SIGNALS),
        "video_signals": pa.table(vcols, schema=VIDEO_SIGNALS),
    }
