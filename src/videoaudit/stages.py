"""The audit's stages as pure functions over a Batch of videos (see engine.py).

Each factory returns a ``Stage`` whose function holds its models (loaded once per
process, or once per Ray actor) and turns Arrow rows into Arrow rows.
"""

from __future__ import annotations

import pyarrow as pa

from .pipeline.stage import Batch, Stage
from .lenses.stages import pixels_stage, transcript_stage  # noqa: F401  (re-exported)


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
        return fuse(pa.concat_tables([batch.table("signals"), batch.table("lens_signals")]), batch.segments, stats, config)

    return Stage("confidence", run, writes=("confidence", "video_confidence"),
                 reads=("segments", "signals", "lens_signals"))
