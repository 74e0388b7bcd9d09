"""Fuse signals into a per-segment confidence in [0, 1] with its top reasons.

How it is fitted (docs/confidence.md): nothing is learned from labels. Each similarity
signal is calibrated on the run's own data: its median and robust spread (MAD) over all
audited segments define "normal", and a value ``z`` robust deviations below the median
becomes a fault probability ``sigmoid(slope * (z - z0))``. Rule signals (structure,
degenerate text, duplicates, N/A coherence) are already probabilities of a problem
(``1 - value``). The confidence is the probability that no fused signal reports a
fault, ``prod(1 - w_i * p_i)``, so one strong reason is enough to send a segment to
review, and the reasons are the signals with the largest ``w_i * p_i``. The constants
below were set by reasoning and checked on synthetic samples (seeds other than the
benchmark's); the real-data benchmark is never used to choose them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..schema import CONFIDENCE, VIDEO_CONFIDENCE
from ..signal_values import dump_signals
from .tiers import REVIEW_BELOW, tier

BINS = 2000
COMBINED = "combined.similarity"  # the fused Stouffer term, named in reasons (not a stored signal)


def _registry(what: str):
    from ..signals import registry

    return getattr(registry, what)()


@dataclass
class FusionConfig:
    """The fusion's settings. Weights, kinds and corroboration come from the signal registry
    (each signal class declares its own); ``weights`` given here override those of the
    signals it names, every other signal keeps its registered weight."""

    #: weight of each signal in the fusion; 0 = shown, explained, not fused.
    weights: dict[str, float] = field(default_factory=dict)
    #: signals that are already "1 - probability of a problem" (rules, not similarities)
    absolute: tuple[str, ...] = field(default_factory=lambda: _registry("rules"))
    #: a disagreement with one second opinion counts in full only when a family of the
    #: segment's own evidence agrees that something is off (the opinion may be the one wrong)
    corroborate: dict[str, str] = field(default_factory=lambda: _registry("corroborations"))
    corroboration_floor: float = 0.5
    #: weak doubts that agree add up: Stouffer's combination of the similarity signals' z
    combined_weight: float = 0.9
    z0: float = 3.0  # robust deviations below the median at which a similarity is a coin-flip fault
    slope: float = 1.5
    min_scale: float = 0.03  # floor of the robust spread, so a near-constant signal is not hair-trigger
    reason_from: float = 0.2  # w * p above which a signal is named as a reason
    max_reasons: int = 3

    def __post_init__(self):
        self.weights = {**_registry("weights"), **self.weights}


class Calibration:
    """Per-signal median and robust spread, accumulated batch by batch (memory stays flat)."""

    def __init__(self):
        self.hist: dict[str, np.ndarray] = {}

    def update(self, signals: pa.Table) -> None:
        if not signals.num_rows:
            return
        df = signals.select(["signal", "value"]).to_pandas().dropna()
        for name, vals in df.groupby("signal")["value"]:
            h = np.histogram(np.clip(vals.to_numpy(float), 0, 1), bins=BINS, range=(0, 1))[0]
            self.hist[name] = self.hist.get(name, 0) + h

    def stats(self, min_scale: float) -> dict[str, tuple[float, float]]:
        centers = (np.arange(BINS) + 0.5) / BINS
        out = {}
        for name, h in self.hist.items():
            total = h.sum()
            if total == 0:
                continue
            med = centers[np.searchsorted(np.cumsum(h), total / 2)]
            dev = np.abs(centers - med)
            order = np.argsort(dev)
            mad = dev[order][np.searchsorted(np.cumsum(h[order]), total / 2)]
            out[name] = (float(med), float(max(1.4826 * mad, min_scale)))
        return out


def fuse(signals: pa.Table, segments: pa.Table, stats: dict[str, tuple[float, float]],
         config: FusionConfig | None = None) -> dict[str, pa.Table]:
    """Confidence rows for every audited segment of the batch, and one row per video."""
    cfg = config or FusionConfig()
    seg = segments.select(["video_id", "segment_id", "level", "start", "end", "beyond_clip"]).to_pandas()
    sig = signals.to_pandas()
    if not len(sig):
        return {"confidence": CONFIDENCE.empty_table(), "video_confidence": VIDEO_CONFIDENCE.empty_table()}
    wide = sig.pivot(index=["video_id", "segment_id"], columns="signal", values="value")
    expl = sig.set_index(["video_id", "segment_id", "signal"])["explanation"]
    names = list(wide.columns)
    vals = wide.to_numpy(float)
    p = np.zeros_like(vals)
    zsum = np.zeros(len(vals))
    wsq = np.zeros(len(vals))
    n_rel = np.zeros(len(vals))
    p_rel_max = np.zeros(len(vals))

    def prob(z):
        return 1.0 / (1.0 + np.exp(-cfg.slope * (z - cfg.z0)))

    for k, name in enumerate(names):
        v = vals[:, k]
        if name in cfg.absolute:
            p[:, k] = 1.0 - v
        elif name in stats:
            med, scale = stats[name]
            z = (med - v) / scale
            p[:, k] = prob(z)
            w_k = cfg.weights.get(name, 0.0)
            ok = ~np.isnan(z)
            if w_k > 0:
                zsum[ok] += w_k * np.clip(z[ok], -2.0, None)
                wsq[ok] += w_k**2
                n_rel[ok] += 1
                p_rel_max = np.fmax(p_rel_max, np.nan_to_num(p[:, k]) * w_k)
    p = np.nan_to_num(np.clip(p, 0, 1), nan=0.0)
    # Stouffer: several similarity signals each a little low is one strong doubt. It adds
    # only what goes beyond the strongest single signal, and needs two signals to exist.
    combined = np.where(n_rel >= 2, zsum / np.sqrt(np.maximum(wsq, 1e-12)), np.nan)
    for name, family in cfg.corroborate.items():
        if name in names:
            fam = [k for k, n in enumerate(names) if n.startswith(family + ".")]
            support = p[:, fam].max(1) if fam else np.zeros(len(p))
            p[:, names.index(name)] *= cfg.corroboration_floor + (1 - cfg.corroboration_floor) * support
    n_signals = len(names)
    names = names + [COMBINED]
    p_comb = np.clip(np.nan_to_num(prob(combined), nan=0.0) * cfg.combined_weight - p_rel_max, 0, 1)
    vals = np.column_stack([vals, 1.0 - p_comb])
    p = np.column_stack([p, p_comb])
    w = np.array([cfg.weights.get(n, 0.0) for n in names[:-1]] + [1.0])  # p_comb is already weighted
    risk = p * w[None, :]
    conf = np.prod(1.0 - risk, axis=1)
    keys = list(wide.index)
    info_of = {(v, s): (lv, st, en, bc) for v, s, lv, st, en, bc in seg.itertuples(index=False)}
    rows = []
    for r, (vid, sid) in enumerate(keys):
        order = np.argsort(-risk[r])
        reasons, because = [], []
        for k in order[: cfg.max_reasons]:
            if risk[r, k] < cfg.reason_from:
                break
            why = (f"several similarity signals are low together (combined z = {combined[r]:.1f})"
                   if names[k] == COMBINED else expl.get((vid, sid, names[k])) or "")
            reasons.append(f"{names[k]} = {vals[r, k]:.2f}: {why}".rstrip(": "))
            because.append(names[k])
        level, start, end, beyond_clip = info_of[(vid, sid)]
        if beyond_clip:
            reasons.append("beyond_clip: the text describes more than the clip holds")
            because.append("beyond_clip")
        rows.append({
            "video_id": vid, "segment_id": sid, "level": int(level), "start": float(start), "end": float(end),
            "confidence": float(conf[r]), "tier": tier(conf[r]), "reasons": reasons, "reason_signals": because,
            "signals": dump_signals({n: None if np.isnan(vals[r, k]) else round(float(vals[r, k]), 4)
                                     for k, n in enumerate(names[:n_signals])}),
        })
    conf_t = pa.Table.from_pylist(rows, schema=CONFIDENCE)
    return {"confidence": conf_t, "video_confidence": video_confidence(conf_t)}


def video_confidence(conf: pa.Table) -> pa.Table:
    """A video is as trustworthy as its segments on average, weighted by how much time they cover."""
    df = conf.select(["video_id", "start", "end", "confidence", "reason_signals"]).to_pandas()
    rows = []
    for vid, g in df.groupby("video_id", sort=False):
        dur = np.maximum(g["end"].to_numpy(float) - g["start"].to_numpy(float), 1e-3)
        c = g["confidence"].to_numpy(float)
        value = float(np.average(c, weights=np.log1p(dur)))
        counts: dict[str, int] = {}
        for because, ci in zip(g["reason_signals"], c):
            if ci < REVIEW_BELOW:
                for key in because:
                    counts[key] = counts.get(key, 0) + 1
        top = sorted(counts, key=lambda k: -counts[k])[:3]
        rows.append({"video_id": vid, "confidence": value, "tier": tier(value), "n_segments": len(g),
                     "n_review": int((c < REVIEW_BELOW).sum()),
                     "reasons": [f"{k} ({counts[k]} segments)" for k in top]})
    return pa.Table.from_pylist(rows, schema=VIDEO_CONFIDENCE)
