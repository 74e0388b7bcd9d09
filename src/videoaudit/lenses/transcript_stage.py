"""The ``transcript`` stage: a transcript lens vector per video and per annotated segment."""

from __future__ import annotations

import pyarrow as pa

from ..pipeline.stage import Batch, Stage, model_resources
from ..schema import embeddings_schema, embeddings_table
from .vectors import annotated_segments, vector_row


def transcript_stage(model: str = "minilm", max_words: int | None = None, device: str | None = None,
                     cache_root=None) -> Stage:
    """The transcript lens: a vector per video (whole transcript) and per annotated segment
    (chunks overlapping its window), from any text model of the registry (lenses/transcript.py)."""
    from ..models.text_cache import text_embedder
    from .transcript import MAX_WORDS, embed_video_and_windows

    mw = max_words or MAX_WORDS

    def run(batch: Batch) -> dict[str, pa.Table]:
        embedder = text_embedder(model, device, cache_root)
        annotated = annotated_segments(batch)
        work, keys = [], []
        for v in batch.videos.to_pylist():
            entries = [e for e in (v["transcript"] or []) if (e.get("text") or "").strip()]
            if not entries:
                continue  # no transcript: no vector at all, never a zero vector
            segs = annotated.get(v["video_id"], [])
            work.append((entries, [(s, e) for _, s, e in segs]))
            keys.append((v["video_id"], [sid for sid, _, _ in segs]))
        rows = []
        for (vid, sids), (video, wins) in zip(keys, embed_video_and_windows(work, embedder.embed, mw)):
            if video is not None:
                rows.append(vector_row(vid, None, model, video))
            rows += [vector_row(vid, sid, model, w) for sid, w in zip(sids, wins) if w is not None]
        return {embeddings_table("transcript"): pa.Table.from_pylist(rows, schema=embeddings_schema(embedder.dim))}

    return Stage("transcript", run, writes=(embeddings_table("transcript"),), reads=("videos", "segments"),
                 resources=model_resources([("text", model)], device),
                 init=lambda: text_embedder(model, device, cache_root))  # weights load in setup()
