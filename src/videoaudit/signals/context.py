"""Everything the signals of one batch share, computed once.

Each text of the batch (annotation fields, captions, transcript chunks (transcripts.py), metadata,
opinions) is embedded in ONE call to the text model, deduplicated; the signals then
work on matrices. Relations between segments come from time, not from parent links, so
that a broken tree (a moved boundary, an orphan) still gets sensible evidence windows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from ..annotation import EMBEDDED_FIELDS, is_audited
from ..transcripts import chunk_transcript, overlap_weights

EPS_T = 0.05  # seconds of slack for float boundaries


def _norm_rows(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, n, out=np.zeros_like(m), where=n > 0)


def _present(values) -> np.ndarray:
    return np.array([isinstance(v, str) and v.strip() != "" for v in values], dtype=bool)


def overlap_matrix(a_start, a_end, b_start, b_end) -> np.ndarray:
    """Seconds of overlap between every interval of a (rows) and of b (columns)."""
    a_s, a_e = np.asarray(a_start, float)[:, None], np.asarray(a_end, float)[:, None]
    b_s, b_e = np.asarray(b_start, float)[None, :], np.asarray(b_end, float)[None, :]
    return np.clip(np.minimum(a_e, b_e) - np.maximum(a_s, b_s), 0.0, None)


@dataclass
class VideoView:
    """One video's segments and the vectors the signals compare."""

    video_id: str
    seg: pd.DataFrame  # this video's segments, positional index 0..n-1
    audited: np.ndarray  # bool: segment has GPT text to audit
    is_root: np.ndarray
    vec: dict[str, np.ndarray]  # per-segment vectors (n x d); zero rows where absent
    has: dict[str, np.ndarray]  # per-segment presence masks
    meta_vec: np.ndarray | None  # title + description
    contains: np.ndarray  # contains[i, j]: segment j lies inside segment i
    disjoint: np.ndarray  # disjoint[i, j]: no time overlap (neither ancestor nor descendant)
    events: pd.DataFrame  # opinion events of the video (all sources)
    event_vec: np.ndarray
    description_vec: np.ndarray | None
    description_text: str | None
    evidence_words: set[str] = field(default_factory=set)
    opinion_text: list[str | None] = field(default_factory=list)  # per segment: what the opinions say of it
    cache: dict = field(default_factory=dict)  # results several signal families share
    embedder: object = None  # the run's text model (signals that embed prototypes use it)
    rows: dict = field(default_factory=dict)  # canonical rows: "video" (dict), "segments", "opinions" (lists)


class Embeddings:
    """Collects texts, embeds them all at once, hands back vectors by ticket."""

    def __init__(self, embedder):
        self.embedder = embedder
        self.texts: list[str] = []

    def want(self, text: str) -> int:
        self.texts.append(text)
        return len(self.texts) - 1

    def run(self) -> np.ndarray:
        dim = getattr(self.embedder, "dim", 1)
        if not self.texts:
            return np.zeros((0, dim), np.float32)
        return self.embedder.embed(self.texts)


@dataclass
class _Plan:
    """One video's texts, queued for the batch's one embedding call: tickets index its result."""

    vrow: tuple  # the videos row (a pandas itertuples row)
    seg: pd.DataFrame
    tickets: dict[str, np.ndarray]  # per embedded field: a ticket per segment, -1 where absent
    has: dict[str, np.ndarray]
    chunks: list  # transcript chunks (transcripts.chunk_transcript)
    chunk_t: list[int]
    meta_t: int  # title + description, -1 when there is none
    ev: pd.DataFrame  # opinion events, by start
    ev_t: list[int]
    desc_text: str | None  # opinion descriptions, joined
    desc_t: int


def build_views(videos: pa.Table, segments: pa.Table, opinions: pa.Table, embedder) -> list[VideoView]:
    """Embed every text of the batch in one call and assemble one VideoView per video."""
    seg_by_video = {vid: g.reset_index(drop=True) for vid, g in segments.to_pandas().groupby("video_id", sort=False)}
    empty_seg = segments.schema.empty_table().to_pandas()
    vids = videos.to_pandas()
    ops = opinions.to_pandas()
    ops_by_video = {vid: g for vid, g in ops.groupby("video_id", sort=False)} if len(ops) else {}
    emb = Embeddings(embedder)
    rows = _rows_by_video(videos, segments, opinions)
    plans = [_plan(vrow, seg_by_video.get(vrow.video_id, empty_seg), ops_by_video.get(vrow.video_id, ops.iloc[:0]),
                   emb) for vrow in vids.itertuples(index=False)]
    mat = emb.run()
    dim = mat.shape[1] if mat.ndim == 2 and mat.shape[0] else getattr(embedder, "dim", 1)
    return [_view(p, mat, dim, embedder, rows.get(p.vrow.video_id, {})) for p in plans]


def _plan(vrow, seg: pd.DataFrame, vops: pd.DataFrame, emb: Embeddings) -> _Plan:
    """Queue one video's texts: annotation fields, transcript chunks, metadata, opinion events and
    description, in that order."""
    n = len(seg)
    tickets: dict[str, np.ndarray] = {}
    has: dict[str, np.ndarray] = {}
    for f in EMBEDDED_FIELDS:
        vals = seg[f].to_numpy() if n else np.array([], object)
        m = _present(vals)
        has[f] = m
        tickets[f] = np.array([emb.want(v) if ok else -1 for v, ok in zip(vals, m)], dtype=int)
    chunks = chunk_transcript(list(vrow.transcript) if vrow.transcript is not None else [])
    chunk_t = [emb.want(c.text) for c in chunks]
    desc = vrow.description if isinstance(vrow.description, str) else ""  # a null arrives as NaN
    meta_text = " ".join(t for t in (vrow.title, desc[:400]) if isinstance(t, str) and t.strip())
    meta_t = emb.want(meta_text) if meta_text else -1
    ev = vops[vops.kind == "event"].sort_values("start").reset_index(drop=True) if len(vops) else vops
    ev_t = [emb.want(t) for t in ev.text] if len(ev) else []
    desc = vops[vops.kind == "description"] if len(vops) else vops
    desc_text = " ".join(desc.text.tolist()) if len(desc) else None
    desc_t = emb.want(desc_text) if desc_text else -1
    return _Plan(vrow=vrow, seg=seg, tickets=tickets, has=has, chunks=chunks, chunk_t=chunk_t, meta_t=meta_t,
                 ev=ev, ev_t=ev_t, desc_text=desc_text, desc_t=desc_t)


def _take(mat: np.ndarray, dim: int, t: np.ndarray) -> np.ndarray:
    """The rows of ``mat`` for tickets ``t``; zero rows for -1."""
    out = np.zeros((len(t), dim), np.float32)
    ok = t >= 0
    if ok.any():
        out[ok] = mat[t[ok]]
    return out


def _view(p: _Plan, mat: np.ndarray, dim: int, embedder, rows: dict) -> VideoView:
    """One video's view, from its plan and the batch's embedding matrix."""
    seg, has, ev = p.seg, p.has, p.ev
    vec = {k: _take(mat, dim, t) for k, t in p.tickets.items()}
    st, en = seg.start.to_numpy(float), seg.end.to_numpy(float)
    contains = (st[None, :] >= st[:, None] - EPS_T) & (en[None, :] <= en[:, None] + EPS_T)
    disjoint = overlap_matrix(st, en, st, en) <= EPS_T
    _add_derived_vectors(vec, has, contains)
    _add_transcript_vectors(vec, has, p, mat, dim, st, en)
    is_root = (seg.parent_id.isna() | (seg.level == 0)).to_numpy(bool)
    audited = np.array([is_audited(r) for r in seg.to_dict("records")], bool)
    ev_vec = mat[np.array(p.ev_t, int)] if p.ev_t else np.zeros((0, dim), np.float32)
    desc_vec = mat[p.desc_t] if p.desc_t >= 0 else None
    op_text = segment_opinions(seg, is_root, ev, ev_vec, p.desc_text, desc_vec, vec, has)
    return VideoView(
        video_id=p.vrow.video_id, seg=seg, audited=audited,
        is_root=is_root,
        vec=vec, has=has,
        meta_vec=mat[p.meta_t] if p.meta_t >= 0 else None,
        contains=contains, disjoint=disjoint,
        events=ev, event_vec=ev_vec, opinion_text=op_text,
        description_vec=desc_vec, description_text=p.desc_text,
        evidence_words=_evidence_words(p), embedder=embedder, rows=rows,
    )


def _add_derived_vectors(vec: dict, has: dict, contains: np.ndarray) -> None:
    """vec/has["annotation"] and ["captions"]."""
    # the annotation's summary: brief and detailed together, else the action fields
    summ = vec["summary_brief"] + vec["summary_detailed"]
    act = vec["action_brief"] + vec["action_detailed"]
    has_summ = has["summary_brief"] | has["summary_detailed"]
    vec["annotation"] = _norm_rows(np.where(has_summ[:, None], summ, act))
    has["annotation"] = has_summ | has["action_brief"] | has["action_detailed"]
    # own captions and the captions of everything inside the segment
    cap = vec["plm_caption"] + vec["llama3_caption"]
    cap_has = has["plm_caption"] | has["llama3_caption"]
    cap = _norm_rows(cap)
    sub = contains.astype(np.float32) * cap_has[None, :]
    vec["captions"] = _norm_rows(sub @ cap)
    has["captions"] = sub.sum(1) > 0


def _add_transcript_vectors(vec: dict, has: dict, p: _Plan, mat: np.ndarray, dim: int,
                            st: np.ndarray, en: np.ndarray) -> None:
    """vec/has["transcript"]: per segment, the chunks overlapping it, weighted by seconds of overlap."""
    if p.chunks:
        w = overlap_weights(p.chunks, st, en)
        vec["transcript"] = _norm_rows(w @ mat[np.array(p.chunk_t)])
        has["transcript"] = w.sum(1) > 0
    else:
        n = len(p.seg)
        vec["transcript"] = np.zeros((n, dim), np.float32)
        has["transcript"] = np.zeros(n, bool)


def _evidence_words(p: _Plan) -> set[str]:
    """Content words of everything that is evidence: captions, transcript, metadata, opinions."""
    words: set[str] = set()
    for f in ("plm_caption", "plm_action", "llama3_caption"):
        for t in p.seg[f].dropna():
            words |= content_words(t)
    for c in p.chunks:
        words |= content_words(c.text)
    for t in (p.vrow.title, p.vrow.description, p.desc_text):
        if isinstance(t, str):
            words |= content_words(t)
    for t in (p.ev.text if len(p.ev) else []):
        words |= content_words(t)
    return words


def _rows_by_video(videos: pa.Table, segments: pa.Table, opinions: pa.Table) -> dict[str, dict]:
    """Each video's canonical rows as plain dicts, for signals that read texts (the claims check)."""
    out = {v["video_id"]: {"video": v, "segments": [], "opinions": []} for v in videos.to_pylist()}
    for name, table in (("segments", segments), ("opinions", opinions)):
        for r in table.to_pylist():
            if r["video_id"] in out:
                out[r["video_id"]][name].append(r)
    return out


def segment_opinions(seg, is_root, ev, ev_vec, desc_text, desc_vec, vec, has, min_cover: float = 0.5):
    """What the opinions say of each segment: the description for a root, the events inside otherwise.

    An event counts for a segment when at least half of it lies inside; the segment has an
    opinion when such events cover at least ``min_cover`` of it. Fills vec/has["opinion"].
    """
    n = len(seg)
    dim = next(iter(vec.values())).shape[1] if vec else 1
    op_vec = np.zeros((n, dim), np.float32)
    op_has = np.zeros(n, bool)
    texts: list[str | None] = [None] * n
    if len(ev):
        st, en = seg.start.to_numpy(float), seg.end.to_numpy(float)
        es, ee = ev.start.to_numpy(float), ev.end.to_numpy(float)
        ov = overlap_matrix(st, en, es, ee)
        inside = ov / np.maximum(ee - es, 1e-6)[None, :] >= 0.5
        cover = (ov * inside).sum(1) / np.maximum(en - st, 1e-6)
        w = ov * inside
        op_vec = _norm_rows((w @ ev_vec).astype(np.float32))
        op_has = cover >= min_cover
        ev_text = ev.text.tolist()
        for i in np.flatnonzero(op_has):
            texts[i] = ". ".join(ev_text[j] for j in np.flatnonzero(inside[i]))
    if desc_vec is not None:
        for i in np.flatnonzero(is_root):
            op_vec[i] = desc_vec
            op_has[i] = True
            texts[i] = desc_text
    vec["opinion"], has["opinion"] = op_vec, op_has
    return texts


# --- words -------------------------------------------------------------------------
_STOP = set("""a an the and or but of to in on at by for with from into onto over under up down out off
is are was were be been being it its this that these those there here then than as so such while
he she they them his her their him you your we our i me my not no nor do does did done has have had
using uses use used one two three some any each all both more most other another very just also
about after before during again further once only same own too can will would should could may might
shown shows show seen appears appear video clip segment scene frame camera begins ends starts continues
""".split())


@functools.lru_cache(maxsize=1 << 16)  # words repeat across captions: 196k calls, a few thousand distinct
def _stem(w: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


@functools.lru_cache(maxsize=4096)  # keys are whole captions: keep it small; reuse is within a video
def content_words(text: str) -> frozenset[str]:
    """Lower-cased, crudely stemmed words of 3+ letters that are not stop words (cached: texts repeat)."""
    return frozenset(_stem(w) for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 3 and w not in _STOP)
