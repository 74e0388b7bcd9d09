"""What failed: the recorded messages (the ``errors`` table) read back, and grouped by cause.

A run over thousands of videos can fail the same way for each of them (a wrong endpoint, a
missing codec); the user needs the few distinct causes, not thousands of lines. A cause is
a message with its video id taken out, so "video a: no media file" and "video b: no media
file" are one cause seen twice.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

_VIDEO = re.compile(r"\bvideo (\S+?):")


def cause_of(message: str) -> tuple[str, str | None]:
    """``(cause, video id)``: the message without the ids of the videos it names."""
    m = _VIDEO.search(message)
    vid = m.group(1) if m else None
    text = message if vid is None else message.replace(vid, "<video>")
    return " ".join(text.split())[:240], vid


def distinct_causes(messages: Iterable[str]) -> list[tuple[str, int, str]]:
    """``(cause, how many, first video)``, the most frequent cause first (ties: first seen)."""
    seen: dict[str, list] = {}
    for msg in messages:
        cause, vid = cause_of(msg)
        entry = seen.setdefault(cause, [0, vid or "-"])
        entry[0] += 1
    return sorted(((c, n, ex) for c, (n, ex) in seen.items()), key=lambda t: -t[1])


def iter_errors(store, stage: str | None = None) -> Iterator[dict]:
    """The recorded messages, oldest first, streamed (a long run can record many)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = ["stage", "video_id", "segment_id", "error", "at"]
    for rb in store.iter_batches("errors", columns=cols):
        t = pa.Table.from_batches([rb])
        if stage is not None:
            t = t.filter(pc.equal(t.column("stage"), stage))
        t = t.sort_by([("at", "ascending")])
        yield from t.to_pylist()


def error_summary(store, limit: int = 20) -> tuple[int, list[tuple[str, int, str]]]:
    """(messages recorded, the first ``limit`` distinct causes): one count for the report and status."""
    causes: dict[str, list] = {}
    total = 0
    for row in iter_errors(store):
        total += 1
        cause, vid = cause_of(f"[{row['stage']}] {row['error']}")
        entry = causes.setdefault(cause, [0, row["video_id"] or vid or "-"])
        entry[0] += 1
    ranked = sorted(((c, n, ex) for c, (n, ex) in causes.items()), key=lambda t: -t[1])
    return total, ranked[:limit]
