"""Evidence: does what the segment's own material says support its annotation?

Absolute support (cosine of the annotation with its captions, transcript window and the
video's title/description), contrastive support (is this segment's evidence the best
match for its text among the video's other segments? a swapped caption is fluent and on
topic, but it matches some other segment's evidence better), and object support (are
the annotation's content words found anywhere in the video's evidence?).
"""

from __future__ import annotations

import numpy as np

from .base import Signal, SignalSpec, cosine_rows, describe, masked, similarities
from .context import VideoView, content_words
from .registry import register


def _similarity(view: VideoView, key: str) -> np.ndarray:
    return masked(cosine_rows(view.vec["annotation"], view.vec[key]), view.has["annotation"] & view.has[key])


@register
class Captions(SignalSpec):
    """Other models' captions of the same frames: the strongest independent witness."""

    name, weight, needs = "evidence.captions", 0.9, ("plm_caption", "llama3_caption")
    independent, source, fields = True, "captions", ("summary", "action")

    def compute(self, view: VideoView) -> Signal:
        v = _similarity(view, "captions")
        return Signal(self.name, v, describe(v, lambda i, x: f"similarity to its own and inner captions {x:.2f}"))


@register
class Transcript(SignalSpec):
    """What is said in the window; speech often narrates something else, hence a lower weight."""

    name, weight, needs = "evidence.transcript", 0.6, ("transcript",)
    independent, source, fields = True, "transcript", ("summary", "action")

    def compute(self, view: VideoView) -> Signal:
        v = _similarity(view, "transcript")
        return Signal(self.name, v, describe(v, lambda i, x: f"similarity to the transcript in its window {x:.2f}"))


@register
class Metadata(SignalSpec):
    """Title and description speak of the whole video, so they are weak per segment."""

    name, weight, needs = "evidence.metadata", 0.5, ("title", "description")
    independent, source, fields = True, "metadata", ("summary",)

    def compute(self, view: VideoView) -> Signal:
        ann, has = view.vec["annotation"], view.has["annotation"]
        v = masked(np.clip(ann @ view.meta_vec, 0, 1), has) if view.meta_vec is not None else np.full(len(ann), np.nan)
        return Signal(self.name, v, describe(v, lambda i, x: f"similarity to title/description {x:.2f}"))


@register
class Contrastive(SignalSpec):
    """A swapped caption is fluent and on topic, but some other segment's evidence fits it better."""

    name, weight, needs = "evidence.contrastive", 0.7, ("plm_caption", "llama3_caption")
    independent, source, fields = True, "captions", ("summary", "action")

    def compute(self, view: VideoView) -> Signal:
        return _contrastive(view)


@register
class ObjectSupport(SignalSpec):
    """An invented object is named only in its own annotation."""

    name, weight, needs = "evidence.object_support", 0.8, ("captions, transcript, metadata or other segments",)
    # not independent: a word the video's other annotations repeat counts as support, so a
    # value exists even where no outside source does
    fields = ("summary",)

    def compute(self, view: VideoView) -> Signal:
        return _word_support(view, "summary_brief", self.name)


@register
class ActorSupport(SignalSpec):
    """A swapped-in actor ("a firefighter" in a cooking video) is fluent and well formed, so
    only the evidence can catch it; object_support's test applied to the actor, same weight."""

    name, weight, needs = "evidence.actor_support", 0.8, ("captions, transcript, metadata or other segments",)
    fields = ("actor",)  # not independent, as object_support

    def compute(self, view: VideoView) -> Signal:
        return _word_support(view, "actor", self.name)


def _contrastive(view: VideoView) -> Signal:
    ann, cap = view.vec["annotation"], view.vec["captions"]
    ok = view.audited & view.has["annotation"] & view.has["captions"]
    n = len(ok)
    vals = np.full(n, np.nan)
    expl: list[str | None] = [None] * n
    if ok.sum() >= 3:
        sim = similarities(ann, cap)  # sim[i, j]: text of i vs evidence of j
        diag = np.diag(sim)
        for i in np.flatnonzero(ok):
            others = np.flatnonzero(ok & view.disjoint[i])
            if len(others) < 2:
                continue
            text_rank = np.mean(sim[i, others] < diag[i])  # my evidence beats others' evidence for my text
            evid_rank = np.mean(sim[others, i] < diag[i])  # my text beats others' texts for my evidence
            vals[i] = 0.5 * (text_rank + evid_rank)
            if vals[i] < 0.5:
                j = others[np.argmax(sim[i, others])]
                expl[i] = (f"its text matches the evidence of segment {view.seg.segment_id[j]} "
                           f"[{view.seg.start[j]:.1f}-{view.seg.end[j]:.1f}s] better than its own")
            else:
                expl[i] = f"its own evidence ranks above {vals[i]:.0%} of the video's other segments"
    return Signal("evidence.contrastive", vals, expl)


def _word_support(view: VideoView, field: str, name: str) -> Signal:
    """Share of ``field``'s content words found anywhere else in the video.

    "Anywhere else" is the evidence (captions, transcript, title, description, opinions)
    and the other segments' annotations: a parent summarises its children in their words,
    so a real object or actor is named more than once, while an invented one appears only here.
    """
    seg = view.seg
    n = len(seg)
    vals = np.full(n, np.nan)
    expl: list[str | None] = [None] * n
    fields = ("summary_brief", "summary_detailed", "action_brief", "action_detailed", "actor")
    columns = [seg[f].tolist() for f in fields]
    own_words = [frozenset().union(*(content_words(t) for t in texts if isinstance(t, str)))
                 for texts in zip(*columns)] if n else []
    counts: dict[str, int] = {}
    for ws in own_words:
        for w in ws:
            counts[w] = counts.get(w, 0) + 1
    for i, text in enumerate(seg[field]):
        if not view.audited[i] or not isinstance(text, str):
            continue
        words = content_words(text)
        if not words:
            continue
        missing = sorted(w for w in words if w not in view.evidence_words and counts.get(w, 0) <= 1)
        vals[i] = 1.0 - len(missing) / len(words)
        expl[i] = ("every content word is found elsewhere in the video" if not missing
                   else f"named nowhere else in the video: {', '.join(missing[:6])}")
    return Signal(name, vals, expl)
