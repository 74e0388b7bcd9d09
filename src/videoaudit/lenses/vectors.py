"""The ``embeddings_<lens>`` tables: the rows every lens stage writes, and the one reader
(Arrow vector columns to numpy matrices)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import embeddings_table


def vector_row(video_id: str, segment_id: str | None, backend: str, vec: np.ndarray) -> dict:
    """One ``embeddings_<lens>`` row (``segment_id`` None = the video's own vector)."""
    return {"video_id": video_id, "segment_id": segment_id, "backend": backend,
            "vector": np.asarray(vec, np.float32)}


def annotated_segments(batch) -> dict[str, list[tuple[str, float, float]]]:
    """has_gpt segments per video: (segment_id, start, end)."""
    out: dict[str, list[tuple[str, float, float]]] = {}
    segs = batch.tables.get("segments")
    if segs is None or not segs.num_rows:
        return out
    cols = [segs.column(c).to_pylist() for c in ("video_id", "segment_id", "start", "end", "has_gpt")]
    for vid, sid, s, e, g in zip(*cols):
        if g and s is not None and e is not None:
            out.setdefault(vid, []).append((sid, float(s), float(e)))
    return out


def read_vectors(store, lens: str = "visual") -> pa.Table | None:
    """The ``embeddings_<lens>`` table as stored, or None when that lens never ran."""
    t = store.read(embeddings_table(lens))
    return t if t.num_rows else None


def vector_matrix(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) float32 of a fixed-size-list vector column and a mask of non-null rows."""
    arr = col.combine_chunks()
    ok = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), bool)
    dim = arr.type.list_size
    flat = arr.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    m = np.zeros((len(arr), dim), np.float32)
    if ok.all():
        m[:] = flat.reshape(len(arr), dim)
    else:
        m[ok] = flat.reshape(-1, dim)
    return m, ok


def video_matrix(vectors: pa.Table) -> tuple[list[str], np.ndarray]:
    """The video-level rows (segment_id null, vector present) as (ids, (n, d) float32)."""
    t = vectors.filter(pc.and_(pc.is_null(vectors.column("segment_id")), pc.is_valid(vectors.column("vector"))))
    m, _ = vector_matrix(t.column("vector")) if t.num_rows else (np.zeros((0, 1), np.float32), None)
    return t.column("video_id").to_pylist(), m


def load_vectors(store, lens: str, segments: bool = False) -> tuple[list[str], list, np.ndarray, str | None]:
    """(video_ids, segment_ids, (n, d) float32 matrix, backend) of a lens, video-level by default,
    sorted by (video, segment) so results do not depend on write order."""
    name = embeddings_table(lens)
    if not store.count(name):
        return [], [], np.zeros((0, 0), np.float32), None
    t = store.read(name, where="segment_id IS NOT NULL" if segments else "segment_id IS NULL")
    if not t.num_rows:
        return [], [], np.zeros((0, 0), np.float32), None
    order = sorted(range(t.num_rows), key=lambda i: (t.column("video_id")[i].as_py(),
                                                     t.column("segment_id")[i].as_py() or ""))
    t = t.take(order)
    x, _ = vector_matrix(t.column("vector"))
    return (t.column("video_id").to_pylist(), t.column("segment_id").to_pylist(), x,
            t.column("backend")[0].as_py())
