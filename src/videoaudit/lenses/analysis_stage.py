"""The dataset-level ``lenses`` stage: from every lens's stored video vectors, ``lens_videos``
(map, uniqueness, representativeness, near-duplicates per video and lens) and ``cross_lens``
(per video and pair of lenses, Jaccard of the k nearest neighbours).

A map or a percentile depends on every video, so this is recomputed as a whole when the
vectors change, not per video. The near-duplicate thresholds (:data:`DUPLICATE_THRESHOLDS`)
are per lens because each space has its own scale; docs/lenses.md says how they were chosen.
A learned backend's scale differs: pass ``thresholds``.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np
import pyarrow as pa

from ..schema import CROSS_LENS, LENS_VIDEOS, LENSES
from . import geometry as A
from .vectors import load_vectors

DUPLICATE_THRESHOLDS = {"visual": 0.995, "grounding": 0.999, "transcript": 0.99}
DEFAULT_THRESHOLD = 0.99
CROSS_K = 10


def stored_lenses(store) -> list[str]:
    """Lenses with video-level vectors in the workspace, in LENSES order (then others by name)."""
    from ..schema import EMBEDDINGS_PREFIX, is_embeddings_table

    names = [n[len(EMBEDDINGS_PREFIX):] for n in store.names() if is_embeddings_table(n) and store.count(n)]
    return sorted(names, key=lambda lens: (LENSES.index(lens) if lens in LENSES else len(LENSES), lens))


def analyse(store, lenses: Sequence[str] | None = None, map_method: str = "umap", k: int = CROSS_K,
            thresholds: dict[str, float] | None = None, seed: int = 0) -> dict:
    """Recompute ``lens_videos`` and ``cross_lens`` from the stored vectors; returns a summary."""
    lenses = list(lenses) if lenses is not None else stored_lenses(store)
    th = {**DUPLICATE_THRESHOLDS, **(thresholds or {})}
    rows: list[dict] = []
    spaces: dict[str, tuple[list[str], np.ndarray]] = {}
    summary: dict = {"lenses": {}, "cross": {}}
    for lens in lenses:
        ids, _, x, backend = load_vectors(store, lens)
        if not ids:
            continue
        spaces[lens] = (ids, x)
        xy, used = A.map_2d(x, map_method, seed=seed)
        uniq = A.uniqueness(x)
        pct = A.percentile_rank(uniq)
        rep, _ = A.representativeness(x, seed=seed)
        dups = A.near_duplicates(x, th.get(lens, DEFAULT_THRESHOLD))
        for i, vid in enumerate(ids):
            rows.append({"video_id": vid, "lens": lens, "backend": backend, "map_method": used,
                         "map_x": float(xy[i, 0]), "map_y": float(xy[i, 1]), "uniqueness": float(uniq[i]),
                         "uniqueness_pct": float(pct[i]), "representativeness": float(rep[i]),
                         "near_duplicates": [ids[j] for j in dups[i]], "zero_shot_label": None,
                         "zero_shot_prob": None})
        summary["lenses"][lens] = {"videos": len(ids), "backend": backend, "map": used,
                                   "near_duplicate_videos": sum(1 for d in dups if d)}
    cross_rows: list[dict] = []
    for a, b in itertools.combinations(list(spaces), 2):
        common, ja, kk = _jaccard(spaces[a], spaces[b], k)
        if not common:
            continue
        for vid, j in zip(common, ja):
            cross_rows.append({"video_id": vid, "lens_a": a, "lens_b": b, "k": kk, "jaccard": float(j)})
        summary["cross"][f"{a}|{b}"] = {"videos": len(common), "k": kk, "mean_jaccard": float(np.mean(ja))}
    _overwrite(store, "lens_videos", pa.Table.from_pylist(rows, schema=LENS_VIDEOS))
    _overwrite(store, "cross_lens", pa.Table.from_pylist(cross_rows, schema=CROSS_LENS))
    return summary


def _common(sa: tuple[list[str], np.ndarray], sb: tuple[list[str], np.ndarray]):
    (ia, xa), (ib, xb) = sa, sb
    pos_b = {v: i for i, v in enumerate(ib)}
    common = [v for v in ia if v in pos_b]
    pos_a = {v: i for i, v in enumerate(ia)}
    return common, xa[[pos_a[v] for v in common]], xb[[pos_b[v] for v in common]]


def effective_k(k: int, n: int) -> int:
    """k, but at most half of the other videos: with k = n - 1 every neighbourhood is
    "everyone else" and the Jaccard is 1 whatever the spaces say."""
    return int(max(1, min(k, (n - 1) // 2)))


def _jaccard(sa, sb, k: int):
    common, xa, xb = _common(sa, sb)
    if len(common) < 3:
        return [], np.zeros(0), 0
    kk = effective_k(k, len(common))
    return common, A.knn_jaccard(A.knn(xa, kk)[0], A.knn(xb, kk)[0]), kk


def cross_lens_pairs(store, lens_a: str, lens_b: str, k: int = CROSS_K, top: int = 10) -> dict:
    """The dataset-level cross-lens picture between two lenses (videos having both vectors):

    * ``alike_in_a``: pairs of videos that are near neighbours in ``lens_a`` but far apart in
      ``lens_b`` (e.g. visual vs transcript: they look alike but are talked about differently);
    * ``alike_in_b``: the reverse;
    * ``least_agreeing``: videos whose k-neighbourhoods overlap least (Jaccard), lowest first.
    """
    sa = load_vectors(store, lens_a)
    sb = load_vectors(store, lens_b)
    common, xa, xb = _common((sa[0], sa[2]), (sb[0], sb[2]))
    if len(common) < 3:
        return {"videos": len(common), "alike_in_a": [], "alike_in_b": [], "least_agreeing": []}

    def fmt(pairs, first, second):
        return [{"video_a": common[i], "video_b": common[j], f"similarity_{first}": s1,
                 f"similarity_{second}": s2} for i, j, s1, s2 in pairs]

    k = effective_k(k, len(common))
    ja = A.knn_jaccard(A.knn(xa, k)[0], A.knn(xb, k)[0])
    order = np.argsort(ja, kind="stable")[:top]
    return {
        "videos": len(common), "lens_a": lens_a, "lens_b": lens_b, "mean_jaccard": float(ja.mean()),
        "alike_in_a": fmt(A.cross_lens_pairs(xa, xb, k, top), lens_a, lens_b),
        "alike_in_b": fmt(A.cross_lens_pairs(xb, xa, k, top), lens_b, lens_a),
        "least_agreeing": [{"video_id": common[i], "jaccard": float(ja[i])} for i in order],
    }


def _overwrite(store, name: str, rows: pa.Table) -> None:
    """Replace the whole table (a run-level result); recomputed by the next run if interrupted."""
    store.overwrite(name, rows)  # an empty table still says "analysed, nothing to show"


def needs_analysis(store, map_method: str) -> bool:
    """True when lens_videos is missing, covers other lenses than those stored, or used another map."""
    lenses = stored_lenses(store)
    if not lenses:
        return False
    have = store.read("lens_videos", columns=["lens", "map_method"])
    if not have.num_rows:
        return True
    methods: dict[str, set] = {}
    counts: dict[str, int] = {}
    for lens, m in zip(have.column("lens").to_pylist(), have.column("map_method").to_pylist()):
        methods.setdefault(lens, set()).add(m)
        counts[lens] = counts.get(lens, 0) + 1
    if set(methods) != set(lenses):
        return True
    # fewer than 5 videos are always mapped with PCA (geometry.map_2d)
    return any(methods[lens] != {map_method if counts[lens] >= 5 else "pca"} for lens in lenses)


def save_zero_shot(store, lens: str, result: pa.Table) -> None:
    """Write a zero-shot result's label and probability into ``lens_videos`` rows of ``lens``."""
    t = store.read("lens_videos")
    if not t.num_rows:
        raise ValueError("no lens analysis stored yet: run the lenses step first")
    got = {v: (lab, p) for v, lab, p in zip(*(result.column(c).to_pylist() for c in ("video_id", "label", "prob")))}
    rows = t.to_pylist()
    for r in rows:
        if r["lens"] == lens and r["video_id"] in got:
            r["zero_shot_label"], r["zero_shot_prob"] = got[r["video_id"]]
    _overwrite(store, "lens_videos", pa.Table.from_pylist(rows, schema=LENS_VIDEOS))
