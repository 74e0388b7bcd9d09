"""Semantic agreement with the opinions: sentence-embedding cosine, and paraphrase vs error.

Lexical low + semantic high is a paraphrase, not a disagreement; the explanation says
which of agreement / paraphrase / disagreement a pair is, so the report can show why a
segment with a low edit-distance score is still trusted.
"""

from __future__ import annotations

import numpy as np

from .base import Signal, SignalSpec, cosine_rows, masked
from .context import VideoView
from .lexical import opinion_levenshtein
from .registry import register

PARAPHRASE_SEMANTIC = 0.6  # cosine above which a lexically distant pair means the same
LEXICAL_SAME = 0.5


def relation(lexical: float, semantic: float) -> str:
    if np.isnan(semantic):
        return "no opinion"
    if semantic >= PARAPHRASE_SEMANTIC:
        return "agreement" if (not np.isnan(lexical) and lexical >= LEXICAL_SAME) else "paraphrase"
    return "disagreement"


@register
class OpinionAgreement(SignalSpec):
    """A second opinion may be the one that is wrong: it counts in full only when the
    segment's own evidence also doubts the annotation (CROWDLAB's idea, simplest form)."""

    name, weight, needs, corroborated_by = "semantic.opinion", 0.9, ("opinions",), "evidence"
    independent, source, fields = True, "opinion", ("summary", "action")

    def compute(self, view: VideoView) -> Signal:
        sem = masked(cosine_rows(view.vec["annotation"], view.vec["opinion"]),
                     view.has["opinion"] & view.has["annotation"])
        lev = opinion_levenshtein(view)
        expl = [None if np.isnan(s) else
                f"{relation(l, s)} with the second opinion (cosine {s:.2f}, edit {0 if np.isnan(l) else l:.2f})"
                for s, l in zip(sem, lev)]
        return Signal(self.name, sem, expl)
