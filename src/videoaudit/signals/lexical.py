"""Lexical agreement: the workshop's edit-distance metrics, done without its bugs.

Normalised Levenshtein similarity = 1 - lev(a, b) / max(len) on stripped, lower-cased
text; ANLS is the same, zeroed below 0.5. A missing text on either side gives ``nan``,
never a perfect score. Lexical metrics score paraphrases near 0, so the confidence map
shows them beside the semantic score instead of trusting them alone.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ..annotation import annotation_text
from .base import Signal, SignalSpec, describe
from .context import VideoView
from .registry import register


def _prep(t) -> str | None:
    return t.strip().lower() if isinstance(t, str) and t.strip() else None


def normalized_similarity(a: Sequence[str | None], b: Sequence[str | None]) -> np.ndarray:
    """Pairwise (a[i], b[i]) normalised Levenshtein similarity; nan where either is missing."""
    a2, b2 = [_prep(x) for x in a], [_prep(x) for x in b]
    ok = np.array([x is not None and y is not None for x, y in zip(a2, b2)], bool)
    out = np.full(len(a2), np.nan)
    if ok.any():
        idx = np.flatnonzero(ok)
        out[idx] = process.cpdist([a2[i] for i in idx], [b2[i] for i in idx],
                                  scorer=Levenshtein.normalized_similarity, workers=1)
    return out


def anls(a: Sequence[str | None], b: Sequence[str | None], threshold: float = 0.5) -> np.ndarray:
    s = normalized_similarity(a, b)
    return np.where(np.isnan(s), np.nan, np.where(s < threshold, 0.0, s))


def opinion_levenshtein(view: VideoView) -> np.ndarray:
    """Edit similarity of each segment's annotation to its opinion (computed once per view)."""
    if "levenshtein" not in view.cache:
        view.cache["levenshtein"] = normalized_similarity([annotation_text(r, "opinion") for r in view.seg.to_dict("records")],
                                                             view.opinion_text)
    return view.cache["levenshtein"]


@register
class EditSimilarity(SignalSpec):
    """Shown beside the semantic score, never fused: paraphrases score near 0."""

    name, weight, needs = "lexical.levenshtein", 0.0, ("opinions",)
    independent, source, fields = True, "opinion", ("summary",)

    def compute(self, view: VideoView) -> Signal:
        lev = opinion_levenshtein(view)
        return Signal(self.name, lev, describe(lev, lambda i, v: f"edit-distance similarity to the opinion {v:.2f}"))


@register
class ANLS(SignalSpec):
    """The workshop's ANLS (edit similarity zeroed below 0.5); shown, not fused."""

    name, weight, needs = "lexical.anls", 0.0, ("opinions",)
    independent, source, fields = True, "opinion", ("summary",)

    def compute(self, view: VideoView) -> Signal:
        lev = opinion_levenshtein(view)
        return Signal(self.name, np.where(np.isnan(lev), np.nan, np.where(lev < 0.5, 0.0, lev)),
                      describe(lev, lambda i, v: f"ANLS to the opinion {v if v >= 0.5 else 0.0:.2f}"))
