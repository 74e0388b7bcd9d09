"""The Action100M release format: one parquet row per video, the Tree-of-Captions in ``nodes``.

Ingest reads it, the sample generator and the ``action100m`` export write it; the schema
is the release's own (FACTS.md section 1), field for field, so files we write load in
any tool that reads the release.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

GPT_STRUCT = pa.struct(
    [
        pa.field("summary", pa.struct([pa.field("brief", pa.string()), pa.field("detailed", pa.string())])),
        pa.field(
            "action",
            pa.struct(
                [
                    pa.field("brief", pa.string()),
                    pa.field("detailed", pa.string()),
                    pa.field("actor", pa.string()),
                ]
            ),
        ),
    ]
)

NODE_STRUCT = pa.struct(
    [
        pa.field("node_id", pa.string()),
        pa.field("parent_id", pa.string()),
        pa.field("level", pa.int16()),
        pa.field("start", pa.float32()),
        pa.field("end", pa.float32()),
        pa.field("plm_action", pa.string()),
        pa.field("plm_caption", pa.string()),
        pa.field("llama3_caption", pa.string()),
        pa.field("gpt", GPT_STRUCT),
    ]
)

METADATA_STRUCT = pa.struct(
    [
        pa.field("title", pa.string()),
        pa.field("description", pa.string()),
        pa.field("view_count", pa.int64()),
        pa.field("like_count", pa.int64()),
        pa.field("duration", pa.int64()),
        pa.field("upload_date", pa.string()),
        pa.field(
            "transcript",
            pa.list_(pa.struct([pa.field("time", pa.string()), pa.field("text", pa.string())])),
        ),
    ]
)

RELEASE_SCHEMA = pa.schema(
    [
        pa.field("video_uid", pa.string()),
        pa.field("metadata", METADATA_STRUCT),
        pa.field("nodes", pa.list_(NODE_STRUCT)),
    ]
)


def write_release(rows: Iterable[dict], path: str | Path, row_group_size: int = 64,
                  max_group_bytes: int | None = None) -> int:
    """Write release-format rows (plain dicts) to ``path``; returns the number of rows.

    Rows are written in row groups so that a reader streaming by row group keeps a flat
    memory profile, as it does on the real 205 GB release. ``max_group_bytes`` also ends a
    group once its rows' texts reach that many bytes (rows of megabyte captions).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with pq.ParquetWriter(path, RELEASE_SCHEMA) as writer:
        chunk: list[dict] = []
        size = 0
        for row in rows:
            chunk.append(row)
            if max_group_bytes is not None:
                size += _text_bytes(row)
            if len(chunk) >= row_group_size or (max_group_bytes is not None and size >= max_group_bytes):
                writer.write_table(pa.Table.from_pylist(chunk, schema=RELEASE_SCHEMA))
                n += len(chunk)
                chunk, size = [], 0
        if chunk:
            writer.write_table(pa.Table.from_pylist(chunk, schema=RELEASE_SCHEMA))
            n += len(chunk)
    return n


def _text_bytes(value) -> int:
    """About the bytes a release row holds: the length of its strings (texts dominate)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_text_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_text_bytes(v) for v in value)
    return 8


def iter_release(path: str | Path) -> Iterator[dict]:
    """Yield release rows as dicts, one row group in memory at a time.

    Accepts the parquet release and the one-row JSON form (a single JSON object, or
    JSON lines, with the same fields).
    """
    path = Path(path)
    if path.suffix.lower() in {".json", ".jsonl"}:
        import json

        text = path.read_text(encoding="utf-8")
        stripped = text.lstrip()
        if stripped.startswith("["):
            yield from json.loads(text)
        elif path.suffix.lower() == ".json":
            yield json.loads(text)
        else:
            for line in text.splitlines():
                if line.strip():
                    yield json.loads(line)
        return
    pf = pq.ParquetFile(path)
    for i in range(pf.num_row_groups):
        yield from pf.read_row_group(i).to_pylist()
