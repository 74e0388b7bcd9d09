"""Signals: one row per (segment, signal), a value in [0, 1] or null, and why.

Each signal is a registered class (``registry.py``); the ``signals`` stage computes every
signal registered for it over one :class:`VideoView` per video.
"""

from __future__ import annotations

import pyarrow as pa

from ..schema import VIDEO_SIGNALS
from .base import Signal, signal_rows
from .context import VideoView, build_views
from .temporal import video_temporal_metrics


def signals_for_video(view: VideoView) -> list[Signal]:
    from .registry import specs

    return [spec().compute(view) for spec in specs("signals")]


def compute_signals(videos: pa.Table, segments: pa.Table, opinions: pa.Table, embedder,
                    entailment=None) -> dict[str, pa.Table]:
    """All signals of a batch of videos: ``{"signals": ..., "video_signals": ...}``;
    ``entailment`` (an Entailment model, or None) refines the claims check."""
    parts = []
    vcols: dict[str, list] = {k: [] for k in VIDEO_SIGNALS.names}
    for view in build_views(videos, segments, opinions, embedder):
        view.cache["entailment"] = entailment
        ids = view.seg.segment_id.tolist()
        parts.append(signal_rows([view.video_id] * len(ids), ids, signals_for_video(view), keep=view.audited))
        for name, value, expl in video_temporal_metrics(view):
            vcols["video_id"].append(view.video_id)
            vcols["signal"].append(name)
            vcols["value"].append(value)
            vcols["explanation"].append(expl)
    from ..schema import SIGNALS

    return {
        "signals": pa.concat_tables(parts) if parts else SIGNALS.empty_table(),
        "video_signals": pa.table(vcols, schema=VIDEO_SIGNALS),
    }
