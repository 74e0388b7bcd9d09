"""Streamed reads for the exports: memory bounded by a chunk of rows, never by the table.

An export keeps every value whole (it is data, not display), so a workspace of megabyte
captions cannot be made small by cutting texts; it is kept small by never holding more than
one chunk of rows. Two tools:

* :func:`queue_positions`: the review queue's order (lowest confidence first) from the sort
  keys alone (a few numbers and ids per row), as row positions of ONE pinned version of the
  table, so a writer committing meanwhile cannot shift rows under the export;
* :func:`take_chunks`: those rows fetched by position in chunks whose size adapts to the bytes
  the last chunk held (a few rows of megabyte texts, thousands of short rows).
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import reviewed

#: bytes one chunk should hold at most (the adaptive chunking aims at it)
CHUNK_BYTES = 16 << 20
#: rows of the first chunk (small: a row may be megabytes) and at most
FIRST_ROWS, MAX_ROWS = 2, 4096


def dataset(store, name: str):
    """The pinned Lance dataset of ``name`` (None when the table does not exist)."""
    if name not in store.names():
        return None
    return store.table(name).to_lance()


def _keys(ds, columns: Sequence[str]) -> pa.Table:
    """``columns`` of every row, in scan order (= the positions ``take`` reads), batch by batch."""
    parts = [pa.Table.from_batches([rb]) for rb in ds.to_batches(columns=list(columns), batch_size=65536)]
    if not parts:
        return pa.schema([ds.schema.field(c) for c in columns]).empty_table()
    return pa.concat_tables(parts)


def queue_positions(ds, min_tier: str, filter_tiers: bool) -> np.ndarray:
    """Row positions of the confidence dataset in the review queue's plain order
    (review/queue.py, no exploring places), kept tiers only when ``filter_tiers``."""
    from ..review.queue import KEY_COLUMNS, queue_order

    keys = _keys(ds, [c for c in KEY_COLUMNS if c in ds.schema.names])
    order, _ = queue_order(keys, explore=False)
    if filter_tiers:
        kept = pa.array([t for t in (*reviewed.MIN_TIERS, "reviewed-ok", "reviewed-wrong")
                         if reviewed.keeps(t, min_tier)], pa.string())
        mask = pc.fill_null(pc.is_in(keys.column("tier"), value_set=kept), False).to_numpy(zero_copy_only=False)
        order = order[mask[order]]
    return order


def take_chunks(ds, positions: np.ndarray, columns: Sequence[str],
                target_bytes: int = CHUNK_BYTES) -> Iterator[pa.Table]:
    """The rows at ``positions`` (in that order), ``columns`` only, a chunk at a time."""
    yield from chunked(positions, lambda part: ds.take(part.tolist(), columns=list(columns)), target_bytes)


def chunked(positions: np.ndarray, fetch: Callable[[np.ndarray], pa.Table],
            target_bytes: int = CHUNK_BYTES) -> Iterator[pa.Table]:
    """``fetch`` over consecutive slices of ``positions``; each slice's length is set from the bytes per
    row of the table the last ``fetch`` returned (what it adds, e.g. joined texts, counts too)."""
    i, rows = 0, FIRST_ROWS
    while i < len(positions):
        part = positions[i:i + rows]
        t = fetch(part)
        i += len(part)
        per_row = max(1, t.nbytes // max(1, t.num_rows))
        rows = int(min(MAX_ROWS, max(1, target_bytes // per_row)))
        yield t


def segment_rows(store, keys: pa.Table, columns: Sequence[str]) -> dict[tuple[str, str], dict]:
    """(video_id, segment_id) -> ``columns`` of that segment, for the keys of one chunk.

    A filtered query, not a take by position: Lance's take decodes whole pages of the text
    columns (measured: about three times the memory for rows of 250 kB captions)."""
    from ..workspace import _sql_list, chunks

    wanted = set(zip(keys.column("video_id").to_pylist(), keys.column("segment_id").to_pylist()))
    out: dict[tuple[str, str], dict] = {}
    cols = list(dict.fromkeys(["video_id", "segment_id", *columns]))
    for part in chunks(sorted({s for _, s in wanted}), 512):
        in_part = set(part)
        vids = sorted({v for v, s in wanted if s in in_part})
        for r in store.read("segments", vids, where=f"segment_id IN ({_sql_list(part)})", columns=cols).to_pylist():
            if (r["video_id"], r["segment_id"]) in wanted:
                out[(r["video_id"], r["segment_id"])] = r
    return out
