"""Neighbour consistency: is a caption like the captions of what looks like it?

Cleanlab's kNN idea applied to captions. Cleanlab scores a label by how many of the item's
nearest neighbours (in some feature space) carry the same label; a caption is not a class
label, so here the "label agreement" is a cosine in a text space: the annotation's text
vector against the **consensus** of the annotations of its k nearest *visual* neighbours.
A segment whose look-alikes are all annotated "whisking eggs in a bowl" while it says
"tightening a bolt" is less trusted; a segment annotated like its look-alikes is not.

Definitions (docs/confidence.md repeats them):

* neighbours: the ``k`` (default 5) items with the highest visual cosine among items of
  **other videos** (a video's own segments look alike and share their wording, so they
  would agree trivially; within-video consistency is the ``consistency.*`` family's job),
  at most ONE per video (its best-matching segment): five segments of one look-alike
  video are one opinion, not five. Segments are compared with segments, videos with videos.
* consensus: the L2-normalised mean of the neighbours' annotation vectors, each weighted by
  its visual cosine (clipped at 0): a closer look-alike counts more.
* value: ``clip(cos(annotation, consensus), 0, 1)`` - higher = annotated like its
  look-alikes. The fusion calibrates the scale on the run's own data (median / MAD), so the
  raw cosine is kept rather than a hand-made rescale.
* null: the item has no visual vector, no annotation text, or no neighbour exists.

Exact kNN by chunked matrix products (O(n_query x n_pool x d)); fine to a few hundred
thousand items, beyond that an ANN index (LanceDB) would serve the same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .base import Signal, SignalSpec, similarities
from .registry import register

DEFAULT_K = 5
VERSION = 2  # bump when the definition changes: stored results are then redone
CANDIDATES = 8  # per neighbour wanted, how many nearest items are searched for distinct videos
CHUNK = 1024  # query rows per matrix product (bounds the (chunk, n_pool) float64 similarity block)


def _norm_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, np.float32)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, n, out=np.zeros_like(m), where=n > 0)


def knn_other_groups(query: np.ndarray, pool: np.ndarray, query_groups: Sequence, pool_groups: Sequence,
                     k: int = DEFAULT_K, one_per_group: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosines of each query row's ``k`` nearest pool rows of ANOTHER group.

    ``query`` and ``pool`` are (n, d) vectors (normalised here); groups are the video ids.
    ``one_per_group``: at most one neighbour per group, its nearest (searched among the
    ``CANDIDATES * k`` nearest rows, so a pool dominated by a few groups may yield fewer).
    Returns ``(idx, sim)``, both (n_query, k'); k' = min(k, n_pool); a slot with no eligible
    neighbour has idx -1 and sim nan.
    """
    q, p = _norm_rows(query), _norm_rows(pool)
    nq, npool = len(q), len(p)
    kk = min(k, npool)
    idx = np.full((nq, kk), -1, np.int64)
    sim = np.full((nq, kk), np.nan, np.float32)
    if nq == 0 or kk == 0:
        return idx, sim
    # group labels as integer codes so the "same video" mask is one vectorised comparison
    codes: dict = {}
    qg = np.fromiter((codes.setdefault(g, len(codes)) for g in query_groups), np.int64, count=nq)
    pg = np.fromiter((codes.setdefault(g, len(codes)) for g in pool_groups), np.int64, count=npool)
    nc = min(npool, kk * CANDIDATES) if one_per_group else kk
    for a in range(0, nq, CHUNK):
        s = similarities(q[a:a + CHUNK], p)
        s[qg[a:a + CHUNK, None] == pg[None, :]] = -np.inf
        part = np.argpartition(-s, nc - 1, axis=1)[:, :nc] if nc < npool else np.tile(np.arange(npool), (len(s), 1))
        ps = np.take_along_axis(s, part, axis=1)
        order = np.argsort(-ps, axis=1, kind="stable")
        part, ps = np.take_along_axis(part, order, axis=1), np.take_along_axis(ps, order, axis=1)
        if one_per_group:
            # keep each group's first (= nearest) candidate: a candidate is dropped when an
            # earlier candidate of the row has its group
            g = pg[part]
            dup = np.zeros(g.shape, bool)
            for j in range(1, g.shape[1]):
                dup[:, j] = (g[:, :j] == g[:, j:j + 1]).any(1)
            ps = np.where(dup, -np.inf, ps)
            order = np.argsort(-ps, axis=1, kind="stable")[:, :kk]
            part, ps = np.take_along_axis(part, order, axis=1), np.take_along_axis(ps, order, axis=1)
        else:
            part, ps = part[:, :kk], ps[:, :kk]
        bad = ~np.isfinite(ps)
        idx[a:a + CHUNK] = np.where(bad, -1, part)
        sim[a:a + CHUNK] = np.where(bad, np.nan, ps)
    return idx, sim


@dataclass
class NeighbourResult:
    values: np.ndarray  # (n_query,) float, nan = no input
    idx: np.ndarray  # (n_query, k) pool indices of the neighbours, -1 = none
    visual_sim: np.ndarray  # (n_query, k) visual cosine of each neighbour
    text_sim: np.ndarray  # (n_query, k) cosine of the query's annotation with each neighbour's


def neighbour_consistency(query_visual: np.ndarray, query_text: np.ndarray, query_groups: Sequence,
                          pool_visual: np.ndarray, pool_text: np.ndarray, pool_groups: Sequence,
                          k: int = DEFAULT_K, query_ok: np.ndarray | None = None,
                          pool_ok: np.ndarray | None = None) -> NeighbourResult:
    """Cosine of each query annotation with the visual-similarity-weighted consensus of the
    annotations of its k nearest visual neighbours from other groups (module docstring).

    ``*_ok`` mark rows that have both a visual vector and an annotation (default: every row
    with non-zero vectors); other pool rows are never neighbours, other queries get nan.
    """
    qv, qt = _norm_rows(query_visual), _norm_rows(query_text)
    pv, pt = _norm_rows(pool_visual), _norm_rows(pool_text)
    if query_ok is None:
        query_ok = (np.abs(qv).sum(1) > 0) & (np.abs(qt).sum(1) > 0)
    if pool_ok is None:
        pool_ok = (np.abs(pv).sum(1) > 0) & (np.abs(pt).sum(1) > 0)
    query_ok, pool_ok = np.asarray(query_ok, bool), np.asarray(pool_ok, bool)
    keep = np.flatnonzero(pool_ok)
    n = len(qv)
    values = np.full(n, np.nan)
    kk = min(k, len(keep))
    idx = np.full((n, kk), -1, np.int64)
    vsim = np.full((n, kk), np.nan, np.float32)
    tsim = np.full((n, kk), np.nan, np.float32)
    rows = np.flatnonzero(query_ok)
    if kk == 0 or len(rows) == 0:
        return NeighbourResult(values, idx, vsim, tsim)
    sub_idx, sub_sim = knn_other_groups(qv[rows], pv[keep], [query_groups[i] for i in rows],
                                        [pool_groups[i] for i in keep], k=kk)
    found = sub_idx >= 0
    nb = np.where(found, keep[np.maximum(sub_idx, 0)], -1)
    w = np.where(found, np.clip(np.nan_to_num(sub_sim), 0.0, None), 0.0)
    w = np.where(found & (w.sum(1, keepdims=True) == 0), 1.0, w)  # all look-alikes at cos <= 0: plain mean
    nt = pt[np.maximum(nb, 0)] * found[..., None]  # (m, k, d)
    consensus = _norm_rows(np.einsum("mk,mkd->md", w, nt))
    own = qt[rows]
    has_nb = found.any(1)
    val = np.clip(np.einsum("md,md->m", own, consensus), 0.0, 1.0)
    values[rows] = np.where(has_nb, val, np.nan)
    idx[rows] = nb
    vsim[rows] = sub_sim
    tsim[rows] = np.where(found, np.einsum("md,mkd->mk", own, nt), np.nan)
    return NeighbourResult(values, idx, vsim, tsim)


def explain(result: NeighbourResult, i: int, pool_labels: Sequence[str], pool_texts: Sequence[str],
            lens: str = "visual", max_text: int = 70) -> str | None:
    """One line: which look-alikes, how alike, what the closest one says."""
    v = result.values[i]
    if np.isnan(v):
        return None
    nb = [j for j in result.idx[i] if j >= 0]
    parts = [f"{pool_labels[j]} ({result.visual_sim[i, m]:.2f})" for m, j in enumerate(nb[:3])]
    said = (pool_texts[nb[0]] or "").replace("\n", " ").strip()
    if len(said) > max_text:
        said = said[: max_text - 3] + "..."
    rel = "annotated like" if v >= 0.5 else "annotated unlike"
    return (f"{rel} its {len(nb)} nearest {lens} look-alikes in other videos (cosine {v:.2f}); "
            f"closest {', '.join(parts)} says \"{said}\"")


@register
class NeighboursVisual(SignalSpec):
    """A look-alike's annotation is indirect evidence (the same look can carry different
    actions): weaker than the segment's own captions."""

    name, weight, needs, stage = "neighbours.visual", 0.6, ("visual lens vectors",), "lens_signals"
    fields = ("summary",)  # not independent: other videos' annotations by the same run

    def compute(self, view) -> Signal:
        from .lens_context import neighbours_for

        index = view.index
        res, _ = neighbours_for(index, index.segments, view.keys)
        labels, texts = index.segments.labels, index.segments.texts
        return Signal(self.name, res.values, [explain(res, i, labels, texts, index.lens) for i in range(len(view.keys))])
