"""The ``lens_signals`` stage: neighbour consistency and visual-text match, from stored lens vectors.

A segment's neighbours can be in any video, so a run first builds one :class:`LensIndex`
(every stored visual vector and the text vector of every annotation) and the per-video stage
only looks things up in it; the engine's ledger and failure isolation work as for any stage.

Rows go to their own tables (``lens_signals``, ``lens_video_signals``), never into
``signals``: the engine replaces a stage's tables per video, and these change when the lens
vectors change while the text signals do not. Because the results depend on every video, a
fingerprint of the index is recorded; when it changes every video's lens signals are redone.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..annotation import is_audited
from ..pipeline.stage import Batch, Stage
from ..schema import VIDEO_SIGNALS
from .base import signal_rows
from .lens_context import LensIndex, LensView, neighbours_for
from .neighbours import explain

STAGE = "lens_signals"
NEIGHBOURS = "neighbours.visual"
VISUAL_TEXT = "evidence.visual_text"
VISUAL_TEXT_CONTRASTIVE = "evidence.visual_text_contrastive"


def compute_lens_signals(segments: pa.Table, index: LensIndex, shared_space=None) -> dict[str, pa.Table]:
    """Lens signal rows for the audited segments (and videos) in ``segments``.

    ``shared_space``: the visual backend when it is a SharedSpace (its ``embed_texts`` puts
    annotations in the clips' space); None = no visual-text match signals.
    """
    from .registry import specs

    segs = [r for r in segments.to_pylist() if is_audited(r)]
    view = LensView(segs, [(r["video_id"], r["segment_id"]) for r in segs], index, shared_space)
    signals = [s for s in (spec().compute(view) for spec in specs(STAGE)) if s is not None] if segs else []
    rows = signal_rows([k[0] for k in view.keys], [k[1] for k in view.keys], signals)
    vcols = {k: [] for k in VIDEO_SIGNALS.names}
    vids = list(dict.fromkeys(segments.column("video_id").to_pylist()))
    if vids:
        res, _ = neighbours_for(index, index.videos, [(v, None) for v in vids])
        labels, texts = index.videos.labels, index.videos.texts
        for i, v in enumerate(vids):
            vcols["video_id"].append(v)
            vcols["signal"].append(NEIGHBOURS)
            vcols["value"].append(None if np.isnan(res.values[i]) else float(res.values[i]))
            vcols["explanation"].append(explain(res, i, labels, texts, index.lens))
    return {"lens_signals": rows, "lens_video_signals": pa.table(vcols, schema=VIDEO_SIGNALS)}


def shared_space_of(backend: str, lens: str = "visual", options: dict | None = None):
    """The registered backend (built with its recorded ``options``, lenses/backends.py) if it
    has a text side (SharedSpace), else None (no match signal)."""
    from ..models import get
    from ..models.pixels import SharedSpace

    if not backend:
        return None
    try:
        obj = get(lens, backend, **(options or {}))
    except KeyError:
        return None
    return obj if isinstance(obj, SharedSpace) and callable(getattr(obj, "embed_texts", None)) else None


def lens_signals_stage(index: LensIndex, shared_space=None) -> Stage:
    def run(batch: Batch) -> dict[str, pa.Table]:
        return compute_lens_signals(batch.segments, index, shared_space)

    return Stage(STAGE, run, writes=("lens_signals", "lens_video_signals"), reads=("segments",))
