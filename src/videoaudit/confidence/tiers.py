"""Tiers of the confidence map (docs/confidence.md).

trusted    confidence >= 0.70 and checked      use as is
uncertain  0.40 <= c < 0.70 and checked        spot-check, or send to a second opinion
unverified c >= 0.40, coverage < 0.5           nothing independent could check enough of it: add evidence
review     confidence < 0.40                   a person (or a stronger model) should look

"Checked" = evidence coverage >= ``CHECKED_FROM``: at least half of the segment's field groups
(summary / action / actor; later its claims) had an independent source (upstream captions,
transcript, opinions, a visual-text lens) that could check them. A score, however high, from
the annotation's agreement with itself is never "trusted".
"""

from __future__ import annotations

import numpy as np

TRUSTED_FROM = 0.70
REVIEW_BELOW = 0.40
CHECKED_FROM = 0.5
TIERS = ("trusted", "uncertain", "unverified", "review")
#: low to high, for "keep at or above": an unverified annotation ranks below a checked uncertain one
RANK = ("review", "unverified", "uncertain", "trusted")


def tier(confidence: float | None, coverage: float | None = None) -> str | None:
    """The tier of a confidence; with ``coverage`` given, an unchecked segment is never trusted."""
    if confidence is None or np.isnan(confidence):
        return None
    if confidence < REVIEW_BELOW:
        return "review"
    if coverage is not None and not (coverage >= CHECKED_FROM):
        return "unverified"
    return "trusted" if confidence >= TRUSTED_FROM else "uncertain"
