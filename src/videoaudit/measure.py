"""Fault detection measured with its uncertainty: AUROC per fault family and kind, over
several injector seeds, with bootstrap 95% intervals.

A :class:`Scored` run holds one confidence map joined with its truth; :func:`summarise`
turns the runs of several seeds into means, per-seed values and intervals. Each family
(or kind) is measured as *its* faulted segments against the clean ones, so a run that
mixes families measures each family without the others' faults in the denominator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .evaluate import auroc


@dataclass
class Scored:
    """One audited run: per audited segment its video, risk (1 - confidence), tier and truth."""

    video: np.ndarray  # object array of video ids
    risk: np.ndarray  # float
    tier: np.ndarray  # object array
    kind: np.ndarray  # object array: the fault kind, "" = clean
    family: np.ndarray  # object array: the fault family, "" = clean

    @classmethod
    def of(cls, confidence: pa.Table, truth: list[dict], family_of) -> "Scored":
        faults = {(t["video_id"], t["segment_id"]): t for t in truth if t.get("type", "fault") == "fault"}
        keys = list(zip(confidence.column("video_id").to_pylist(), confidence.column("segment_id").to_pylist()))
        kind = np.array([faults[k]["fault"] if k in faults else "" for k in keys], dtype=object)
        fam = np.array([(faults[k].get("family") or family_of(faults[k]["fault"])) if k in faults else ""
                        for k in keys], dtype=object)
        return cls(video=np.array([k[0] for k in keys], dtype=object),
                   risk=1.0 - np.asarray(confidence.column("confidence").to_pylist(), float),
                   tier=np.array(confidence.column("tier").to_pylist(), dtype=object), kind=kind, family=fam)

    def mask(self, what: str, value: str | None) -> np.ndarray:
        """Segments of the comparison: those with the fault ``value`` (any fault if None) and the clean ones."""
        labels = self.kind if what == "kind" else self.family
        return (labels != "") if value is None else (labels == value)

    def auroc(self, what: str, value: str | None, idx: np.ndarray | None = None) -> float | None:
        pos, clean = self.mask(what, value), self.kind == ""
        if idx is not None:
            pos, clean, risk = pos[idx], clean[idx], self.risk[idx]
        else:
            risk = self.risk
        sel = pos | clean
        return auroc(risk[sel], pos[sel])

    def clean_review_share(self) -> float | None:
        clean = self.kind == ""
        return float(np.mean(self.tier[clean] == "review")) if clean.any() else None


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def _stratified(run: Scored, rng: np.random.Generator) -> np.ndarray:
    """Segment indices resampled with replacement, faulted and clean separately."""
    parts = []
    for m in (run.kind != "", run.kind == ""):
        idx = np.flatnonzero(m)
        if len(idx):
            parts.append(rng.choice(idx, size=len(idx), replace=True))
    return np.concatenate(parts) if parts else np.zeros(0, int)


def _by_videos(run: Scored, videos: np.ndarray) -> np.ndarray:
    return np.concatenate([np.flatnonzero(run.video == v) for v in videos]) if len(videos) else np.zeros(0, int)


def bootstrap(runs: list[Scored], what: str, value: str | None, n: int = 1000, seed: int = 0,
              unit: str = "segments") -> np.ndarray:
    """``n`` bootstrap replicates of the mean-over-runs AUROC (NaN where a replicate has no pair).

    ``unit="segments"``: each run's segments resampled (stratified by fault / clean);
    ``unit="videos"``: the videos resampled with replacement, the same draw for every run.
    """
    rng = np.random.default_rng(seed)
    videos = np.array(sorted({v for r in runs for v in r.video}), dtype=object)
    out = np.full(n, np.nan)
    for b in range(n):
        draw = rng.choice(videos, size=len(videos), replace=True) if unit == "videos" else None
        vals = [r.auroc(what, value, _by_videos(r, draw) if unit == "videos" else _stratified(r, rng))
                for r in runs]
        m = _mean(vals)
        out[b] = np.nan if m is None else m
    return out


def interval(reps: np.ndarray) -> list[float] | None:
    reps = reps[~np.isnan(reps)]
    return [float(np.percentile(reps, 2.5)), float(np.percentile(reps, 97.5))] if len(reps) else None


def summarise(runs: list[Scored], what: str, value: str | None, n: int = 1000, seed: int = 0,
              video_bootstrap: bool = True) -> dict:
    """Mean AUROC over runs (seeds), each run's value, faulted count and the 95% intervals."""
    per_seed = [r.auroc(what, value) for r in runs]
    out = {"auroc": _mean(per_seed), "per_seed": per_seed,
           "n_faulted": int(sum(r.mask(what, value).sum() for r in runs))}
    if n:
        out["ci95"] = interval(bootstrap(runs, what, value, n, seed, "segments"))
        if video_bootstrap:
            out["ci95_videos"] = interval(bootstrap(runs, what, value, n, seed, "videos"))
    return out


def difference(a: list[Scored], b: list[Scored], what: str, value: str | None, n: int = 1000,
               seed: int = 0) -> dict:
    """mean AUROC of ``b`` minus that of ``a`` (e.g. rate 0.6 minus 0.25), with a segment-bootstrap 95% interval."""
    ma, mb = _mean([r.auroc(what, value) for r in a]), _mean([r.auroc(what, value) for r in b])
    delta = None if ma is None or mb is None else mb - ma
    reps = bootstrap(b, what, value, n, seed + 1) - bootstrap(a, what, value, n, seed) if n else np.zeros(0)
    return {"difference": delta, "ci95": interval(reps) if n else None}


__all__ = ["Scored", "bootstrap", "interval", "summarise", "difference"]
