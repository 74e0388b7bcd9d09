"""The ``signals`` stage: every registered signal of each video, as a pure function over a Batch."""

from __future__ import annotations

import pyarrow as pa

from ..pipeline.stage import Batch, Stage, model_resources


def signals_stage(text_model: str | None = None, device: str | None = None, cache_root=None,
                  entailment: str | None = None) -> Stage:
    """``cache_root``: the workspace whose ``text_cache`` table holds vectors by content hash;
    ``entailment``: an NLI CrossEncoder (models/entailment.py) that refines the claim verdicts
    sentence by sentence (evidence/refine.py), or None."""
    from ..models.text import DEFAULT_TEXT_MODEL
    from ..models.text_cache import text_embedder
    from . import compute_signals

    name = text_model or DEFAULT_TEXT_MODEL
    models: dict = {}

    def setup() -> None:  # once per worker: both models' weights load here, not per batch
        models["text"] = text_embedder(name, device, cache_root)
        if entailment and "nli" not in models:
            from ..models.device import pick_device
            from ..models.registry import get

            models["nli"] = get("entailment", "cross-encoder", model=entailment, device=pick_device(device))
            models["nli"].scores(["a person"], ["a person"])  # a model that cannot load fails here, once

    def run(batch: Batch) -> dict[str, pa.Table]:
        if "text" not in models:
            setup()
        return compute_signals(batch.videos, batch.segments, batch.opinions, models["text"],
                               entailment=models.get("nli"))

    needs = [("text", name)] + ([("entailment", "cross-encoder")] if entailment else [])
    return Stage("signals", run, writes=("signals", "video_signals"),
                 resources=model_resources(needs, device), init=setup)
