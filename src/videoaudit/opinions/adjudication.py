"""Verdicts: where the annotation and a second opinion disagree, which side does a third source take?

Per audited segment the second opinion speaks about: ``agree`` / ``paraphrase`` (no
disagreement), else ``annotation`` / ``second_opinion`` / ``diverge`` by a grounding source
(a text grounding compared by cosine, or a person detector's points), else ``undecided``.
"Disagree" is calibrated on the run (:func:`disagreement_threshold`), and each source's vote
is weighted by its agreement with the others over the run (CROWDLAB's idea, FACTS.md §4).
docs/opinions.md ("Verdicts") gives every rule and why.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ..annotation import annotation_text, is_audited
from ..schema import VERDICTS
from ..signals.context import segment_opinions
from ..signals.lexical import normalized_similarity
from ..signals.semantic import LEXICAL_SAME, PARAPHRASE_SEMANTIC

SIDE_MARGIN = 0.05
DISAGREE_Z = 2.0  # robust deviations below the run's median cosine that make a disagreement


def disagreement_threshold(cosines) -> float:
    """The cosine below which annotation and second opinion *disagree*, calibrated on the run.

    The semantic signal calls >= 0.6 agreement, but paraphrases by another writer spread far
    below that (on the sample, 82 % of segments are < 0.6). Like the fusion, a disagreement is
    a similarity unusually low for this run: ``median - 2 * 1.4826 * MAD`` of all the run's
    annotation-vs-second-opinion cosines, never above 0.6; 0.6 with fewer than 5 values.
    """
    v = np.asarray([c for c in cosines if c is not None and not np.isnan(c)], float)
    if len(v) < 5:
        return PARAPHRASE_SEMANTIC
    med = float(np.median(v))
    mad = 1.4826 * float(np.median(np.abs(v - med)))
    return float(min(PARAPHRASE_SEMANTIC, med - DISAGREE_Z * mad))
VERDICTS_ORDER = ("annotation", "second_opinion", "diverge", "undecided", "paraphrase", "agree")
ANNOTATION = "annotation"

_PERSON = re.compile(r"\b(person|people|man|men|woman|women|boy|girl|child|kid|he|she|someone|somebody|"
                     r"individual|cook|chef|worker|mechanic|gardener|painter|artist|owner|trainer|instructor|"
                     r"carpenter|woodworker|host|presenter|athlete|user|hands?|they)\b", re.IGNORECASE)


def names_person(text: str | None, actor: str | None = None) -> bool:
    """Does this text say a person does something? (a word list, or the annotation's actor noun)."""
    if not isinstance(text, str) or not text.strip():
        return False
    if _PERSON.search(text):
        return True
    if isinstance(actor, str):
        head = [w for w in re.findall(r"[a-z]+", actor.lower()) if len(w) > 2 and w not in ("the", "and", "with")]
        return any(re.search(rf"\b{re.escape(w)}", text, re.IGNORECASE) for w in head[-1:])
    return False


@dataclass
class SegmentEvidence:
    """Everything one verdict needs, for one segment (built by :func:`collect`)."""

    video_id: str
    segment_id: str
    actor: str | None  # the annotation's actor (None = N/A)
    sem_ab: float  # cosine annotation vs second opinion (nan = no second opinion here)
    lex_ab: float
    sem_ag: float = float("nan")  # text grounding vs annotation
    sem_bg: float = float("nan")  # text grounding vs second opinion
    person_seen_at: float | None = None  # people grounding: a person detected at this time
    grounded: bool = False  # grounding was run on this video
    grounding_kind: str | None = None  # "text" | "points"
    second_text: str | None = None


def _side_text(e: SegmentEvidence, threshold: float) -> tuple[bool, bool] | None:
    """(grounding agrees with annotation, with second opinion) for text grounding, or None."""
    if np.isnan(e.sem_ag) or np.isnan(e.sem_bg):
        return None
    return e.sem_ag >= threshold, e.sem_bg >= threshold


def decide(e: SegmentEvidence, weights: dict[str, float], second: str, grounding: str | None,
           threshold: float = PARAPHRASE_SEMANTIC) -> tuple[str, str]:
    """(verdict, reason) for one segment; pure, so constructed cases test it directly.

    ``threshold``: the cosine below which two texts disagree (:func:`disagreement_threshold`)."""
    if np.isnan(e.sem_ab):
        raise ValueError(f"segment {e.segment_id} of video {e.video_id}: no second opinion to compare")
    if e.sem_ab >= threshold:
        if not np.isnan(e.lex_ab) and e.lex_ab >= LEXICAL_SAME:
            return "agree", f"the second opinion says the same (cosine {e.sem_ab:.2f}, edit {e.lex_ab:.2f})"
        return "paraphrase", (f"only a paraphrase: no disagreement (cosine {e.sem_ab:.2f} >= {threshold:.2f}) "
                              f"in other words (edit {0 if np.isnan(e.lex_ab) else e.lex_ab:.2f})")
    dis = f"annotation and {second} disagree (cosine {e.sem_ab:.2f} < {threshold:.2f})"
    if not e.grounded or grounding is None:
        return "undecided", f"{dis}; no grounding run on this video (outside the cascade's grounding set)"
    g_a = g_b = False
    if e.grounding_kind == "text":
        sides = _side_text(e, threshold)
        if sides is None:
            return "undecided", f"{dis}; {grounding} said nothing of this segment"
        ok_a, ok_b = sides
        if not ok_a and not ok_b:
            return "diverge", (f"{dis}; {grounding} agrees with neither (cosine {e.sem_ag:.2f} to the annotation, "
                               f"{e.sem_bg:.2f} to {second})")
        if ok_a and e.sem_ag - e.sem_bg >= SIDE_MARGIN:
            g_a = True
        elif ok_b and e.sem_bg - e.sem_ag >= SIDE_MARGIN:
            g_b = True
        else:
            return "undecided", (f"{dis}; {grounding} is as close to both (cosine {e.sem_ag:.2f} vs "
                                 f"{e.sem_bg:.2f})")
        evidence = f"{grounding}'s text is closer to the {'annotation' if g_a else second} " \
                   f"(cosine {e.sem_ag:.2f} vs {e.sem_bg:.2f})"
    else:
        claim_a = e.actor is not None
        claim_b = names_person(e.second_text, e.actor)
        if e.person_seen_at is None:
            return "undecided", (f"{dis}; {grounding} found no person in this segment, which decides nothing "
                                 "(it misses seated, close-up and hands-only people)")
        if claim_a == claim_b:
            return "undecided", (f"{dis}; {grounding} sees a person at {e.person_seen_at:.1f} s, but "
                                 f"{'both sides name' if claim_a else 'neither side names'} a person: a person "
                                 "detector cannot judge the action")
        g_a, g_b = claim_a, claim_b
        evidence = (f"{grounding} sees a person at {e.person_seen_at:.1f} s and only the "
                    f"{'annotation (actor: ' + str(e.actor) + ')' if g_a else second} says a person acts")
    wa, wb, wg = weights.get(ANNOTATION, 0.5), weights.get(second, 0.5), weights.get(grounding, 0.5)
    va, vb = wa + wg * g_a, wb + wg * g_b
    vote = f"weighted vote {va:.2f} (annotation) vs {vb:.2f} ({second})"
    if va > vb:
        return "annotation", f"{dis}; {evidence}; {vote}"
    if vb > va:
        return "second_opinion", f"{dis}; {evidence}; {vote}"
    return "undecided", f"{dis}; {evidence}; but {vote} is a tie"


def source_weights(evidence: list[SegmentEvidence], second: str, grounding: str | None,
                   threshold: float = PARAPHRASE_SEMANTIC) -> dict[str, float]:
    """Each source's smoothed agreement rate with the other sources over the run (CROWDLAB's idea)."""
    agree: Counter = Counter()
    total: Counter = Counter()

    def count(a: str, b: str, ok: bool) -> None:
        for s in (a, b):
            total[s] += 1
            agree[s] += ok

    for e in evidence:
        if not np.isnan(e.sem_ab):
            count(ANNOTATION, second, e.sem_ab >= threshold)
        if grounding is None or not e.grounded:
            continue
        if e.grounding_kind == "text":
            if not np.isnan(e.sem_ag):
                count(ANNOTATION, grounding, e.sem_ag >= threshold)
            if not np.isnan(e.sem_bg):
                count(second, grounding, e.sem_bg >= threshold)
        elif e.person_seen_at is not None:  # only a seen person is evidence
            count(ANNOTATION, grounding, e.actor is not None)
            count(second, grounding, names_person(e.second_text, e.actor))
    names = [ANNOTATION, second] + ([grounding] if grounding else [])
    return {s: (agree[s] + 1) / (total[s] + 2) for s in names}


# --------------------------------------------------------------------------- assembling evidence


def _source_texts(seg, is_root, ops: pd.DataFrame) -> list[str | None]:
    """What one source says of each segment (same rule as the second-opinion signals)."""
    n = len(seg)
    if not len(ops):
        return [None] * n
    ev = ops[ops.kind == "event"].sort_values("start").reset_index(drop=True)
    desc = ops[ops.kind == "description"]
    desc_text = " ".join(desc.text.tolist()) if len(desc) else None
    vec = {"_": np.zeros((n, 1), np.float32)}
    return segment_opinions(seg, is_root, ev, np.zeros((len(ev), 1), np.float32), desc_text,
                            np.zeros(1, np.float32) if desc_text else None, vec, {})


@dataclass
class _VideoTexts:
    """One video's segments and what each source says of them (``None`` = says nothing)."""

    video_id: str
    seg: pd.DataFrame
    audited: np.ndarray
    a_text: list[str | None]  # the annotation
    b_text: list[str | None]  # the second opinion
    g_text: list[str | None]  # the grounding source's text
    points: pd.DataFrame  # the grounding source's points
    kind: str | None  # how this video was grounded ("text" | "points"), None = not grounded

    def compared(self) -> list[int]:
        """Audited segments where the annotation and the second opinion both say something."""
        return [i for i in np.flatnonzero(self.audited) if self.b_text[i] is not None and self.a_text[i] is not None]


def _video_texts(vid: str, seg: pd.DataFrame, vops: pd.DataFrame, second: str, grounding: str | None,
                 grounded_videos: set[str], grounding_kind: str | None) -> _VideoTexts | None:
    seg = seg.reset_index(drop=True)
    sec = vops[vops.source == second]
    if not len(sec):
        return None
    is_root = (seg.parent_id.isna() | (seg.level == 0)).to_numpy(bool)
    records = seg.to_dict("records")
    g_ops = vops[vops.source == grounding] if grounding else vops.iloc[:0]
    pts = g_ops[g_ops.kind == "point"]
    kind = None
    if vid in grounded_videos:
        kind = grounding_kind or ("points" if (len(pts) or not (g_ops.kind != "point").any()) else "text")
    return _VideoTexts(vid, seg, np.array([is_audited(r) for r in records], bool),
                       [annotation_text(r, "opinion") for r in records], _source_texts(seg, is_root, sec),
                       _source_texts(seg, is_root, g_ops[g_ops.kind != "point"]), pts, kind)


def _video_evidence(v: _VideoTexts, cos, grounded: bool) -> list[SegmentEvidence]:
    idx = v.compared()
    if not idx:
        return []
    lex = normalized_similarity([v.a_text[i] for i in idx], [v.b_text[i] for i in idx])
    pt = v.points.t.to_numpy(float) if len(v.points) else np.zeros(0)
    out = []
    for k, i in enumerate(idx):
        row = v.seg.iloc[i]
        seen = None
        if len(pt):
            inside = pt[(pt >= row.start) & (pt <= row.end)]
            seen = float(inside[0]) if len(inside) else None
        out.append(SegmentEvidence(
            video_id=v.video_id, segment_id=row.segment_id,
            actor=row.actor if isinstance(row.actor, str) and row.actor.strip() else None,
            sem_ab=cos(v.a_text[i], v.b_text[i]), lex_ab=float(lex[k]),
            sem_ag=cos(v.a_text[i], v.g_text[i]), sem_bg=cos(v.b_text[i], v.g_text[i]),
            person_seen_at=seen, grounded=grounded, grounding_kind=v.kind, second_text=v.b_text[i]))
    return out


def collect(segments: pa.Table, opinions: pa.Table, embedder, second: str, grounding: str | None,
            grounded_videos: set[str], grounding_kind: str | None = None) -> list[SegmentEvidence]:
    """Evidence for every audited segment that the second opinion says something of."""
    seg_all = segments.to_pandas()
    ops = opinions.to_pandas()
    ops_by_video = {vid: g for vid, g in ops.groupby("video_id", sort=False)} if len(ops) else {}
    videos = []
    texts: dict[str, int] = {}  # every distinct text compared, embedded once
    for vid, seg in seg_all.groupby("video_id", sort=False):
        vops = ops_by_video.get(vid)
        v = None if vops is None else _video_texts(vid, seg, vops, second, grounding, grounded_videos,
                                                   grounding_kind)
        if v is None:
            continue
        videos.append(v)
        for i in v.compared():
            for t in (v.a_text[i], v.b_text[i], v.g_text[i]):
                if t is not None:
                    texts.setdefault(t, len(texts))
    order = list(texts)
    mat = embedder.embed(order) if order else np.zeros((0, 1), np.float32)
    mat = mat / np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)

    def cos(a, b) -> float:
        if a is None or b is None:
            return float("nan")
        return float(mat[texts[a]] @ mat[texts[b]])

    return [e for v in videos for e in _video_evidence(v, cos, v.video_id in grounded_videos)]


def verdict_rows(ev: list[SegmentEvidence], second: str, grounding: str | None,
                 threshold: float | None = None) -> tuple[pa.Table, dict[str, float]]:
    """Weights over all the evidence (the whole run), then one verdict per segment and per video.

    ``threshold`` defaults to :func:`disagreement_threshold` over the evidence's cosines."""
    if threshold is None:
        threshold = disagreement_threshold([e.sem_ab for e in ev])
    weights = source_weights(ev, second, grounding, threshold)
    wjson = json.dumps({k: round(v, 4) for k, v in weights.items()})
    rows = []
    per_video: dict[str, list[str]] = {}
    for e in ev:
        v, why = decide(e, weights, second, grounding, threshold)
        rows.append({"video_id": e.video_id, "segment_id": e.segment_id, "verdict": v, "reason": why,
                     "weights": wjson})
        per_video.setdefault(e.video_id, []).append(v)
    for vid, vs in per_video.items():
        v, why = video_verdict(vs)
        rows.append({"video_id": vid, "segment_id": None, "verdict": v, "reason": why, "weights": wjson})
    return pa.Table.from_pylist(rows, schema=VERDICTS), weights


def video_verdict(segment_verdicts: list[str]) -> tuple[str, str]:
    c = Counter(segment_verdicts)
    counts = ", ".join(f"{k} {c[k]}" for k in VERDICTS_ORDER if c[k])
    decided = [(c[k], -VERDICTS_ORDER.index(k), k) for k in ("annotation", "second_opinion", "diverge") if c[k]]
    if decided:
        v = max(decided)[2]
    elif c["undecided"]:
        v = "undecided"
    elif c["paraphrase"]:
        v = "paraphrase"
    else:
        v = "agree"
    return v, f"segments: {counts}"
