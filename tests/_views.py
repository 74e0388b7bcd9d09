"""Build one :class:`VideoView` from a handful of hand-written segments, for signal unit tests.

A test writes only the fields its signal reads; everything else is absent (null), so
the case stays readable. The view goes through the real ``build_views`` (the same path
the signals stage takes), by default with the weight-free ``hashing`` text model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from videoaudit import schema as S
from videoaudit.signals.base import Signal
from videoaudit.signals.context import VideoView, build_views

VIDEO = "v"


def seg(sid: str, start: float, end: float, parent: str | None = None, **fields) -> dict:
    """One segment row: a root when ``parent`` is None (level 0), else a level-1 child unless
    ``level`` is given. Any SEGMENTS column can be passed by keyword."""
    row = {"video_id": VIDEO, "segment_id": sid, "parent_id": parent, "start": float(start), "end": float(end),
           "level": 0 if parent is None else 1, "has_gpt": True, "is_leaf": parent is not None,
           "na_fields": [], "structure_issues": [], "beyond_clip": False}
    row.update(fields)
    return row


def events(*spans: tuple[float, float, str], source: str = "test-opinion") -> list[dict]:
    """Timed opinion events ``(start, end, text)``."""
    return [{"video_id": VIDEO, "source": source, "kind": "event", "start": float(a), "end": float(b), "text": t}
            for a, b, t in spans]


def description(text: str, source: str = "test-opinion") -> list[dict]:
    """A whole-video opinion (what a root is compared with)."""
    return [{"video_id": VIDEO, "source": source, "kind": "description", "text": text}]


def text_model(name: str = "hashing"):
    from videoaudit.models import get

    return get("text", name)


def view(segments: Sequence[dict], opinions: Iterable[dict] = (), *, title: str | None = None,
         description: str | None = None, transcript: Sequence[tuple[float, float, str]] = (),
         embedder=None) -> VideoView:
    """The VideoView of one video made of ``segments`` (and its opinions, title, transcript)."""
    duration = max((s["end"] for s in segments), default=0.0)
    video = {"video_id": VIDEO, "duration": duration, "title": title, "description": description,
             "transcript": [{"start": float(a), "end": float(b), "text": t} for a, b, t in transcript]}
    (out,) = build_views(S.from_rows([video], S.VIDEOS), S.from_rows(list(segments), S.SEGMENTS),
                         S.from_rows(list(opinions), S.OPINIONS), embedder or text_model())
    return out


def compute(name: str, v) -> Signal:
    """The registered signal ``name`` computed over a view (as its stage does)."""
    from videoaudit.signals.registry import get

    return get(name)().compute(v)


def by_segment(sig: Signal, segment_ids: Sequence[str]) -> dict[str, tuple[float, str | None]]:
    """``{segment_id: (value, explanation)}`` of one signal."""
    assert len(sig.values) == len(sig.explanations) == len(segment_ids), sig.name
    return {s: (float(v), e) for s, v, e in zip(segment_ids, np.asarray(sig.values, float), sig.explanations)}


def run(name: str, v: VideoView) -> dict[str, tuple[float, str | None]]:
    """Compute ``name`` over ``v`` and return it by segment id."""
    return by_segment(compute(name, v), v.seg.segment_id.tolist())
