"""Per-lens fields into FiftyOne, with the brain runs the App's panels read.

Per video and lens (``lens_videos``): uniqueness, representativeness, near duplicates, the
zero-shot class; per lens pair (``cross_lens``): the agreement, and their mean. For each lens
that has a whole-video vector (``embeddings_<lens>`` rows with a null segment_id): the vectors
go into ``va_<lens>_embedding``; a visualization run ``va_<lens>_viz`` carries the lens's OWN
2-D map (``lens_videos.map_x/map_y``, passed as precomputed ``points``, so the App shows
exactly the map the audit computed; PCA of the vectors when the lens stored no map); a
similarity run ``va_<lens>_sim`` (sklearn backend, the stored vectors, nothing recomputed)
powers "sort by similarity" in the App. Runs of a re-export replace our own runs of the same
key; other brain runs are not touched.

Memory: the numbers and vectors are read and written per batch of the export's videos (the
embeddings table holds every segment's vector too: never read whole); what is kept for the
whole dataset is what the brain runs need at the end: the sample ids that have a vector and
their 2-D map points (16 bytes a video). The similarity index itself (FiftyOne's sklearn
backend) then loads every video vector: near-duplicate search needs them all.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pyarrow.compute as pc

from ..schema import LENSES, embeddings_table


@dataclass
class LensPlan:
    """Whole-dataset choices of the lens fields, made before the first batch from streamed looks."""

    lenses: list[str]  # lenses with rows in lens_videos, sorted (field order)
    zero_shot: set[str]  # lenses that give some video a zero-shot label
    pairs: list[tuple[str, str]]  # cross-lens pairs in the table's order (the mean adds them in it)
    vectors: list[str]  # lenses (LENSES order) with a whole-video vector for 2 videos or more
    # per lens of ``vectors``, filled batch by batch: sample ids with a vector, their map rows
    have: dict[str, list[str]] = field(default_factory=dict)
    maps: dict[str, list[tuple]] = field(default_factory=dict)


def plan_lenses(store, vids: list[str], vectors: bool = True) -> LensPlan:
    """Which lens fields, pairs and vectors (``vectors``: with the brain runs) the export writes,
    from the ids and labels streamed (no vector is read here)."""
    wanted = set(vids)
    lenses: set[str] = set()
    zero_shot: set[str] = set()
    for rb in store.iter_batches("lens_videos", columns=["lens", "video_id", "zero_shot_label"]):
        lens, vid, label = (rb.column(i).to_pylist() for i in range(3))
        lenses.update(lens)
        zero_shot.update(x for x, v, z in zip(lens, vid, label) if z and v in wanted)
    pairs: dict[tuple[str, str], None] = {}
    for rb in store.iter_batches("cross_lens", columns=["lens_a", "lens_b"]):
        pairs.update(dict.fromkeys(zip(rb.column(0).to_pylist(), rb.column(1).to_pylist())))
    with_vectors = []
    for lens in LENSES if vectors else ():
        with_vector: set[str] = set()
        for rb in store.iter_batches(embeddings_table(lens), columns=["video_id", "segment_id"]):
            with_vector.update(pc.filter(rb.column(0), pc.is_null(rb.column(1))).to_pylist())
        if len(with_vector & wanted) >= 2:  # a map or an index of fewer than two videos shows nothing
            with_vectors.append(lens)
    return LensPlan(sorted(lenses), zero_shot, list(pairs), with_vectors,
                    have={lens: [] for lens in with_vectors}, maps={lens: [] for lens in with_vectors})


def export_lens_batch(run, plan: LensPlan, view, part: list[str], sids: list[str]) -> None:
    """The lens numbers, agreements and vectors of one batch of videos (``part``, samples ``sids``)."""
    from .export import _f, slug

    put, store = functools.partial(run.put, view), run.ws.store
    lens_by: dict[str, dict[str, dict]] = {}
    for r in store.read("lens_videos", part).to_pylist():
        lens_by.setdefault(r["lens"], {})[r["video_id"]] = r
    for lens in plan.lenses:
        rows, p = lens_by.get(lens, {}), f"va_{slug(lens)}"
        put(f"{p}_uniqueness", [_f((rows.get(v) or {}).get("uniqueness")) for v in part])
        put(f"{p}_uniqueness_pct", [_f((rows.get(v) or {}).get("uniqueness_pct")) for v in part])
        put(f"{p}_representativeness", [_f((rows.get(v) or {}).get("representativeness")) for v in part])
        put(f"{p}_near_duplicates", [(rows.get(v) or {}).get("near_duplicates") for v in part])
        if lens in plan.zero_shot:
            put(f"{p}_zero_shot", [run.fo.Classification(label=r["zero_shot_label"], confidence=_f(r["zero_shot_prob"]))
                                   if r and r.get("zero_shot_label") else None for r in (rows.get(v) for v in part)])
    if plan.pairs:
        by_pair: dict[tuple, dict[str, float]] = {}
        for r in store.read("cross_lens", part).to_pylist():
            by_pair.setdefault((r["lens_a"], r["lens_b"]), {})[r["video_id"]] = r["jaccard"]
        ordered = [by_pair.get(pair, {}) for pair in plan.pairs]
        for (a, b), m in sorted(zip(plan.pairs, ordered)):
            put(f"va_agreement_{slug(a)}_{slug(b)}", [_f(m.get(v)) for v in part])
        put("va_cross_lens_agreement", [
            (float(np.mean(x)) if (x := [m[v] for m in ordered if _f(m.get(v)) is not None]) else None)
            for v in part])
    for lens in plan.vectors:
        vec_of = _video_vectors(store, lens, part)
        put(f"va_{slug(lens)}_embedding", [vec_of.get(v) for v in part])
        for vid, sid in zip(part, sids):
            if vid in vec_of:
                plan.have[lens].append(sid)
                r = lens_by.get(lens, {}).get(vid) or {}
                plan.maps[lens].append((r.get("map_x"), r.get("map_y")))


def _video_vectors(store, lens: str, part: list[str]) -> dict[str, np.ndarray]:
    """video id -> the whole-video vector of ``lens``, for the videos of one batch (a filtered read)."""
    rows = store.read(embeddings_table(lens), part, where="segment_id IS NULL", columns=["video_id", "vector"])
    if not rows.num_rows:
        return {}
    mat = np.asarray(rows.column("vector").combine_chunks().flatten(), dtype=np.float32).reshape(rows.num_rows, -1)
    return dict(zip(rows.column("video_id").to_pylist(), mat))


def export_brain_runs(ds, view, plan: LensPlan) -> list[str]:
    """(Re)create each vector lens's visualization and similarity runs over the videos of ``view``
    that have a vector; returns the brain keys."""
    import fiftyone.brain as fob

    from .export import slug

    keys = []
    for lens in plan.vectors:
        p = f"va_{slug(lens)}"
        sub = view.select(plan.have[lens], ordered=True)
        viz_key, sim_key = f"{p}_viz", f"{p}_sim"
        for key in (viz_key, sim_key):
            if ds.has_brain_run(key):
                ds.delete_brain_run(key)
        pts = plan.maps[lens]
        if all(x is not None and y is not None for x, y in pts):
            fob.compute_visualization(sub, points=np.array(pts, dtype=np.float64), brain_key=viz_key, progress=False)
        else:
            fob.compute_visualization(sub, embeddings=f"{p}_embedding", method="pca", brain_key=viz_key,
                                      progress=False)
        keys.append(viz_key)
        fob.compute_similarity(sub, embeddings=f"{p}_embedding", backend="sklearn", brain_key=sim_key, progress=False)
        keys.append(sim_key)
    return keys
