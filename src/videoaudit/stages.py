"""The audit's stages as pure functions over a Batch of videos (see engine.py).

Each factory returns a ``Stage`` whose function holds its models (loaded once per
process, or once per Ray actor) and turns Arrow rows into Arrow rows.
"""

from __future__ import annotations

import pyarrow as pa

from .pipeline.stage import Batch, Stage, model_resources
from .lenses.stages import pixels_stage, transcript_stage  # noqa: F401  (re-exported)


def signals_stage(text_model: str | None = None, device: str | None = None, cache_root=None) -> Stage:
    """``cache_root``: the workspace whose ``text_cache`` table holds vectors by content hash."""
    from .models.text import DEFAULT_TEXT_MODEL
    from .models.text_cache import text_embedder
    from .signals import compute_signals

    name = text_model or DEFAULT_TEXT_MODEL

    def run(batch: Batch) -> dict[str, pa.Table]:
        return compute_signals(batch.videos, batch.segments, batch.opinions, text_embedder(name, device, cache_root))

    return Stage("signals", run, writes=("signals", "video_signals"),
                 resources=model_resources([("text", name)], device),
                 init=lambda: text_embedder(name, device, cache_root))  # weights load in setup()


def confidence_stage(stats, config=None) -> Stage:
    """Fusion with run-wide calibration ``stats`` (from confidence.Calibration)."""
    from .confidence import fuse

    def run(batch: Batch) -> dict[str, pa.Table]:
        return fuse(pa.concat_tables([batch.table("signals"), batch.table("lens_signals")]), batch.segments, stats, config)

    return Stage("confidence", run, writes=("confidence", "video_confidence"),
                 reads=("segments", "signals", "lens_signals"))
