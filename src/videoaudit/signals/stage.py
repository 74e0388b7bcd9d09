"""The ``signals`` stage: every registered signal of each video, as a pure function over a Batch."""

from __future__ import annotations

import pyarrow as pa

from ..pipeline.stage import Batch, Stage, model_resources


def signals_stage(text_model: str | None = None, device: str | None = None, cache_root=None) -> Stage:
    """``cache_root``: the workspace whose ``text_cache`` table holds vectors by content hash."""
    from ..models.text import DEFAULT_TEXT_MODEL
    from ..models.text_cache import text_embedder
    from . import compute_signals

    name = text_model or DEFAULT_TEXT_MODEL

    def run(batch: Batch) -> dict[str, pa.Table]:
        return compute_signals(batch.videos, batch.segments, batch.opinions, text_embedder(name, device, cache_root))

    return Stage("signals", run, writes=("signals", "video_signals"),
                 resources=model_resources([("text", name)], device),
                 init=lambda: text_embedder(name, device, cache_root))  # weights load in setup()
