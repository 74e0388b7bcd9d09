"""The one way a transcript is cut into texts for a sentence embedder: timed chunks.

Consecutive entries are packed into a chunk until it holds ``TARGET_WORDS`` words (a sentence
or two: enough context for the embedder, short enough to place in time - a segment's vector
is built from the chunks it overlaps) and never past ``MAX_WORDS``: all-MiniLM-L6-v2 (the
offline default) reads at most 128 word pieces and silently drops the rest; YouTube
auto-captions run about 1.3 word pieces per word, numbers and rare words more, so 64 words
stay under 128 pieces with margin. An entry longer than that is cut at word boundaries, its
pieces timed in proportion to their words. Every consumer (the signals' per-segment transcript
vector, the transcript lens, the evidence sources) embeds these same strings, so the
content-hash text cache (models/text_cache.py) embeds each chunk once per run.

A window's (segment's) transcript vector is the sum of the chunk vectors weighted by seconds
of overlap (:func:`overlap_weights`), L2-normalised; no overlapping chunk -> no vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TARGET_WORDS = 40
MAX_WORDS = 64
MIN_SECONDS = 0.5  # a chunk shorter than this (one caption at one instant) still overlaps its moment


@dataclass(frozen=True)
class Chunk:
    start: float
    end: float
    text: str
    words: int


def words_of(text: str | None) -> list[str]:
    """Whitespace-split words (auto-captions carry double spaces)."""
    return (text or "").split()


def _pieces(words: list[str], start: float, end: float, max_words: int):
    """An entry as (start, end, words) pieces of at most ``max_words``, timed by word position."""
    n = len(words)
    for i in range(0, n, max_words):
        j = min(n, i + max_words)
        yield start + (end - start) * i / n, start + (end - start) * j / n, words[i:j]


def chunk_transcript(entries: Sequence[dict] | None, max_words: int = MAX_WORDS,
                     target_words: int | None = TARGET_WORDS) -> list[Chunk]:
    """Consecutive timed entries packed into chunks that close at ``target_words`` words (None:
    only at the cap) and never hold more than ``max_words``.

    Entries without words or without a start time are skipped (an untimed line cannot be
    placed in a segment); a missing end is the start.
    """
    if max_words < 1:
        raise ValueError("max_words must be >= 1")
    target = min(max_words, target_words or max_words)
    out: list[Chunk] = []
    cur: list[str] = []
    start = end = 0.0
    for e in entries or []:
        words, s = words_of(e.get("text")), e.get("start")
        if not words or s is None:
            continue
        t = e.get("end")
        for ps, pe, piece in _pieces(words, float(s), float(s if t is None else t), max_words):
            if cur and len(cur) + len(piece) > max_words:
                out.append(Chunk(start, end, " ".join(cur), len(cur)))
                cur = []
            if not cur:
                start = ps
            cur += piece
            end = pe
            if len(cur) >= target:
                out.append(Chunk(start, end, " ".join(cur), len(cur)))
                cur = []
    if cur:
        out.append(Chunk(start, end, " ".join(cur), len(cur)))
    return out


def overlap_weights(chunks: Sequence[Chunk], starts, ends) -> np.ndarray:
    """Seconds of overlap between every window (rows) and every chunk (columns)."""
    cs = np.array([c.start for c in chunks], float)[None, :]
    ce = np.array([max(c.end, c.start + MIN_SECONDS) for c in chunks], float)[None, :]
    s, e = np.asarray(starts, float)[:, None], np.asarray(ends, float)[:, None]
    return np.clip(np.minimum(e, ce) - np.maximum(s, cs), 0.0, None)
