"""Review decisions: validated against the workspace, stored in the ``reviews`` table.

A decision says what a person found about one segment's annotation: ``ok`` (it is right),
``wrong`` (it is wrong, remove it) or ``fixed`` (it was wrong; ``text`` is the correction of
one field). ``field`` is one of the five GPT fields, or ``"*"`` for the whole annotation.
Decisions are appended, never overwritten: the newest one per (video, segment, field) is the
one that counts (:func:`current`), the older ones are the history.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from ..schema import GPT_FIELDS, REVIEW_ALL_FIELDS, REVIEW_VERDICTS, REVIEWS

FIELDS: tuple[str, ...] = (*GPT_FIELDS, REVIEW_ALL_FIELDS)


class ReviewError(ValueError):
    """A decision that cannot be stored; the message names the segment and the cause."""


@dataclass(frozen=True)
class Decision:
    video_id: str | None
    segment_id: str
    verdict: str
    field: str | None = None
    text: str | None = None
    reviewer: str | None = None


def _check_shape(d: Decision) -> None:
    if not d.segment_id:
        raise ReviewError("a decision needs a segment_id")
    if d.verdict not in REVIEW_VERDICTS:
        raise ReviewError(f"segment {d.segment_id}: unknown verdict {d.verdict!r}; one of "
                          f"{', '.join(REVIEW_VERDICTS)}")
    field = d.field or REVIEW_ALL_FIELDS
    if field not in FIELDS:
        raise ReviewError(f"segment {d.segment_id}: unknown field {field!r}; one of {', '.join(FIELDS)}")
    if d.verdict == "fixed":
        if field == REVIEW_ALL_FIELDS:
            raise ReviewError(f"segment {d.segment_id}: verdict 'fixed' needs the --field it corrects")
        if not (d.text or "").strip():
            raise ReviewError(f"segment {d.segment_id}: verdict 'fixed' needs the corrected text (--fix TEXT)")
    elif d.text:
        raise ReviewError(f"segment {d.segment_id}: a fix text goes with verdict 'fixed', not {d.verdict!r}")


class Validator:
    """Checks decisions against the workspace's segments (one read, reused for a whole import)."""

    def __init__(self, store):
        segs = store.read("segments", columns=["video_id", "segment_id", "has_gpt"])
        self.videos_of: dict[str, list[str]] = {}
        self.annotated: set[tuple[str, str]] = set()
        for vid, sid, gpt in zip(*(segs.column(c).to_pylist() for c in ("video_id", "segment_id", "has_gpt"))):
            self.videos_of.setdefault(sid, []).append(vid)
            if gpt:
                self.annotated.add((vid, sid))

    def row(self, d: Decision, at: _dt.datetime) -> dict:
        """The ``reviews`` row of ``d``, or ReviewError saying why it cannot be stored."""
        _check_shape(d)
        vids = self.videos_of.get(d.segment_id, [])
        if d.video_id is not None and d.video_id not in vids:
            raise ReviewError(f"segment {d.segment_id} is not in video {d.video_id}" if vids
                              else f"unknown segment {d.segment_id!r}")
        if not vids:
            raise ReviewError(f"unknown segment {d.segment_id!r}")
        if d.video_id is None and len(vids) > 1:
            raise ReviewError(f"segment {d.segment_id} is in {len(vids)} videos ({', '.join(sorted(vids)[:3])}); "
                              f"say which with --video")
        vid = d.video_id or vids[0]
        if (vid, d.segment_id) not in self.annotated:
            raise ReviewError(f"segment {d.segment_id} of video {vid} has no annotation to review")
        return {"video_id": vid, "segment_id": d.segment_id, "field": d.field or REVIEW_ALL_FIELDS,
                "verdict": d.verdict, "text": d.text, "reviewer": d.reviewer, "reviewed_at": at}


def store_decisions(store, decisions: Iterable[Decision]) -> dict:
    """Validate and append decisions: {"stored", "errors" (one message per rejected decision), "video_ids"}."""
    v = Validator(store)
    now = _dt.datetime.now(_dt.timezone.utc)
    rows, errors = [], []
    for d in decisions:
        try:
            rows.append(v.row(d, now))
        except ReviewError as e:
            errors.append(str(e))
    if rows:
        store.append("reviews", pa.Table.from_pylist(rows, schema=REVIEWS))
    return {"stored": len(rows), "errors": errors, "video_ids": sorted({r["video_id"] for r in rows})}


def read_jsonl(path: Path, reviewer: str | None = None) -> tuple[list[tuple[int, Decision]], list[str]]:
    """Decisions of a JSONL file, one per line; bad lines become "line N: cause" messages."""
    out, errors = [], []
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                errors.append(f"line {n}: not JSON ({e.msg})")
                continue
            if not isinstance(obj, dict):
                errors.append(f"line {n}: expected a JSON object")
                continue
            missing = [k for k in ("segment_id", "verdict") if not obj.get(k)]
            if missing:
                errors.append(f"line {n}: missing {', '.join(missing)}")
                continue
            out.append((n, Decision(video_id=obj.get("video_id"), segment_id=str(obj["segment_id"]),
                                    verdict=str(obj["verdict"]), field=obj.get("field"), text=obj.get("text"),
                                    reviewer=obj.get("reviewer", reviewer))))
    return out, errors


def import_jsonl(store, path: Path, reviewer: str | None = None) -> dict:
    """``videoaudit review import``: every valid line stored, every bad one reported with its number."""
    numbered, errors = read_jsonl(path, reviewer)
    v = Validator(store)
    now = _dt.datetime.now(_dt.timezone.utc)
    rows = []
    for n, d in numbered:
        try:
            rows.append(v.row(d, now))
        except ReviewError as e:
            errors.append(f"line {n}: {e}")
    if rows:
        store.append("reviews", pa.Table.from_pylist(rows, schema=REVIEWS))
    errors.sort(key=lambda m: int(m.split(":", 1)[0].split()[1]))
    return {"stored": len(rows), "errors": errors, "video_ids": sorted({r["video_id"] for r in rows})}


def current(reviews: pa.Table) -> pa.Table:
    """The decision that counts per (video, segment, field): the newest (ties: the last stored)."""
    if not reviews.num_rows:
        return reviews
    t = reviews.append_column("_row", pa.array(range(reviews.num_rows), pa.int64()))
    t = t.take(pc.sort_indices(t, sort_keys=[("reviewed_at", "ascending"), ("_row", "ascending")]))
    last: dict[tuple, int] = {}
    for i, key in enumerate(zip(*(t.column(c).to_pylist() for c in ("video_id", "segment_id", "field")))):
        last[key] = i
    return t.take(sorted(last.values())).drop_columns(["_row"])


@dataclass(frozen=True)
class SegmentVerdict:
    """What the decisions about one segment add up to."""

    wrong: bool  # some field (or the whole) was wrong or fixed: a fault, for learning
    removed: tuple[str, ...]  # fields to remove on export ("*" = the whole annotation)
    fixes: dict  # field -> corrected text
    reviewer: str | None

    @property
    def tier(self) -> str:
        """``reviewed-wrong`` while anything stays wrong; a fully fixed or approved one is ``reviewed-ok``."""
        return "reviewed-wrong" if self.removed else "reviewed-ok"


def by_segment(reviews: pa.Table) -> dict[tuple[str, str], SegmentVerdict]:
    """(video_id, segment_id) -> the segment's verdict, from the current decisions."""
    acc: dict[tuple[str, str], dict] = {}
    for r in current(reviews).to_pylist():
        a = acc.setdefault((r["video_id"], r["segment_id"]), {"wrong": False, "removed": [], "fixes": {},
                                                              "reviewer": r["reviewer"]})
        if r["verdict"] in ("wrong", "fixed"):
            a["wrong"] = True
        if r["verdict"] == "wrong":
            a["removed"].append(r["field"])
        elif r["verdict"] == "fixed":
            a["fixes"][r["field"]] = r["text"]
    return {k: SegmentVerdict(a["wrong"], tuple(sorted(a["removed"])), a["fixes"], a["reviewer"])
            for k, a in acc.items()}
