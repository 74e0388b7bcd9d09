"""What the lens signals read: every stored visual vector and annotation text vector of the dataset.

A segment's look-alikes can be in any video, so the lens signals stage first builds one
:class:`LensIndex` over the whole dataset; each batch of videos then becomes a
:class:`LensView` (its audited segments + the index) that the registered lens signals
compute from, as the text signals compute from a ``VideoView``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pyarrow as pa

from ..annotation import FIELDS, annotation_text, is_root
from ..lenses.vectors import vector_matrix
from .neighbours import DEFAULT_K, NeighbourResult, neighbour_consistency
from .neighbours import VERSION as NEIGHBOURS_VERSION
from .visual_text import visual_text_contrastive, visual_text_match

EPS_T = 0.05
#: the segment columns the index reads
SEGMENT_COLUMNS = ("video_id", "segment_id", "parent_id", "level", *FIELDS)


@dataclass
class Pool:
    """Items (videos or segments) with a visual vector; text filled in by :meth:`LensIndex.embed`."""

    video_ids: list[str]
    segment_ids: list[str | None]
    visual: np.ndarray
    texts: list[str | None]
    text_vec: np.ndarray | None = None
    pos: dict = field(default_factory=dict)  # (video_id, segment_id) -> row

    def __post_init__(self):
        self.pos = {(v, s): i for i, (v, s) in enumerate(zip(self.video_ids, self.segment_ids))}

    @property
    def labels(self) -> list[str]:
        return [v if s is None else f"{v}/{s}" for v, s in zip(self.video_ids, self.segment_ids)]

    @property
    def ok(self) -> np.ndarray:
        return np.array([t is not None for t in self.texts], bool) & (np.abs(self.visual).sum(1) > 0)


@dataclass
class LensIndex:
    """Everything the stage looks up: visual vectors and annotation text vectors of the dataset."""

    lens: str
    backend: str
    segments: Pool
    videos: Pool
    k: int = DEFAULT_K

    @classmethod
    def build(cls, vectors: pa.Table, segments: pa.Table, lens: str = "visual", k: int = DEFAULT_K) -> "LensIndex":
        """From the ``embeddings_<lens>`` rows and the ``segments`` table (texts not yet embedded)."""
        backends = sorted({b for b in vectors.column("backend").to_pylist() if b})
        if len(backends) > 1:
            raise ValueError(f"embeddings_{lens} mixes backends {backends}: vectors of different spaces "
                             "cannot be neighbours; re-run the lens")
        text_of: dict[tuple[str, str], str | None] = {}
        root_text: dict[str, str | None] = {}
        for r in segments.select([c for c in SEGMENT_COLUMNS if c in segments.column_names]).to_pylist():
            t = annotation_text(r)
            text_of[(r["video_id"], r["segment_id"])] = t
            if is_root(r) and t and root_text.get(r["video_id"]) is None:
                root_text[r["video_id"]] = t
        mat, ok = vector_matrix(vectors.column("vector"))
        vids = vectors.column("video_id").to_pylist()
        sids = vectors.column("segment_id").to_pylist()
        is_seg = np.array([s is not None for s in sids]) & ok
        is_vid = np.array([s is None for s in sids]) & ok

        def pool(mask, text):
            rows = np.flatnonzero(mask)
            return Pool([vids[i] for i in rows], [sids[i] for i in rows], mat[rows],
                        [text(vids[i], sids[i]) for i in rows])

        return cls(lens, backends[0] if backends else "", pool(is_seg, lambda v, s: text_of.get((v, s))),
                   pool(is_vid, lambda v, s: root_text.get(v)), k=k)

    def fingerprint(self, text_model: str) -> str:
        h = hashlib.sha1()
        h.update(json.dumps([self.lens, self.backend, text_model, self.k, NEIGHBOURS_VERSION]).encode())
        for p in (self.segments, self.videos):
            h.update(json.dumps([p.video_ids, p.segment_ids, p.texts]).encode())
            h.update(np.ascontiguousarray(p.visual).tobytes())
        return h.hexdigest()

    def embed(self, text_embedder) -> None:
        """Annotation text vectors of every pool item, in ONE call (deduplicated by the embedder)."""
        texts = [t for p in (self.segments, self.videos) for t in p.texts if t is not None]
        vecs = text_embedder.embed(texts) if texts else np.zeros((0, 1), np.float32)
        dim = vecs.shape[1] if len(texts) else 1
        i = 0
        for p in (self.segments, self.videos):
            p.text_vec = np.zeros((len(p.texts), dim), np.float32)
            for r, t in enumerate(p.texts):
                if t is not None:
                    p.text_vec[r] = vecs[i]
                    i += 1


def pool_rows(pool: Pool, keys: Sequence[tuple]) -> np.ndarray:
    return np.array([pool.pos.get(k, -1) for k in keys], np.int64)


def neighbours_for(index: LensIndex, pool: Pool, keys: Sequence[tuple]) -> tuple[NeighbourResult, np.ndarray]:
    """Neighbour consistency of the items ``keys`` ((video_id, segment_id)) against the whole pool."""
    rows = pool_rows(pool, keys)
    have = rows >= 0
    safe = np.maximum(rows, 0)
    dim_v = pool.visual.shape[1] if pool.visual.ndim == 2 else 1
    qv = pool.visual[safe] if len(pool.texts) else np.zeros((len(keys), dim_v), np.float32)
    qt = pool.text_vec[safe] if len(pool.texts) else np.zeros((len(keys), 1), np.float32)
    q_ok = have & (pool.ok[safe] if len(pool.texts) else np.zeros(len(keys), bool))
    res = neighbour_consistency(qv, qt, [k[0] for k in keys], pool.visual, pool.text_vec
                                if pool.text_vec is not None else np.zeros((0, 1)), pool.video_ids,
                                k=index.k, query_ok=q_ok, pool_ok=pool.ok)
    return res, rows


@dataclass
class LensView:
    """The audited segments of a batch of videos, with the dataset-wide index they are judged against."""

    segments: list[dict]
    keys: list[tuple[str, str]]
    index: LensIndex
    shared_space: object = None  # the visual backend when it has a text side (SharedSpace)
    cache: dict = field(default_factory=dict)


def visual_text_values(view: LensView):
    """Clip vectors (stored) vs annotation vectors from the backend's own text encoder (once per view)."""
    if "visual_text" in view.cache:
        return view.cache["visual_text"]
    segs, keys, index, space = view.segments, view.keys, view.index, view.shared_space
    pool = index.segments
    rows = pool_rows(pool, keys)
    texts = [annotation_text(r) for r in segs]
    ok = (rows >= 0) & np.array([t is not None for t in texts], bool)
    dim = pool.visual.shape[1]
    clip = np.zeros((len(keys), dim), np.float32)
    clip[ok] = pool.visual[rows[ok]]
    ok &= np.abs(clip).sum(1) > 0
    tvec = np.zeros((len(keys), dim), np.float32)
    if ok.any():
        emb = np.asarray(space.embed_texts([texts[i] for i in np.flatnonzero(ok)]), np.float32)
        if emb.shape[1] != dim:
            raise ValueError(f"{index.backend}: embed_texts gives {emb.shape[1]}-d vectors, the stored clips are "
                             f"{dim}-d; the lens must be re-run with this backend")
        tvec[ok] = emb
    vt = visual_text_match(clip, tvec, ok)
    vtc = np.full(len(keys), np.nan)
    by_video: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        by_video.setdefault(k[0], []).append(i)
    for ids in by_video.values():
        ids = np.array(ids)
        st = np.array([segs[i]["start"] for i in ids], float)
        en = np.array([segs[i]["end"] for i in ids], float)
        ov = np.minimum(en[:, None], en[None, :]) - np.maximum(st[:, None], st[None, :])
        vtc[ids] = visual_text_contrastive(clip[ids], tvec[ids], ok[ids], ov <= EPS_T)
    vt_expl = [None if np.isnan(v) else f"its clip vs its annotation in the {index.backend} text-video space: "
               f"cosine {v:.2f}" for v in vt]
    vtc_expl = [None if np.isnan(v) else ("its clip and text fit each other better than any disjoint segment's "
                                          if v >= 0.5 else "another segment's clip or text fits it better ")
                + f"(margin {(v - 0.5) / 2:+.2f})" for v in vtc]
    view.cache["visual_text"] = (vt, vtc, vt_expl, vtc_expl)
    return view.cache["visual_text"]


