"""Learning from review decisions, and re-tiering the confidence map with them.

The fusion (confidence/fuse.py) is label-free. Once people have decided enough segments
(:data:`MIN_DECISIONS` decided segments, at least :data:`MIN_PER_CLASS` of them wrong and as
many right), :func:`fit_from_labels` fits a logistic regression of "the annotation is wrong"
on the segment's signal values with the fusion's own risk (``logit(1 - confidence)``) as its
offset: it learns an L2-penalised correction to the fusion, so with few labels it stays near
the fusion and moves only where the decisions disagree with it. How far it may move is chosen
by cross-validation on the decisions, "not at all" included: decisions taken from the queue's
top are few and unrepresentative, and a correction fitted to them must predict held-out
decisions better than the fusion before it is used. The fitted model gives every undecided
segment a new confidence ``1 - P(wrong)`` and tier; decided segments keep the human verdict
(tier ``reviewed-ok`` / ``reviewed-wrong``).

:func:`fit_from_labels` is the one learning entry point, small so that another fit (the
evidence library's ``confidence.fit(labels)``) can replace it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..schema import CONFIDENCE
from ..signal_values import FUSED_KEY, dump_signals, parse_signals
from .decisions import SegmentVerdict, by_segment

MIN_DECISIONS = 20  # decided segments before a refit
MIN_PER_CLASS = 5  # ... of which at least this many wrong and this many right
#: inverse L2 strengths the refit chooses from by cross-validation on the decisions; 0 = no
#: correction (an intercept only: the fusion's order is kept). Few or unrepresentative decisions
#: (a queue's top is nearly all faults) can fit noise, so the data must show a correction helps.
STRENGTHS = (0.0, 0.01, 0.05, 0.2, 1.0)
FOLDS = 5
MIN_SCALE = 0.1  # floor of a signal's spread (signals live in [0, 1])
Z_CLIP = 4.0  # standardised values beyond this are clipped
PRIOR = "fusion.risk"  # the fusion's logit(1 - confidence): the offset, and a feature (its weight rescales it)


@dataclass
class LearnedFusion:
    """``logit P(wrong) = prior + intercept + coef . standardised signals`` (missing = the
    median), where ``prior`` is the fusion's own logit: the fit learns a correction to the
    fusion, and its L2 penalty (``strength``, chosen by cross-validation) pulls that correction
    to zero, so few decisions cannot undo it."""

    names: list[str]
    fill: list[float]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    n_labels: int = 0
    n_wrong: int = 0
    fitted_at: str = ""
    strength: float = 0.0
    cv_log_loss: dict[str, float] = field(default_factory=dict)

    def _x(self, frame: pd.DataFrame) -> np.ndarray:
        x = frame.reindex(columns=self.names).to_numpy(float)
        x = np.where(np.isnan(x), np.asarray(self.fill)[None, :], x)
        return np.clip((x - np.asarray(self.mean)) / np.asarray(self.scale), -Z_CLIP, Z_CLIP)

    def p_wrong(self, frame: pd.DataFrame) -> np.ndarray:
        """P(annotation wrong) per row of a signal matrix with (a superset of) ``names`` and PRIOR."""
        z = _offset(frame) + self._x(frame) @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def coefficients(self) -> dict[str, float]:
        return {n: round(c, 4) for n, c in zip(self.names, self.coef)}


def _offset(frame: pd.DataFrame) -> np.ndarray:
    return frame[PRIOR].to_numpy(float) if PRIOR in frame.columns else np.zeros(len(frame))


def _logistic(x: np.ndarray, offset: np.ndarray, y: np.ndarray, strength: float) -> np.ndarray:
    """(intercept, coefficients) of a class-balanced, L2-penalised logistic regression with an
    offset; ``strength`` 0 fits the intercept alone."""
    from scipy.optimize import minimize

    if strength == 0:
        x = x[:, :0]
    n_pos = max(y.sum(), 1.0)
    w = np.where(y == 1, len(y) / (2 * n_pos), len(y) / (2 * max(len(y) - n_pos, 1.0)))
    penalty = 0.0 if strength == 0 else 1.0 / strength

    def loss(theta):
        z = offset + theta[0] + x @ theta[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        grad = np.concatenate([[np.sum(w * (p - y))], x.T @ (w * (p - y))])
        grad[1:] += theta[1:] * penalty
        return np.sum(w * (np.logaddexp(0, z) - y * z)) + 0.5 * np.sum(theta[1:] ** 2) * penalty, grad

    return minimize(loss, np.zeros(1 + x.shape[1]), jac=True, method="L-BFGS-B").x


def _cv_log_loss(x: np.ndarray, offset: np.ndarray, y: np.ndarray) -> dict[float, tuple[float, float]]:
    """(mean, standard error) of the held-out log-loss per strength, over stratified folds."""
    order = np.argsort(y, kind="stable")
    fold = np.empty(len(y), int)
    fold[order] = np.arange(len(y)) % FOLDS
    out = {}
    for strength in STRENGTHS:
        loss = np.empty(len(y))
        for k in range(FOLDS):
            tr, te = fold != k, fold == k
            theta = _logistic(x[tr], offset[tr], y[tr], strength)
            z = offset[te] + theta[0] + (x[te] @ theta[1:] if strength else 0.0)
            loss[te] = np.logaddexp(0, z) - y[te] * z
        out[strength] = (float(loss.mean()), float(loss.std(ddof=1) / np.sqrt(len(y))))
    return out


def _choose(cv: dict[float, tuple[float, float]]) -> float:
    """The one-standard-error rule: the weakest correction whose held-out loss is within one
    standard error of the best one's (few decisions cannot tell close candidates apart, and the
    cost of a wrong correction is paid on every undecided segment)."""
    best = min(cv, key=lambda s: cv[s][0])
    bar = cv[best][0] + cv[best][1]
    return min(s for s in cv if cv[s][0] <= bar)


def fit_from_labels(signal_matrix: pd.DataFrame, labels, population: pd.DataFrame | None = None) -> LearnedFusion:
    """Fit P(wrong) from a signal matrix (one row per decided segment, one column per signal,
    NaN = no input; the column PRIOR, when present, is the offset the fit corrects) and labels
    (1 = wrong). ``population`` (default: the decided rows) gives each signal's median and
    spread: all segments, so that a signal nearly constant on the few decided ones does not
    blow up elsewhere. Classes are weighted equally; signals with no value at all are left out;
    the penalty is chosen from :data:`STRENGTHS` by cross-validated log-loss (:func:`_choose`)."""
    y = np.asarray(labels, float)
    offset = _offset(signal_matrix)
    names = [c for c in signal_matrix.columns if signal_matrix[c].notna().any()]
    pop = (signal_matrix if population is None else population).reindex(columns=names).to_numpy(float)
    fill = np.nanmedian(pop, axis=0)
    x_pop = np.where(np.isnan(pop), fill[None, :], pop)
    mean, scale = x_pop.mean(0), np.maximum(x_pop.std(0), MIN_SCALE)
    model = LearnedFusion(names=names, fill=fill.tolist(), mean=mean.tolist(), scale=scale.tolist(),
                          coef=[0.0] * len(names), intercept=0.0, n_labels=len(y), n_wrong=int(y.sum()),
                          fitted_at=_dt.datetime.now(_dt.timezone.utc).isoformat())
    x = model._x(signal_matrix)
    cv = _cv_log_loss(x, offset, y)
    model.strength = _choose(cv)
    model.cv_log_loss = {str(s): round(m, 5) for s, (m, _) in cv.items()}
    theta = _logistic(x, offset, y, model.strength)
    model.intercept = float(theta[0])
    if model.strength:
        model.coef = theta[1:].tolist()
    return model


def signal_frame(conf: pa.Table) -> tuple[pd.DataFrame, np.ndarray]:
    """(signal matrix with the fusion's risk as a column, the fusion's confidence) of a confidence table.

    A row re-tiered earlier carries the fusion's confidence under FUSED_KEY; that, not the
    learned value, is the prior (a refit never feeds on its own output).
    """
    parsed = [parse_signals(s) for s in conf.column("signals").to_pylist()]
    fused = np.array([p.pop(FUSED_KEY, None) for p in parsed], dtype=object)
    own = np.asarray(conf.column("confidence").to_pylist(), float)
    fused = np.where(pd.isna(fused), own, fused).astype(float)
    frame = pd.DataFrame.from_records(parsed).astype(float)
    risk = np.clip(1.0 - fused, 1e-4, 1 - 1e-4)
    frame[PRIOR] = np.log(risk / (1 - risk))
    return frame, fused


def enough(labels: np.ndarray) -> bool:
    return len(labels) >= MIN_DECISIONS and min(int(labels.sum()), int((1 - labels).sum())) >= MIN_PER_CLASS


def retier(store, learn: bool = True) -> dict | None:
    """Post-step after the confidence stage: refit from the decisions, re-tier, keep human verdicts.

    Writes nothing (returns None) while the workspace holds no decisions.
    """
    reviews = store.read("reviews")
    if not reviews.num_rows or not store.count("confidence"):
        return None
    conf = store.read("confidence")
    frame, fused = signal_frame(conf)
    keys = list(zip(conf.column("video_id").to_pylist(), conf.column("segment_id").to_pylist()))
    decided = by_segment(reviews)
    idx = np.array([i for i, k in enumerate(keys) if k in decided], int)
    labels = np.array([int(decided[keys[i]].wrong) for i in idx], int)
    record = {"decisions": int(reviews.num_rows), "decided_segments": len(idx), "wrong": int(labels.sum()),
              "ok": int(len(labels) - labels.sum()), "learn": learn, "minimum": {
                  "decided_segments": MIN_DECISIONS, "per_class": MIN_PER_CLASS}}
    new_conf = fused.copy()
    if learn and enough(labels):
        model = fit_from_labels(frame.iloc[idx], labels, population=frame)
        if model.strength:  # else the fusion stands as it is: an intercept fitted to a queue's
            new_conf = 1.0 - model.p_wrong(frame)  # mostly-wrong top would only shift every tier
        record.update(fitted=True, fitted_at=model.fitted_at, coefficients=model.coefficients(),
                      intercept=round(model.intercept, 4), strength=model.strength,
                      cv_log_loss=model.cv_log_loss, corrected=bool(model.strength), model=asdict(model))
    else:
        record.update(fitted=False, why=("--no-learn" if not learn else
                                         f"needs >= {MIN_DECISIONS} decided segments with >= {MIN_PER_CLASS} "
                                         f"wrong and {MIN_PER_CLASS} right"))
    table = rebuild(conf, fused, new_conf, decided, record)
    store.overwrite("confidence", table)
    from ..confidence.fuse import video_confidence

    store.overwrite("video_confidence", video_confidence(table))
    write_record(store.root, record)
    return record


def apply_decisions(store, video_ids) -> None:
    """Show new decisions at once: re-tier only these videos' decided rows (no refit; ``run`` refits)."""
    if not store.count("confidence"):
        return
    vids = sorted(set(video_ids))
    conf = store.read("confidence", vids)
    if not conf.num_rows:
        return
    decided = by_segment(store.read("reviews", vids))
    _, fused = signal_frame(conf)
    own = np.asarray(conf.column("confidence").to_pylist(), float)
    table = rebuild(conf, fused, own, decided, {"fitted": False})
    store.replace("confidence", vids, table)
    from ..confidence.fuse import video_confidence

    store.replace("video_confidence", vids, video_confidence(table))


def rebuild(conf: pa.Table, fused: np.ndarray, new_conf: np.ndarray, decided: dict[tuple[str, str], SegmentVerdict],
            record: dict) -> pa.Table:
    """The confidence table with the new values, tiers and reasons (the fusion's value kept in signals)."""
    from ..confidence.tiers import tier

    rows = conf.to_pylist()
    for r, f, c in zip(rows, fused, new_conf):
        sig = parse_signals(r["signals"])
        sig[FUSED_KEY] = round(float(f), 6)
        r["signals"] = dump_signals(sig)
        reasons = [x for x in (r["reasons"] or []) if not x.startswith(("reviewed ", "learned "))]
        v = decided.get((r["video_id"], r["segment_id"]))
        if v is not None:
            r["confidence"], r["tier"] = (0.0 if v.removed else 1.0), v.tier
            what = (f"wrong: {', '.join(v.removed)}" if v.removed else "ok") + (
                f"; fixed: {', '.join(sorted(v.fixes))}" if v.fixes else "")
            reasons = [f"reviewed {what}" + (f" (by {v.reviewer})" if v.reviewer else "")] + reasons
        else:
            r["confidence"], r["tier"] = float(c), tier(float(c), r.get("coverage"))  # never trusted unchecked
            if record.get("fitted") and r["tier"] != tier(float(f), r.get("coverage")):
                reasons = [f"learned from {record['decided_segments']} decisions: {c:.2f} (fusion {f:.2f})"] + reasons
        r["reasons"] = reasons
    return pa.Table.from_pylist(rows, schema=CONFIDENCE)


def write_record(root: Path, record: dict) -> None:
    """The last refit's record (how many decisions, when, coefficients), shown by ``status``:
    the workspace manifest's ``review_learning`` section."""
    from ..manifest import update_section

    update_section(root, "review_learning", record)


def load_record(root: Path) -> dict | None:
    from ..manifest import section

    return section(root, "review_learning")
