"""Transcript vectors for the transcript lens: the one chunking (``videoaudit.transcripts``), pooled.

A video's vector is the word-count-weighted mean of its chunks' vectors; a segment's is the
sum of the chunks overlapping its window weighted by seconds of overlap - the same vector the
signals compute (signals/context.py) from the same strings, so the text cache embeds each chunk
once per run. Both L2-normalised; no chunk -> no vector (the row is absent), never a zero vector.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..transcripts import MAX_WORDS, chunk_transcript, overlap_weights, words_of  # noqa: F401  (re-exported)


def pool(chunk_vecs: np.ndarray, weights: Sequence[float]) -> np.ndarray | None:
    """Weighted mean of chunk vectors, L2-normalised; None if there is nothing to pool."""
    if len(weights) == 0:
        return None
    w = np.asarray(weights, np.float64)
    v = (np.asarray(chunk_vecs, np.float64) * w[:, None]).sum(axis=0) / max(w.sum(), 1e-12)
    n = float(np.linalg.norm(v))
    if not np.isfinite(n) or n <= 0:
        return None
    return (v / n).astype(np.float32)


def embed_transcripts(groups: Sequence[Sequence[dict]], embed, max_words: int = MAX_WORDS) -> list[np.ndarray | None]:
    """One pooled vector (or None) per group of transcript entries, with ONE call of ``embed``
    (``embed(texts) -> (n, d)`` L2-normalised) over every chunk of every group."""
    return [video for video, _ in embed_video_and_windows([(g, []) for g in groups], embed, max_words)]


def embed_video_and_windows(videos: Sequence[tuple[Sequence[dict], Sequence[tuple[float, float]]]], embed,
                            max_words: int = MAX_WORDS) -> list[tuple[np.ndarray | None, list[np.ndarray | None]]]:
    """Per video ``(entries, windows)``: (video vector, [window vector or None]) with ONE call of
    ``embed`` over every chunk of every video."""
    per_video = [chunk_transcript(entries, max_words) for entries, _ in videos]
    texts = [c.text for chunks in per_video for c in chunks]
    vecs = embed(texts) if texts else np.zeros((0, 1), np.float32)
    out = []
    i = 0
    for chunks, (_, windows) in zip(per_video, videos):
        mat = np.asarray(vecs[i:i + len(chunks)], np.float64)
        i += len(chunks)
        video = pool(mat, [c.words for c in chunks]) if chunks else None
        wins: list[np.ndarray | None] = [None] * len(windows)
        if chunks and windows:
            w = overlap_weights(chunks, [s for s, _ in windows], [e for _, e in windows])
            for j in np.flatnonzero(w.sum(1) > 0):
                v = w[j] @ mat
                n = float(np.linalg.norm(v))
                wins[j] = (v / n).astype(np.float32) if np.isfinite(n) and n > 0 else None
        out.append((video, wins))
    return out
