"""The lens signals stage: neighbour consistency and visual-text match, from stored lens vectors.

Runs after the lens tables exist (``embeddings_<lens>``, written by the pixels stage) and
before the confidence fusion. Both signals need the whole dataset (a segment's
neighbours can be in any video), so a run first builds one :class:`LensIndex` - every
stored visual vector and the text vector of every annotation - and the per-video stage
then only looks things up in it: the engine's ledger skips finished videos and isolates
failures exactly as for every other stage.

Rows go to their own tables, ``lens_signals`` (SIGNALS schema) and ``lens_video_signals``
(VIDEO_SIGNALS schema), never into ``signals``: the engine replaces a stage's tables per
video, and these signals change when the lens vectors change while the text signals do
not. The fusion reads both tables.

Because a segment's neighbours are anywhere in the dataset, the stage's results depend on
every video's vectors and annotations: a fingerprint of the index (backend, ids, vectors,
annotation texts, text model) is kept in ``<workspace>/lens_signals.json``; when it
changes, every video's lens signals (and the confidence) are redone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pyarrow as pa

from .engine import Batch, Stage, StageReport
from .schema import SIGNALS, VIDEO_SIGNALS
from .signals.neighbours import DEFAULT_K, NeighbourResult, explain, neighbour_consistency
from .signals.neighbours import VERSION as NEIGHBOURS_VERSION
from .signals.visual_text import visual_text_contrastive, visual_text_match

STAGE = "lens_signals"
NEIGHBOURS = "neighbours.visual"
VISUAL_TEXT = "evidence.visual_text"
VISUAL_TEXT_CONTRASTIVE = "evidence.visual_text_contrastive"
FINGERPRINT_FILE = "lens_signals.json"
TEXT_FIELDS = ("summary_brief", "summary_detailed", "action_brief", "action_detailed")
EPS_T = 0.05


def annotation_text(row: dict) -> str | None:
    """The text a segment is judged by: its brief summary, else the detailed one, else the action.

    The brief summary is one sentence naming what happens - the part of an annotation that
    look-alike clips should share, and the caption-length text a contrastive text-video
    model was trained on.
    """
    for f in TEXT_FIELDS:
        t = row.get(f)
        if isinstance(t, str) and t.strip():
            return t.strip()
    return None


def _audited(row: dict) -> bool:
    """Same rule as the signals stage: a GPT field present, or a GPT node with N/A fields."""
    if any(isinstance(row.get(f), str) and row.get(f).strip() for f in (*TEXT_FIELDS, "actor")):
        return True
    return bool(row.get("has_gpt")) and bool(row.get("na_fields"))


def read_vectors(store, lens: str = "visual") -> pa.Table | None:
    """The ``embeddings_<lens>`` table as stored, or None when that lens never ran."""
    from .schema import embeddings_table

    t = store.read(embeddings_table(lens))
    return t if t.num_rows else None


def _matrix(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
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
    import pyarrow.compute as pc

    t = vectors.filter(pc.and_(pc.is_null(vectors.column("segment_id")), pc.is_valid(vectors.column("vector"))))
    m, _ = _matrix(t.column("vector")) if t.num_rows else (np.zeros((0, 1), np.float32), None)
    return t.column("video_id").to_pylist(), m


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
        cols = ["video_id", "segment_id", "parent_id", "level", *TEXT_FIELDS]
        for r in segments.select(cols).to_pylist():
            t = annotation_text(r)
            text_of[(r["video_id"], r["segment_id"])] = t
            if (r["parent_id"] is None or r["level"] == 0) and t and root_text.get(r["video_id"]) is None:
                root_text[r["video_id"]] = t
        mat, ok = _matrix(vectors.column("vector"))
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


def _pool_rows(pool: Pool, keys: Sequence[tuple]) -> np.ndarray:
    return np.array([pool.pos.get(k, -1) for k in keys], np.int64)


def neighbours_for(index: LensIndex, pool: Pool, keys: Sequence[tuple]) -> tuple[NeighbourResult, np.ndarray]:
    """Neighbour consistency of the items ``keys`` ((video_id, segment_id)) against the whole pool."""
    rows = _pool_rows(pool, keys)
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


def compute_lens_signals(segments: pa.Table, index: LensIndex, shared_space=None) -> dict[str, pa.Table]:
    """Lens signal rows for the audited segments (and videos) in ``segments``.

    ``shared_space``: the visual backend when it is a SharedSpace (its ``embed_texts`` puts
    annotations in the clips' space); None = no visual-text match signals.
    """
    cols = {k: [] for k in SIGNALS.names}
    vcols = {k: [] for k in VIDEO_SIGNALS.names}
    segs = [r for r in segments.to_pylist() if _audited(r)]
    keys = [(r["video_id"], r["segment_id"]) for r in segs]

    def emit(name: str, values: np.ndarray, expl: list[str | None]) -> None:
        cols["video_id"] += [k[0] for k in keys]
        cols["segment_id"] += [k[1] for k in keys]
        cols["signal"] += [name] * len(keys)
        cols["family"] += [name.split(".", 1)[0]] * len(keys)
        cols["value"] += [None if np.isnan(v) else float(v) for v in values]
        cols["explanation"] += expl

    if keys:
        res, _ = neighbours_for(index, index.segments, keys)
        labels, texts = index.segments.labels, index.segments.texts
        emit(NEIGHBOURS, res.values, [explain(res, i, labels, texts, index.lens) for i in range(len(keys))])
        if shared_space is not None:
            vt, vtc, vt_expl, vtc_expl = _visual_text(segs, keys, index, shared_space)
            emit(VISUAL_TEXT, vt, vt_expl)
            emit(VISUAL_TEXT_CONTRASTIVE, vtc, vtc_expl)

    vids = list(dict.fromkeys(segments.column("video_id").to_pylist()))
    if vids:
        vkeys = [(v, None) for v in vids]
        res, _ = neighbours_for(index, index.videos, vkeys)
        labels, texts = index.videos.labels, index.videos.texts
        for i, v in enumerate(vids):
            vcols["video_id"].append(v)
            vcols["signal"].append(NEIGHBOURS)
            vcols["value"].append(None if np.isnan(res.values[i]) else float(res.values[i]))
            vcols["explanation"].append(explain(res, i, labels, texts, index.lens))
    return {"lens_signals": pa.table(cols, schema=SIGNALS), "lens_video_signals": pa.table(vcols, schema=VIDEO_SIGNALS)}


def _visual_text(segs: list[dict], keys: list[tuple], index: LensIndex, space):
    """Clip vectors (stored) vs annotation vectors from the backend's own text encoder."""
    pool = index.segments
    rows = _pool_rows(pool, keys)
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
    return vt, vtc, vt_expl, vtc_expl


def shared_space_of(backend: str, lens: str = "visual", options: dict | None = None):
    """The registered backend (built with its recorded ``options``, lenses/backends.py) if it
    has a text side (SharedSpace), else None (no match signal)."""
    from .models import get
    from .models.pixels import SharedSpace

    if not backend:
        return None
    try:
        obj = get(lens, backend, **(options or {}))
    except KeyError:
        return None
    return obj if isinstance(obj, SharedSpace) and callable(getattr(obj, "embed_texts", None)) else None


def lens_signals_stage(index: LensIndex, shared_space=None) -> Stage:
    def run(batch: Batch) -> dict[str, pa.Table]:
        return compute_lens_signals(batch.segments, index, shared_space)

    return Stage(STAGE, run, writes=("lens_signals", "lens_video_signals"), reads=("segments",))


def run_lens_signals(ws, lens: str = "visual", redo: bool = False, k: int = DEFAULT_K,
                     on_progress=None) -> StageReport | None:
    """The stage over every video of ``ws`` (a Workspace); None when the lens has no vectors."""
    vectors = read_vectors(ws.store, lens)
    if vectors is None:
        return None
    store = ws.store
    index = LensIndex.build(vectors, store.read("segments", columns=[
        "video_id", "segment_id", "parent_id", "level", *TEXT_FIELDS]), lens=lens, k=k)
    fp = index.fingerprint(ws.text_model)
    path = ws.path / FINGERPRINT_FILE
    old = json.loads(path.read_text()).get("fingerprint") if path.exists() else None
    if old != fp:
        store.forget([STAGE, "confidence"])
        path.write_text(json.dumps({"fingerprint": fp, "lens": lens, "backend": index.backend, "k": k}))
    ids = ws.video_ids()
    finished = set() if redo else store.finished(STAGE)
    if all(v in finished for v in ids):
        return StageReport(STAGE, skipped=len(ids))
    index.embed(ws.text_embedder())
    from .lenses.backends import recorded

    spec = recorded(store.root, lens, index.backend)
    options = spec.options if spec is not None else {}
    return ws.engine.run(lens_signals_stage(index, shared_space_of(index.backend, lens, options)), ids, on_progress,
                         redo=redo)
