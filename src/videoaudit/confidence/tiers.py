"""Tiers of the confidence map (docs/confidence.md).

trusted   confidence >= 0.70   use as is
uncertain 0.40 <= c < 0.70     spot-check, or send to a second opinion
review    confidence < 0.40    a person (or a stronger model) should look
"""

from __future__ import annotations

import numpy as np

TRUSTED_FROM = 0.70
REVIEW_BELOW = 0.40


def tier(confidence: float | None) -> str | None:
    if confidence is None or np.isnan(confidence):
        return None
    if confidence >= TRUSTED_FROM:
        return "trusted"
    if confidence < REVIEW_BELOW:
        return "review"
    return "uncertain"
