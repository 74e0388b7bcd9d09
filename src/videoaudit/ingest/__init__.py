"""Ingest: turn a source file into canonical ``videos`` / ``segments`` rows, one video at a time.

``iter_source(path, format)`` streams a file and yields, per source row, either an
:class:`IngestedVideo` (a VIDEOS row, its SEGMENTS rows in source order and the non-fatal
warnings) or a :class:`RowError` (the row is unusable; the rest of the file goes on).
Formats: ``"action100m"`` (the release parquet, or its one-row JSON / JSON-lines form) and
``"jsonl"`` (the generic format), ``"fiftyone"`` (a FiftyOne video dataset, by name: the optional
extra, docs/fiftyone.md). docs/formats.md describes the first two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

#: format -> "module:reader", imported on first use (the fiftyone reader needs the optional extra)
READERS: dict[str, str] = {
    "action100m": "videoaudit.ingest.action100m:iter_action100m",
    "jsonl": "videoaudit.ingest.jsonl:iter_jsonl",
    "fiftyone": "videoaudit.fiftyone.ingest:iter_fiftyone",
}
FORMATS: tuple[str, ...] = tuple(READERS)


@dataclass
class IngestedVideo:
    video: dict  # one VIDEOS row (keys = schema.VIDEOS field names)
    segments: list[dict]  # SEGMENTS rows, in source order
    warnings: list[str] = field(default_factory=list)  # non-fatal problems, each naming the video
    where: str | None = None  # its place in the source ("line 3", "row 12"), for messages about it


class RowError(Exception):
    """A source row that cannot be used; ``str(e) == f"video {video_id}: {cause}"``."""

    def __init__(self, video_id, cause: str):
        self.video_id = video_id
        self.cause = cause
        super().__init__(f"video {video_id}: {cause}")

    def __reduce__(self):  # picklable across processes (Ray, multiprocessing)
        return (RowError, (self.video_id, self.cause))


class SourceError(ValueError):
    """The source as a whole cannot be read (not parquet, not JSON, missing); one line naming the file."""


def iter_source(
    path, format: str, media_dir=None, clip: float | None = None, **options
) -> Iterator[IngestedVideo | RowError]:
    """Stream ``path`` in ``format``; yield one IngestedVideo or RowError per source row.

    Never loads the whole file (parquet: one row group at a time; JSON lines: one line
    at a time). An unusable row yields a RowError and the iteration continues.
    ``options`` are format-specific (fiftyone: fields, convention, id_field).
    """
    options = {k: v for k, v in options.items() if v is not None}
    if options and format != "fiftyone":
        raise ValueError(f"options {sorted(options)} apply to --format fiftyone only")
    if format not in READERS:
        raise ValueError(f"unknown ingest format {format!r}; expected one of {', '.join(FORMATS)}")
    import importlib

    module, attr = READERS[format].split(":")
    return getattr(importlib.import_module(module), attr)(path, media_dir=media_dir, clip=clip, **options)

__all__ = ["FORMATS", "IngestedVideo", "RowError", "SourceError", "iter_source"]
