"""The one home of what an annotation is: its fields, which segments are audited, which text stands for it.

Every stage that needs one of these rules imports it from here, so the signals, the lens
signals and the verdicts can never disagree on which segments they judge or on what text
they compare.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from .schema import CAPTION_FIELDS, GPT_FIELDS

#: the GPT fields, in release order (summary brief/detailed, action brief/detailed, actor)
FIELDS: tuple[str, ...] = GPT_FIELDS
#: the upstream captions embedded as evidence (plm_action is a phrase, used as words only)
EMBEDDED_CAPTIONS: tuple[str, ...] = tuple(c for c in CAPTION_FIELDS if c != "plm_action")
#: every per-segment text the signals embed
EMBEDDED_FIELDS: tuple[str, ...] = (*FIELDS, *EMBEDDED_CAPTIONS)
#: the per-field groups a user can keep or reject separately
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "summary": ("summary_brief", "summary_detailed"),
    "action": ("action_brief", "action_detailed"),
    "actor": ("actor",),
}


def present(text) -> bool:
    """A usable text: a non-blank string (None, NaN and "" are all absent)."""
    return isinstance(text, str) and text.strip() != ""


def is_audited(row: Mapping) -> bool:
    """A segment is audited when it has GPT text, or a GPT node whose fields all said N/A
    (an N/A can itself be wrong)."""
    if any(present(row.get(f)) for f in FIELDS):
        return True
    na = row.get("na_fields")
    return row.get("has_gpt") == True and na is not None and len(na) > 0  # noqa: E712  (None/NaN = no)


def is_root(row: Mapping) -> bool:
    parent = row.get("parent_id")
    return not isinstance(parent, str) or row.get("level") == 0


def annotation_text(row: Mapping, kind: str = "brief") -> str | None:
    """The text that stands for a segment's annotation.

    ``brief``: the one-sentence summary, else the detailed one, else the action - the part
    look-alike clips should share, and the caption length a text-video model was trained on.
    ``opinion``: what a second opinion is compared with - for the root, the detailed summary
    (a whole-video description is long), else the brief summary; the action when missing.
    """
    if kind == "brief":
        order: Sequence[str] = ("summary_brief", "summary_detailed", "action_brief", "action_detailed")
    elif kind == "opinion":
        order = ("summary_detailed" if is_root(row) else "summary_brief", "action_brief")
    else:
        raise ValueError(f"unknown annotation text kind {kind!r}; one of brief, opinion")
    for f in order:
        t = row.get(f)
        if present(t):
            return t.strip() if kind == "brief" else t
    return None
