"""Streamed reads for the exports: memory bounded by a chunk of rows, never by the table.

An export keeps every value whole (it is data, not display), so a workspace of megabyte
captions cannot be made small by cutting texts; it is kept small by never holding more than
one chunk of rows. Tools:

* :func:`queue_order`: the review queue's order (lowest confidence first) from the sort keys
  alone (a few numbers and ids per row), as row positions of ONE pinned version of the table,
  so a writer committing meanwhile cannot shift rows under the export. The keys themselves
  (about 60 bytes a row) are sorted in runs of ``RUN_ROWS`` rows; a map with more rows spills
  its sorted runs to a temporary folder and merges them (an external merge sort), so memory
  is bounded by a run, not by the map;
* :func:`queue_head`: the first ``k`` positions of that order, holding ``k`` keys and one batch;
* :func:`take_chunks` / :func:`chunked`: rows fetched by position in chunks whose size adapts to
  the bytes the last chunk held (a few rows of megabyte texts, thousands of short rows).

The row position is the last sort key, so the order is total: the runs and the merge give
exactly the order of one stable sort of the whole map.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import reviewed

#: bytes one chunk should hold at most (the adaptive chunking aims at it)
CHUNK_BYTES = 16 << 20
#: rows of the first chunk (small: a row may be megabytes) and at most
FIRST_ROWS, MAX_ROWS = 2, 4096
#: sort keys sorted in memory at once (~60 B a row: ~4 MB); more rows are sorted in spilled runs
RUN_ROWS = 1 << 16
#: rows of one batch of a key scan (Lance reads a few batches ahead)
SCAN_ROWS = 16384
#: rows read from each spilled run per merge step, and the most runs merged at once
MERGE_ROWS, FAN_IN = 4096, 16
#: the column holding a key's row position (the last, tie-breaking, sort key)
POS = "_pos"


def dataset(store, name: str):
    """The pinned Lance dataset of ``name`` (None when the table does not exist)."""
    if name not in store.names():
        return None
    return store.table(name).to_lance()


def sort_keys(names: Sequence[str]) -> list[tuple[str, str]]:
    """The review queue's plain order (review/queue.py), then the row position (= a stable sort)."""
    from ..review.queue import sort_keys as plain

    return plain(names, position=POS)


def kept_tiers(min_tier: str) -> pa.Array:
    """The tiers an export at ``min_tier`` keeps (reviewed-ok always, reviewed-wrong never)."""
    return pa.array([t for t in (*reviewed.MIN_TIERS, "reviewed-ok", "reviewed-wrong")
                     if reviewed.keeps(t, min_tier)], pa.string())


def scan(ds, columns: Sequence[str], tiers: pa.Array | None = None,
         batch_rows: int = 65536) -> Iterator[pa.Table]:
    """``columns`` of every row (rows of ``tiers`` only, when given) batch by batch, with each row's
    position in scan order (= the positions ``take`` reads) as column ``_pos``."""
    pos = 0
    cols = list(dict.fromkeys([*columns, *(["tier"] if tiers is not None else [])]))
    for rb in ds.to_batches(columns=cols, batch_size=batch_rows):
        t = pa.Table.from_batches([rb]).append_column(POS, pa.array(np.arange(pos, pos + rb.num_rows), pa.int64()))
        pos += rb.num_rows
        if tiers is not None:
            t = t.filter(pc.fill_null(pc.is_in(t.column("tier"), value_set=tiers), False))
        yield t.select([*columns, POS])


def _key_columns(ds) -> tuple[list[str], list[tuple[str, str]]]:
    keys = sort_keys(ds.schema.names)
    return [c for c, _ in keys if c != POS], keys


def _sorted(t: pa.Table, keys) -> pa.Table:
    return t.take(pc.sort_indices(t, sort_keys=keys))


def queue_order(ds, min_tier: str, filter_tiers: bool, run_rows: int | None = None) -> Iterator[np.ndarray]:
    """Row positions of the confidence dataset in review-queue order, a slice at a time; kept tiers
    only when ``filter_tiers``. At most ``run_rows`` keys are sorted at once; more are merged from
    runs spilled to a temporary folder (removed when the iteration ends)."""
    run_rows = run_rows or RUN_ROWS
    columns, keys = _key_columns(ds)
    tiers = kept_tiers(min_tier) if filter_tiers else None
    with tempfile.TemporaryDirectory(prefix="videoaudit-queue-") as tmp:
        runs: list[Path] = []
        part: list[pa.Table] = []
        n = 0
        for t in scan(ds, columns, tiers, batch_rows=min(run_rows, SCAN_ROWS)):
            part.append(t)
            n += t.num_rows
            if n >= run_rows:
                run, part, n = pa.concat_tables(part), [], 0
                runs.append(_spill(_sorted(run, keys), Path(tmp) / f"run{len(runs)}.arrow"))
                del run
                _release()
        if not runs:  # the whole map fits one run: sorted in memory, nothing spilled
            last = _sorted(pa.concat_tables(part), keys) if part else None
            for i in range(0, last.num_rows if last is not None else 0, MERGE_ROWS):
                yield last.column(POS).slice(i, MERGE_ROWS).to_numpy().astype(np.int64)
            return
        if part:
            runs.append(_spill(_sorted(pa.concat_tables(part), keys), Path(tmp) / f"run{len(runs)}.arrow"))
        for t in _merge_all(runs, keys, Path(tmp)):
            yield t.column(POS).to_numpy().astype(np.int64)


def queue_positions(ds, min_tier: str, filter_tiers: bool) -> np.ndarray:
    """Every position of :func:`queue_order` as one array (small maps, tests)."""
    parts = list(queue_order(ds, min_tier, filter_tiers))
    return np.concatenate(parts) if parts else np.empty(0, np.int64)


def queue_head(ds, k: int, batch_rows: int = SCAN_ROWS) -> np.ndarray:
    """The first ``k`` positions of the review-queue order (every tier), holding ``k`` keys and one batch."""
    columns, keys = _key_columns(ds)
    top = None
    for t in scan(ds, columns, batch_rows=batch_rows):
        both = t if top is None else pa.concat_tables([top, t])
        top = both.take(pc.sort_indices(both, sort_keys=keys)[:k])
    return top.column(POS).to_numpy().astype(np.int64) if top is not None else np.empty(0, np.int64)


def _spill(t: pa.Table, path: Path) -> Path:
    """Write a sorted run as an Arrow IPC file of ``MERGE_ROWS``-row batches (read back one at a time)."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, t.schema) as writer:
        for rb in t.to_batches(max_chunksize=MERGE_ROWS):
            writer.write_batch(rb)
    return path


class _Run:
    """A spilled run read back batch by batch (never whole)."""

    def __init__(self, path: Path):
        self.reader = pa.ipc.open_file(pa.OSFile(str(path), "rb"))
        self.next_batch = 0

    def more(self) -> bool:
        return self.next_batch < self.reader.num_record_batches

    def read(self) -> pa.Table:
        rb = self.reader.get_batch(self.next_batch)
        self.next_batch += 1
        return pa.Table.from_batches([rb])


def _merge_all(runs: list[Path], keys, tmp: Path) -> Iterator[pa.Table]:
    """Merge sorted runs, ``FAN_IN`` at a time (more runs: merged into bigger runs first)."""
    level = 0
    while len(runs) > FAN_IN:
        merged = []
        for g in range(0, len(runs), FAN_IN):
            group = runs[g:g + FAN_IN]
            out = tmp / f"merge{level}-{g}.arrow"
            with pa.OSFile(str(out), "wb") as sink:
                writer = None
                for t in _merge([_Run(p) for p in group], keys):
                    writer = writer or pa.ipc.new_file(sink, t.schema)
                    for rb in t.to_batches(max_chunksize=MERGE_ROWS):
                        writer.write_batch(rb)
                if writer is not None:
                    writer.close()
            for p in group:
                p.unlink()
            merged.append(out)
        runs, level = merged, level + 1
    yield from _merge([_Run(p) for p in runs], keys)


def _merge(runs: list[_Run], keys) -> Iterator[pa.Table]:
    """The rows of sorted runs in one sorted stream. Each step sorts the rows buffered from every run
    and gives out those up to the first buffer end of a run with more to read (nothing unread can
    come before it); that run's buffer is then empty and is refilled."""
    bufs: list[pa.Table | None] = [None] * len(runs)
    while True:
        for i, r in enumerate(runs):
            if (bufs[i] is None or not bufs[i].num_rows) and r.more():
                bufs[i] = r.read()
        live = [i for i, b in enumerate(bufs) if b is not None and b.num_rows]
        if not live:
            return
        sizes = np.array([bufs[i].num_rows for i in live])
        both = pa.concat_tables([bufs[i] for i in live])
        order = pc.sort_indices(both, sort_keys=keys).to_numpy()
        ends = [int(e) - 1 for i, e in zip(live, np.cumsum(sizes)) if runs[i].more()]
        cut = len(order)
        if ends:
            rank = np.empty(len(order), np.int64)
            rank[order] = np.arange(len(order))
            cut = int(rank[ends].min()) + 1
        taken = order[:cut]
        counts = np.bincount(np.repeat(np.arange(len(live)), sizes)[taken], minlength=len(live))
        for j, i in enumerate(live):
            bufs[i] = bufs[i].slice(int(counts[j]))
        yield both.take(taken)
        _release()


def _release() -> None:
    """Hand freed buffers back to the OS: mimalloc (Arrow's default pool) keeps what a merge step freed,
    and the resident memory of a merge grew to twice its live bytes without this (measured, 1M keys)."""
    pa.default_memory_pool().release_unused()


def take_chunks(ds, positions: np.ndarray | Iterable[np.ndarray], columns: Sequence[str],
                target_bytes: int = CHUNK_BYTES) -> Iterator[pa.Table]:
    """The rows at ``positions`` (in that order), ``columns`` only, a chunk at a time."""
    yield from chunked(positions, lambda part: ds.take(part.tolist(), columns=list(columns)), target_bytes)


def chunked(positions: np.ndarray | Iterable[np.ndarray], fetch: Callable[[np.ndarray], pa.Table],
            target_bytes: int = CHUNK_BYTES) -> Iterator[pa.Table]:
    """``fetch`` over consecutive slices of ``positions`` (an array, or arrays given one after the
    other, e.g. :func:`queue_order`); each slice's length is set from the bytes per row of the table
    the last ``fetch`` returned (what it adds, e.g. joined texts, counts too)."""
    pieces = iter([positions]) if isinstance(positions, np.ndarray) else iter(positions)
    buf, rows, done = np.empty(0, np.int64), FIRST_ROWS, False
    while True:
        while len(buf) < rows and not done:
            nxt = next(pieces, None)
            done = nxt is None
            if not done:
                buf = np.concatenate([buf, nxt]) if len(buf) else np.asarray(nxt, np.int64)
        if not len(buf):
            return
        part, buf = buf[:rows], buf[rows:]
        t = fetch(part)
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
