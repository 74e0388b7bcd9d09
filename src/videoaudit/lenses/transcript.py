"""Transcript text for a sentence embedder: chunks that fit its token limit, mean-pooled.

all-MiniLM-L6-v2 (the offline default) reads at most 128 word pieces (the embedder sets
``max_seq_length`` to 128) and silently drops the rest, so a whole transcript embedded as one
string would be its first ~90 words. Instead consecutive transcript entries are packed into
chunks of at most ``max_words`` words (default 64: YouTube auto-captions run about 1.3 word
pieces per word, numbers and rare words more, so 64 words stay under 128 pieces with margin;
an entry longer than that is cut at word boundaries), every chunk is embedded, and the vector of
a video or segment is the word-count-weighted mean of its chunks' vectors, L2-normalised.

A segment's transcript is the entries overlapping its window (``entry.start < seg.end`` and
``entry.end > seg.start``); its vector is the word-count-weighted mean of those ENTRIES' vectors
(each entry embedded once, whole, or in ``max_words`` pieces if longer), L2-normalised. Pooling
per-entry vectors instead of re-chunking every window matters: nested segments overlap the same
lines again and again (a 14-video sample: 6,574 words to embed as window chunks vs about 1,500
as entries). No entries -> no vector (the row is absent), never a zero vector.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

MAX_WORDS = 64


def words_of(text: str | None) -> list[str]:
    """Whitespace-split words (auto-captions carry double spaces)."""
    return (text or "").split()


def chunk_entries(entries: Sequence[dict], max_words: int = MAX_WORDS) -> list[tuple[str, int]]:
    """(chunk text, word count) for consecutive ``entries`` packed into <= ``max_words`` words."""
    if max_words < 1:
        raise ValueError("max_words must be >= 1")
    chunks: list[tuple[str, int]] = []
    cur: list[str] = []
    for e in entries:
        ws = words_of(e.get("text"))
        while ws:
            room = max_words - len(cur)
            if room <= 0:
                chunks.append((" ".join(cur), len(cur)))
                cur, room = [], max_words
            cur.extend(ws[:room])
            ws = ws[room:]
    if cur:
        chunks.append((" ".join(cur), len(cur)))
    return chunks


def overlapping(entries: Sequence[dict], start: float, end: float) -> list[dict]:
    """Entries whose [start, end) overlaps [start, end) of a segment."""
    out = []
    for e in entries:
        s, t = e.get("start"), e.get("end")
        if s is None:
            continue
        t = s if t is None else t
        if s < end and t > start:
            out.append(e)
    return out


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
    per_group = [chunk_entries(g, max_words) for g in groups]
    texts = [t for chunks in per_group for t, _ in chunks]
    vecs = embed(texts) if texts else None
    out: list[np.ndarray | None] = []
    i = 0
    for chunks in per_group:
        n = len(chunks)
        out.append(pool(vecs[i:i + n], [c for _, c in chunks]) if n else None)
        i += n
    return out


def embed_video_and_windows(videos: Sequence[tuple[Sequence[dict], Sequence[tuple[float, float]]]], embed,
                            max_words: int = MAX_WORDS) -> list[tuple[np.ndarray | None, list[np.ndarray | None]]]:
    """Per video ``(entries, windows)``: (video vector from chunks, [window vector from its
    overlapping entries' vectors]) with ONE call of ``embed`` for every text involved."""
    texts: list[str] = []
    plan = []
    for entries, windows in videos:
        chunks = chunk_entries(entries, max_words)
        c0 = len(texts)
        texts += [t for t, _ in chunks]
        per_entry = []  # (first text index, [word counts of its pieces]) per entry
        for e in entries:
            pieces = chunk_entries([e], max_words)
            per_entry.append((len(texts), [n for _, n in pieces]))
            texts += [t for t, _ in pieces]
        plan.append((c0, [n for _, n in chunks], per_entry, entries, windows))
    vecs = embed(texts) if texts else np.zeros((0, 1), np.float32)
    out = []
    for c0, counts, per_entry, entries, windows in plan:
        video = pool(vecs[c0:c0 + len(counts)], counts) if counts else None
        wins = []
        for s, t in windows:
            idx, w = [], []
            for e, (i0, ns) in zip(entries, per_entry):
                if overlapping([e], s, t):
                    idx += range(i0, i0 + len(ns))
                    w += ns
            wins.append(pool(vecs[idx], w) if idx else None)
        out.append((video, wins))
    return out
