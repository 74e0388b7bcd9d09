"""The sources a segment's annotation can be checked against, each with its time window.

Independence is a property of the source's KIND, not of its text: the upstream captions were
written by other models (PerceptionLM, Llama-3.2-Vision), the transcript by the speaker, the title
and description by the uploader, opinions by a second model; the tree's other annotations
(parent, children, siblings, neighbours) come from the same GPT run as the segment itself, so they
can agree with it without being evidence for it. ``KINDS`` states both properties for each kind:
``independent`` and ``can_contradict`` (a source that does not cover the segment's time, or that
is talk rather than sight, can support a claim but not refute it).
"""

from __future__ import annotations

import functools

from dataclasses import dataclass
from typing import Iterable, Sequence

from ..annotation import is_audited  # noqa: F401  (the one rule; re-exported by evidence)
from ..schema import CAPTION_FIELDS, GPT_FIELDS


@dataclass(frozen=True)
class Kind:
    independent: bool
    can_contradict: bool


#: name -> what a source of that name may do. Opinions are "opinion:<source>" (kind "opinion").
KINDS: dict[str, Kind] = {
    "plm_caption": Kind(True, True), "llama3_caption": Kind(True, True), "plm_action": Kind(True, True),
    "opinion": Kind(True, True),
    "transcript": Kind(True, False), "title": Kind(True, False), "description": Kind(True, False),
    "parent": Kind(False, True), "child": Kind(False, True),
    "sibling": Kind(False, False), "neighbour": Kind(False, False),
}
#: Most characters of a description read (descriptions run to links and sponsor lists).
DESCRIPTION_CHARS = 1000


@dataclass(frozen=True)
class Source:
    """One text that can witness a segment: who wrote it, for which segment and time, and how to read it."""

    name: str  # plm_caption | llama3_caption | plm_action | transcript | title | description | parent |
    #            child | sibling | neighbour | opinion:<source>
    segment_id: str | None  # the segment it belongs to (None: the video's, or an opinion's)
    start: float
    end: float
    text: str
    field: str  # how its text is read: an annotation field for tree sources, else the source name

    # cached: the matcher asks these once per (claim, source) pair, about a million times a video
    @functools.cached_property
    def kind(self) -> str:
        return "opinion" if self.name.startswith("opinion:") else self.name

    @functools.cached_property
    def independent(self) -> bool:
        return KINDS[self.kind].independent

    @functools.cached_property
    def can_contradict(self) -> bool:
        return KINDS[self.kind].can_contradict

    @property
    def window(self) -> str:
        return f"[{self.start:.0f}-{self.end:.0f} s]"


class VideoSources:
    """Builds the sources of each segment of one video (tree look-ups computed once)."""

    def __init__(self, video: dict, segments: Sequence[dict], opinions: Iterable[dict] = ()):
        self.video = video
        self.segments = list(segments)
        self.by_id = {s["segment_id"]: s for s in self.segments}
        self.children: dict[str, list[dict]] = {}
        for s in self.segments:
            if s.get("parent_id") is not None:
                self.children.setdefault(s["parent_id"], []).append(s)
        self.by_level: dict[int, list[dict]] = {}
        for s in sorted(self.segments, key=lambda s: (s.get("start") or 0.0)):
            self.by_level.setdefault(int(s.get("level") or 0), []).append(s)
        self.level_pos = {s["segment_id"]: i for lv in self.by_level.values() for i, s in enumerate(lv)}
        self.video_sources = self._video_sources()
        self.opinions = [o for o in opinions if isinstance(o.get("text"), str) and o["text"].strip()]

    def _video_sources(self) -> list[Source]:
        v = self.video
        last = max(((s.get("end") or 0.0) for s in self.segments), default=0.0)
        end = float(v.get("duration") or last)
        out = []
        if isinstance(v.get("title"), str) and v["title"].strip():
            out.append(Source("title", None, 0.0, end, v["title"], "title"))
        if isinstance(v.get("description"), str) and v["description"].strip():
            out.append(Source("description", None, 0.0, end, v["description"][:DESCRIPTION_CHARS], "description"))
        self.transcript = [Source("transcript", None, float(s), float(e), t, "transcript")
                           for s, e, t in _transcript_chunks(v.get("transcript"))]
        return out

    def sources(self, seg: dict) -> list[Source]:
        """Every source of ``seg``: upstream captions of it and its descendants, the transcript in its
        window, title and description, its tree relatives' annotations and overlapping opinions."""
        st, en = float(seg["start"]), float(seg["end"])
        out: list[Source] = []
        for s in [seg, *self.descendants(seg)]:
            out += _caption_sources(s)
        out += [t for t in self.transcript if _overlaps(t.start, t.end, st, en)]
        out += self.video_sources
        out += self._tree_sources(seg)
        out += self._opinion_sources(st, en)
        return out

    def descendants(self, seg: dict) -> list[dict]:
        out, todo = [], list(self.children.get(seg["segment_id"], ()))
        while todo:
            s = todo.pop()
            out.append(s)
            todo.extend(self.children.get(s["segment_id"], ()))
        return out

    def relatives(self, seg: dict) -> list[tuple[str, dict]]:
        """(relation, segment) for the parent, the children, the siblings and the same-level neighbours."""
        out = []
        parent = self.by_id.get(seg.get("parent_id"))
        if parent is not None:
            out.append(("parent", parent))
            out += [("sibling", s) for s in self.children.get(parent["segment_id"], ()) if s is not seg]
        out += [("child", s) for s in self.children.get(seg["segment_id"], ())]
        level = self.by_level.get(int(seg.get("level") or 0), [])
        i = self.level_pos[seg["segment_id"]]
        siblings = {id(s) for r, s in out if r == "sibling"}
        for j in (i - 1, i + 1):
            if 0 <= j < len(level) and id(level[j]) not in siblings:
                out.append(("neighbour", level[j]))
        return out

    def _tree_sources(self, seg: dict) -> list[Source]:
        out = []
        for relation, s in self.relatives(seg):
            for f in GPT_FIELDS:
                t = s.get(f)
                if isinstance(t, str) and t.strip():
                    out.append(Source(relation, s["segment_id"], float(s["start"]), float(s["end"]), t, f))
        return out

    def _opinion_sources(self, st: float, en: float) -> list[Source]:
        out = []
        for o in self.opinions:
            if o.get("kind") == "point":
                t = o.get("t")
                s = e = float(t) if t is not None else None
            else:
                s, e = o.get("start"), o.get("end")
            if s is None or e is None:  # a whole-video description
                s, e = 0.0, float(self.video.get("duration") or en)
            if _overlaps(float(s), float(e), st, en):
                out.append(Source(f"opinion:{o.get('source')}", None, float(s), float(e), o["text"],
                                  "opinion"))
        return out


def _caption_sources(seg: dict) -> list[Source]:
    return [Source(c, seg["segment_id"], float(seg["start"]), float(seg["end"]), seg[c], c)
            for c in CAPTION_FIELDS if isinstance(seg.get(c), str) and seg[c].strip()]


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    """Closed-interval overlap, so a point opinion on a boundary belongs to both sides."""
    return min(a1, b1) >= max(a0, b0) if a0 == a1 else min(a1, b1) > max(a0, b0)


#: Transcript chunks a video's claims are checked against: ~25 words each, so 500 is about two
#: hours of speech; beyond it a transcript would make the check O(claims x chunks) unbounded.
MAX_TRANSCRIPT_CHUNKS = 500


def _transcript_chunks(entries) -> list[tuple[float, float, str]]:
    from ..transcripts import chunk_transcript

    chunks = chunk_transcript(entries, target_words=25)[:MAX_TRANSCRIPT_CHUNKS]
    return [(c.start, c.end, c.text) for c in chunks]
