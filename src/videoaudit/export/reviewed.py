"""What the exports keep: tiers ranked, and review decisions applied to a segment's fields.

``--min-tier`` keeps annotations at or above a tier (trusted > uncertain > unverified > review). A
human verdict outranks the fusion: ``reviewed-ok`` is always kept, ``reviewed-wrong``
never. With ``apply_reviews`` a decision acts on single fields: a field decided ``wrong``
is removed (null, as the release marks "no annotation"; ``*`` removes the whole ``gpt``),
a ``fixed`` field gets the reviewer's text, and the fields a reviewer left alone stay.
"""

from __future__ import annotations

from ..confidence.tiers import RANK as TIERS  # low to high
from ..review.decisions import SegmentVerdict, by_segment
from ..schema import GPT_FIELDS, REVIEW_ALL_FIELDS

MIN_TIERS: tuple[str, ...] = TIERS


def check_min_tier(min_tier: str) -> str:
    if min_tier not in MIN_TIERS:
        raise ValueError(f"unknown --min-tier {min_tier!r}; one of {', '.join(MIN_TIERS)}")
    return min_tier


def keeps(tier: str | None, min_tier: str) -> bool:
    """Is an annotation of this tier exported at ``min_tier``?"""
    if tier == "reviewed-ok":
        return True
    if tier is None or tier == "reviewed-wrong" or tier not in TIERS:
        return False
    return TIERS.index(tier) >= TIERS.index(min_tier)


def decisions(ws) -> dict[tuple[str, str], SegmentVerdict]:
    """(video_id, segment_id) -> the current decisions about it (empty without reviews)."""
    reviews = ws.store.read("reviews")
    return by_segment(reviews) if reviews.num_rows else {}


def apply(seg: dict, verdict: SegmentVerdict | None) -> dict:
    """A copy of a segments-table row with the decisions applied to its GPT fields."""
    if verdict is None:
        return seg
    out = dict(seg)
    na = set(out.get("na_fields") or [])
    for name, text in verdict.fixes.items():
        out[name] = text
        na.discard(name)
    removed = set(GPT_FIELDS) if REVIEW_ALL_FIELDS in verdict.removed else set(verdict.removed)
    for name in removed:
        out[name] = None
        na.discard(name)
    out["na_fields"] = sorted(na)
    out["has_gpt"] = bool(out.get("has_gpt")) and any(out.get(f) is not None or f in na for f in GPT_FIELDS)
    return out
