"""Copied annotations: a segment whose fields are (near-)identical to its parent's or a neighbour's.

A child covers part of its parent and a neighbour another stretch of time, so the same five fields
word for word say that one of them was not written from its own evidence. It counts as a copy only
while the two segments' own upstream captions differ: where the captions are the same too, the
two stretches may simply look alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import GPT_FIELDS

#: rapidfuzz ratio (0-1) from which two annotations are the same text: a few characters apart
#: over five fields (0.9 flagged templated but distinct children of a synthetic sample).
TEXT_SAME = 0.97
#: characters of each field compared: an edit ratio is quadratic, and a megabyte field is degenerate anyway
FIELD_CHARS = 2_000
#: rapidfuzz ratio below which two segments' own captions differ.
EVIDENCE_DIFFERENT = 0.8


@dataclass(frozen=True)
class Copy:
    segment_id: str  # the segment it matches
    relation: str  # parent | neighbour | sibling
    start: float
    end: float
    text_similarity: float
    evidence_similarity: float | None  # None: one of them has no caption to compare

    def reason(self) -> str:
        ev = "" if self.evidence_similarity is None else f", while their captions agree only {self.evidence_similarity:.0%}"
        return (f"copy: its fields are {self.text_similarity:.0%} identical to its {self.relation} "
                f"{self.segment_id} [{self.start:.0f}-{self.end:.0f} s]{ev}")


def _joined_fields(seg: dict) -> str:
    """Every GPT field, normalised and joined: what two copies have in common."""
    return " | ".join(" ".join(seg[f][:FIELD_CHARS].lower().split()) for f in GPT_FIELDS if isinstance(seg.get(f), str))


def find_copy(seg: dict, vs) -> Copy | None:
    """The closest parent / neighbour / sibling whose annotation ``seg`` repeats, if any (vs: VideoSources)."""
    from rapidfuzz import fuzz

    mine = _joined_fields(seg)
    if not mine:
        return None
    best = None
    for relation, other in vs.relatives(seg):
        if relation == "child":
            continue
        theirs = _joined_fields(other)
        if not theirs:
            continue
        sim = fuzz.ratio(mine, theirs) / 100.0
        if sim < TEXT_SAME or (best is not None and sim <= best.text_similarity):
            continue
        ev = _evidence_similarity(seg, other)
        if ev is not None and ev >= EVIDENCE_DIFFERENT:
            continue
        best = Copy(other["segment_id"], relation, float(other["start"]), float(other["end"]), sim, ev)
    return best


def _evidence_similarity(a: dict, b: dict) -> float | None:
    from rapidfuzz import fuzz

    ca, cb = a.get("plm_caption"), b.get("plm_caption")
    if not (isinstance(ca, str) and isinstance(cb, str) and ca.strip() and cb.strip()):
        return None
    return fuzz.ratio(" ".join(ca[:FIELD_CHARS].lower().split()), " ".join(cb[:FIELD_CHARS].lower().split())) / 100.0
