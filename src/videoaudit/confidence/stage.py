"""The ``confidence`` stage: the fusion of a Batch's signal rows, with run-wide calibration."""

from __future__ import annotations

import pyarrow as pa

from ..pipeline.stage import Batch, Stage


def confidence_stage(stats, config=None) -> Stage:
    """Fusion with run-wide calibration ``stats`` (from confidence.Calibration)."""
    from .fuse import fuse

    def run(batch: Batch) -> dict[str, pa.Table]:
        return fuse(pa.concat_tables([batch.table("signals"), batch.table("lens_signals")]), batch.segments, stats, config)

    return Stage("confidence", run, writes=("confidence", "video_confidence"),
                 reads=("segments", "signals", "lens_signals"))
