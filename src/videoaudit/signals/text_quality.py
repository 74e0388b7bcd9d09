"""Degenerate text: repetition loops, truncation, refusal boilerplate. Pure functions of a string."""

from __future__ import annotations

import re

_REFUSAL = re.compile(
    r"\b(i'?m sorry|i am sorry|i apologi[sz]e|i can(?:'|no)t (?:help|assist|provide|describe)|i am unable|"
    r"i'm unable|as an ai\b|unable to (?:help|assist|provide|describe)|cannot (?:help|assist) with)",
    re.I,
)
_WORD = re.compile(r"\w+", re.U)
_END = re.compile(r"[.!?\"'\u201d\u2019)\]…]\s*$")


def repetition(text: str, n: int = 4) -> float:
    """Share of word n-grams that repeat an earlier n-gram (0 = none, near 1 = a loop)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 2 * n:
        return 0.0
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return 1.0 - len(set(grams)) / len(grams)


def quality(text: str | None, long_form: bool) -> tuple[float, str | None]:
    """(support in [0, 1], problem) for one annotation field; long_form fields must end a sentence."""
    if not isinstance(text, str) or not text.strip():
        return float("nan"), None
    t = text.strip()
    if _REFUSAL.search(t):
        return 0.0, "refusal boilerplate"
    rep = repetition(t)
    if rep > 0.3:
        return max(0.0, 1.0 - 2 * rep), f"repetition loop ({rep:.0%} repeated 4-grams)"
    if long_form and len(t.split()) >= 8 and not _END.search(t):
        return 0.2, "truncated (no sentence end)"
    return 1.0, None
