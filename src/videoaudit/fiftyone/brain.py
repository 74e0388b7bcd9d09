"""Per-lens embeddings into FiftyOne, with the brain runs the App's panels read.

For each lens that has a whole-video vector (``embeddings_<lens>`` rows with a null
segment_id): the vectors go into ``va_<lens>_embedding``; a visualization run
``va_<lens>_viz`` carries the lens's OWN 2-D map (``lens_videos.map_x/map_y``, passed as
precomputed ``points``, so the App shows exactly the map the audit computed; PCA of the
vectors when the lens stored no map); a similarity run ``va_<lens>_sim`` (sklearn backend,
the stored vectors, nothing recomputed) powers "sort by similarity" in the App. Runs of a
re-export replace our own runs of the same key; other brain runs are not touched.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .export import slug


def export_lens(ds, view, vids: list[str], lens: str, emb: pa.Table, lens_rows: dict, put) -> list[str]:
    """Write lens ``lens``'s vectors and (re)create its two brain runs; returns the brain keys."""
    import fiftyone.brain as fob

    p = f"va_{slug(lens)}"
    field = f"{p}_embedding"
    rows = emb.filter(emb.column("segment_id").is_null()) if "segment_id" in emb.column_names else emb
    vec_of = {}
    if rows.num_rows:
        mat = np.asarray(rows.column("vector").combine_chunks().flatten(), dtype=np.float32)
        mat = mat.reshape(rows.num_rows, -1)
        vec_of = dict(zip(rows.column("video_id").to_pylist(), mat))
    have = [i for i, v in enumerate(vids) if v in vec_of]
    if len(have) < 2:  # a map or an index of fewer than two videos shows nothing
        return []
    put(field, [vec_of.get(v) for v in vids])
    ids = view.values("id")
    sub = view.select([ids[i] for i in have], ordered=True)
    keys = []
    viz_key, sim_key = f"{p}_viz", f"{p}_sim"
    for key in (viz_key, sim_key):
        if ds.has_brain_run(key):
            ds.delete_brain_run(key)
    pts = [(lens_rows.get(vids[i]) or {}) for i in have]
    if all(r.get("map_x") is not None and r.get("map_y") is not None for r in pts):
        points = np.array([[r["map_x"], r["map_y"]] for r in pts], dtype=np.float64)
        fob.compute_visualization(sub, points=points, brain_key=viz_key, progress=False)
    else:
        fob.compute_visualization(sub, embeddings=field, method="pca", brain_key=viz_key, progress=False)
    keys.append(viz_key)
    fob.compute_similarity(sub, embeddings=field, backend="sklearn", brain_key=sim_key, progress=False)
    keys.append(sim_key)
    return keys
