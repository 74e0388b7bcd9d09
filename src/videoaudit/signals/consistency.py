"""Consistency inside the annotation itself: fields, tree, actor, N/A, duplicates, text, structure."""

from __future__ import annotations

import numpy as np

from .base import RULE, Signal, SignalSpec, cosine_rows, describe, masked, similarities
from .context import VideoView, _norm_rows
from .registry import register
from .text_quality import quality

# N/A coherence: is the segment's material closer to "nothing happens" than to "someone acts"?
STATIC_PROTOTYPES = (
    "a title card with text on the screen",
    "an intro screen showing a logo",
    "a still image with no one doing anything",
    "a blank or black screen",
)
ACTION_PROTOTYPES = (
    "a person is doing something with their hands",
    "someone works with a tool",
    "a person performs an action",
)
_PROTO: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def prototypes(embedder) -> tuple[np.ndarray, np.ndarray]:
    key = getattr(embedder, "name", str(id(embedder)))
    if key not in _PROTO:
        _PROTO[key] = (embedder.embed(list(STATIC_PROTOTYPES)), embedder.embed(list(ACTION_PROTOTYPES)))
    return _PROTO[key]


def _brief_detailed(view: VideoView, what: str) -> Signal:
    """Brief vs detailed, for the summary and the action separately (their scales differ)."""
    v, h = view.vec, view.has
    b, d = f"{what}_brief", f"{what}_detailed"
    vals = masked(cosine_rows(v[b], v[d]), h[b] & h[d] & view.audited)
    return Signal(f"consistency.{what}_brief_detailed", vals,
                  describe(vals, lambda i, x: f"{what} brief vs detailed {x:.2f}"))


def _children(view: VideoView) -> Signal:
    seg = view.seg
    n = len(seg)
    pos = {sid: i for i, sid in enumerate(seg.segment_id)}
    child_vec = np.where(view.has["annotation"][:, None], view.vec["annotation"],
                         _norm_rows(view.vec["plm_caption"] + view.vec["llama3_caption"]))
    child_ok = view.has["annotation"] | view.has["plm_caption"] | view.has["llama3_caption"]
    acc = np.zeros_like(child_vec)
    cnt = np.zeros(n)
    for j, p in enumerate(seg.parent_id):
        i = pos.get(p)
        if i is not None and child_ok[j]:
            acc[i] += child_vec[j]
            cnt[i] += 1
    ok = (cnt > 0) & view.has["annotation"] & view.audited
    vals = masked(cosine_rows(view.vec["annotation"], _norm_rows(acc)), ok)
    return Signal("consistency.children", vals, describe(vals, lambda i, x: f"summary vs its children {x:.2f}"))


def _actor(view: VideoView) -> Signal:
    ok = view.has["actor"] & view.audited
    n = len(ok)
    vals = np.full(n, np.nan)
    if ok.sum() >= 3:
        a = view.vec["actor"]
        total = a[ok].sum(0)
        for i in np.flatnonzero(ok):
            rest = total - a[i]
            nrm = np.linalg.norm(rest)
            if nrm > 0:
                vals[i] = float(np.clip(a[i] @ rest / nrm, 0, 1))
    return Signal("consistency.actor", vals, describe(vals, lambda i, x: f"actor vs the video's other actors {x:.2f}"))


def _na(view: VideoView) -> Signal:
    n = len(view.seg)
    vals = np.full(n, np.nan)
    expl: list[str | None] = [None] * n
    na_action = np.array(["action_brief" in (x if x is not None else []) for x in view.seg.na_fields], bool)
    idx = np.flatnonzero(na_action & view.audited)
    if len(idx):
        static, action = prototypes(view.embedder)
        mat = _norm_rows(view.vec["annotation"][idx] + view.vec["captions"][idx])
        margin = (mat @ static.T).max(1) - (mat @ action.T).max(1)
        vals[idx] = 1.0 / (1.0 + np.exp(-margin / 0.02))
        for k, i in enumerate(idx):
            expl[i] = ("marked N/A and its material shows no action" if vals[i] >= 0.5
                       else f"marked N/A but its text and captions describe an action (margin {margin[k]:+.2f})")
    return Signal("consistency.na", vals, expl)


def _duplicates(view: VideoView) -> Signal:
    ok = view.audited & view.has["summary_detailed"]
    n = len(ok)
    vals = np.full(n, np.nan)
    expl: list[str | None] = [None] * n
    if ok.sum() >= 2:
        d = view.vec["summary_detailed"]
        sim = similarities(d, d)
        for i in np.flatnonzero(ok):
            others = np.flatnonzero(ok & view.disjoint[i])
            if not len(others):
                continue
            j = others[np.argmax(sim[i, others])]
            vals[i] = float(np.clip((0.99 - sim[i, j]) / 0.04, 0, 1))
            expl[i] = (f"near-duplicate of segment {view.seg.segment_id[j]} (cosine {sim[i, j]:.2f})" if vals[i] < 1
                       else "no near-duplicate elsewhere in the video")
    return Signal("consistency.duplicate", vals, expl)


def _text_quality(view: VideoView) -> Signal:
    seg = view.seg
    n = len(seg)
    vals = np.full(n, np.nan)
    expl: list[str | None] = [None] * n
    for i, r in enumerate(seg.to_dict("records")):
        if not view.audited[i]:
            continue
        worst, why = 1.0, None
        for f in ("summary_brief", "summary_detailed", "action_brief", "action_detailed", "actor"):
            q, problem = quality(r.get(f), long_form=f.endswith("detailed"))
            if not np.isnan(q) and q < worst:
                worst, why = q, f"{f}: {problem}"
        vals[i] = worst
        expl[i] = why or "no degenerate text"
    return Signal("consistency.text_quality", vals, expl)


OWN_ISSUES = ("nonpositive_duration", "duplicate_id", "orphan", "level_mismatch", "non_binary")


def _structure(view: VideoView) -> Signal:
    """Which node broke the tree? The one at odds with its parent, its sibling AND its children.

    A moved node leaves marks on its neighbours too (its sibling overlaps it, its children
    stick out of it, its parent is no longer tiled); a neighbour violates one relation,
    the culprit two or three, so only the culprit gets a strong reason.
    """
    seg = view.seg
    n = len(seg)
    st, en = seg.start.to_numpy(float), seg.end.to_numpy(float)
    pos = {sid: i for i, sid in enumerate(seg.segment_id)}
    parent = np.array([pos.get(p, -1) if isinstance(p, str) else -1 for p in seg.parent_id])
    kids: dict[int, list[int]] = {}
    for j, p in enumerate(parent):
        if p >= 0:
            kids.setdefault(int(p), []).append(j)
    tol = 0.05
    vals = np.full(n, np.nan)
    expl: list[str | None] = [None] * n
    for i in np.flatnonzero(view.audited):
        issues = list(seg.structure_issues[i]) if seg.structure_issues[i] is not None else []
        own = [x for x in issues if x in OWN_ISSUES]
        p = parent[i]
        up = p >= 0 and (st[i] < st[p] - tol or en[i] > en[p] + tol)
        sibs = [j for j in kids.get(int(p), []) if j != i] if p >= 0 else []
        # in a tiling, each of my boundaries inside the parent meets a sibling's boundary
        side = any(not (abs(en[i] - st[j]) <= tol or abs(st[i] - en[j]) <= tol) for j in sibs)
        ch = kids.get(int(i), [])
        down = bool(ch) and (any(st[j] < st[i] - tol or en[j] > en[i] + tol for j in ch)
                             or abs(min(st[j] for j in ch) - st[i]) > tol or abs(max(en[j] for j in ch) - en[i]) > tol)
        broken = int(up) + int(side) + int(down)
        if own or broken >= 2:
            vals[i] = 0.0
        elif broken == 1:
            vals[i] = 0.7
        else:
            vals[i] = 1.0
        where = [w for w, b in (("parent", up), ("sibling", side), ("children", down)) if b]
        expl[i] = ("tree structure ok" if vals[i] == 1.0 else
                   "tree structure: " + ", ".join(own + [f"at odds with its {w}" for w in where]))
    return Signal("consistency.structure", vals, expl)


@register
class SummaryBriefDetailed(SignalSpec):
    name, weight, fields = "consistency.summary_brief_detailed", 0.9, ("summary",)

    def compute(self, view: VideoView) -> Signal:
        return _brief_detailed(view, "summary")


@register
class ActionBriefDetailed(SignalSpec):
    """Action briefs are two or three words: their cosine with the detail is noisier."""

    name, weight, fields = "consistency.action_brief_detailed", 0.6, ("action",)

    def compute(self, view: VideoView) -> Signal:
        return _brief_detailed(view, "action")


@register
class Children(SignalSpec):
    """A parent summarises its children (their annotation, else their captions)."""

    name, weight, fields = "consistency.children", 0.8, ("summary",)

    def compute(self, view: VideoView) -> Signal:
        return _children(view)


@register
class Actor(SignalSpec):
    """The same people act through a video: an actor unlike the video's other actors is suspect."""

    name, weight, fields = "consistency.actor", 0.9, ("actor",)

    def compute(self, view: VideoView) -> Signal:
        return _actor(view)


@register
class NotApplicable(SignalSpec):
    name, weight, kind, fields = "consistency.na", 0.9, RULE, ("action", "actor")

    def compute(self, view: VideoView) -> Signal:
        return _na(view)


@register
class Duplicate(SignalSpec):
    name, weight, kind, fields = "consistency.duplicate", 0.8, RULE, ("summary",)

    def compute(self, view: VideoView) -> Signal:
        return _duplicates(view)


@register
class TextQuality(SignalSpec):
    """Refusals, repetition loops and truncation are certain faults: full weight."""

    name, weight, kind = "consistency.text_quality", 1.0, RULE

    def compute(self, view: VideoView) -> Signal:
        return _text_quality(view)


@register
class Structure(SignalSpec):
    name, weight, kind = "consistency.structure", 1.0, RULE

    def compute(self, view: VideoView) -> Signal:
        return _structure(view)
