"""Ingest: turn a source file into canonical ``videos`` / ``segments`` rows, one video at a time.

``iter_source(path, format)`` streams a file and yields, per source row, either an
:class:`IngestedVideo` (a VIDEOS row, its SEGMENTS rows in source order and the non-fatal
warnings) or a :class:`RowError` (the row is unusable; the rest of the file goes on).
Formats: ``"action100m"`` (the release parquet, or its one-row JSON / JSON-lines form) and
``"jsonl"`` (the generic format). docs/formats.md describes both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

FORMATS: tuple[str, ...] = ("action100m", "jsonl")


@dataclass
class IngestedVideo:
    video: dict  # one VIDEOS row (keys = schema.VIDEOS field names)
    segments: list[dict]  # SEGMENTS rows, in source order
    warnings: list[str] = field(default_factory=list)  # non-fatal problems, each naming the video


class RowError(Exception):
    """A source row that cannot be used; ``str(e) == f"video {video_id}: {cause}"``."""

    def __init__(self, video_id, cause: str):
        self.video_id = video_id
        self.cause = cause
        super().__init__(f"video {video_id}: {cause}")

    def __reduce__(self):  # picklable across processes (Ray, multiprocessing)
        return (RowError, (self.video_id, self.cause))


def iter_source(
    path, format: str, media_dir=None, clip: float | None = None
) -> Iterator[IngestedVideo | RowError]:
    """Stream ``path`` in ``format``; yield one IngestedVideo or RowError per source row.

    Never loads the whole file (parquet: one row group at a time; JSON lines: one line
    at a time). An unusable row yields a RowError and the iteration continues.
    """
    if format == "action100m":
        from .action100m import iter_action100m

        return iter_action100m(path, media_dir=media_dir, clip=clip)
    if format == "jsonl":
        from .jsonl import iter_jsonl

        return iter_jsonl(path, media_dir=media_dir, clip=clip)
    raise ValueError(f"unknown ingest format {format!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "IngestedVideo", "RowError", "iter_source"]
