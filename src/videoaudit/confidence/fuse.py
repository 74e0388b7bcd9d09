"""Fuse signals into a per-segment confidence in [0, 1] with its top reasons.

Two fusions (docs/confidence.md). ``method="fitted"``: the similarity signals go through
a model fitted per dataset (``confidence/fit.py``: on known faults injected into a copy of
the dataset's own videos, or on review labels); the rule signals multiply in as below.
``method="median"`` (the default until the fitted one measures better; also the fallback
when a dataset is too small to fit): nothing is learned. Each similarity
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
from ..signals.base import FIELD_GROUPS
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
    reason_from: float = 0.2  # doubt above which a signal is always named as a reason
    max_reasons: int = 4
    #: a segment below "trusted" is explained until its reasons cover this share of its doubt
    explain_share: float = 0.8
    #: "median" (the default: measured better so far, docs/confidence.md) | "fitted" (the model
    #: in ``model``, from confidence/fit.py; the median when there is none)
    method: str = "median"
    model: object = None  # a confidence.fit.FusionModel

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
    """Confidence rows for every audited segment of the batch, and one row per video.

    ``stats``: the run-wide median calibration (``Calibration.stats``), used by the median
    fusion and for nothing else.
    """
    cfg = config or FusionConfig()
    sig = signals.to_pandas()
    if not len(sig):
        return {"confidence": CONFIDENCE.empty_table(), "video_confidence": VIDEO_CONFIDENCE.empty_table()}
    wide = sig.pivot(index=["video_id", "segment_id"], columns="signal", values="value")
    expl = sig.set_index(["video_id", "segment_id", "signal"])["explanation"]
    names = list(wide.columns)
    vals = wide.to_numpy(float)
    fitted = cfg.method == "fitted" and cfg.model is not None
    res = _fitted(names, vals, cfg) if fitted else _median(names, vals, stats, cfg)
    ev = _coverage(names, vals)
    keys = list(wide.index)
    seg = segments.to_pandas().set_index(["video_id", "segment_id"])
    label = f"fitted:{cfg.model.source}" if fitted else "median"
    rows = []
    for r, (vid, sid) in enumerate(keys):
        info = seg.loc[(vid, sid)]
        t = tier(res.conf[r], ev.coverage[r])
        reasons, because = _reasons(res, r, t, cfg, lambda n: expl.get((vid, sid, n)) or "", info)
        if t == "unverified":
            reasons.append(f"unverified: no independent source could check its {ev.unchecked_text(r)} "
                           f"(evidence coverage {ev.coverage[r]:.2f})")
            because.append("coverage")
        if bool(info["beyond_clip"]):
            reasons.append("beyond_clip: the text describes more than the clip holds")
            because.append("beyond_clip")
        rows.append({
            "video_id": vid, "segment_id": sid, "level": int(info["level"]), "start": float(info["start"]),
            "end": float(info["end"]), "confidence": float(res.conf[r]), "tier": t, "reasons": reasons,
            "reason_signals": because,
            "signals": dump_signals({n: None if np.isnan(vals[r, k]) else round(float(vals[r, k]), 4)
                                     for k, n in enumerate(names)}),
            "coverage": float(ev.coverage[r]), "n_sources": int(ev.n_sources[r]),
            **{f"confidence_{f}": float(res.fields[f][r]) for f in FIELD_GROUPS},
            "to_check": ev.to_check(r), "risk": float(res.risk[r]), "fusion": label,
        })
    conf_t = pa.Table.from_pylist(rows, schema=CONFIDENCE)
    return {"confidence": conf_t, "video_confidence": video_confidence(conf_t)}


@dataclass
class _Fused:
    """What a fusion method hands the row builder."""

    conf: np.ndarray  # (n,)
    fields: dict[str, np.ndarray]  # field group -> (n,) confidence
    risk: np.ndarray  # (n,) unclipped risk, the review queue's tie-break
    names: list[str]  # columns of ``doubt`` (the signals, maybe + COMBINED)
    shown: np.ndarray  # (n, len(names)) value shown in a reason
    doubt: np.ndarray  # (n, len(names)) >= 0: how much each column lowers the confidence
    note: dict[int, str] = field(default_factory=dict)  # column -> fixed explanation (COMBINED)
    combined: np.ndarray | None = None  # (n,) the combined z of the median fusion


def _field_mask(names: list[str]) -> dict[str, np.ndarray]:
    from ..signals.registry import evidence_meta, meta_of

    known = evidence_meta()
    return {f: np.array([n == COMBINED or f in meta_of(n, known)[2] for n in names], bool) for f in FIELD_GROUPS}


def _rule_risk(names: list[str], vals: np.ndarray, cfg: FusionConfig) -> np.ndarray:
    risk = np.zeros_like(vals)
    for k, name in enumerate(names):
        if name in cfg.absolute:
            risk[:, k] = np.nan_to_num(np.clip(1.0 - vals[:, k], 0, 1)) * cfg.weights.get(name, 0.0)
    return np.clip(risk, 0, 1 - 1e-9)


def _fitted(names: list[str], vals: np.ndarray, cfg: FusionConfig) -> _Fused:
    """Similarity signals through the fitted logistic model, rule signals multiplied in."""
    model = cfg.model
    parts = model.parts(names, vals, cfg.weights)
    rule = _rule_risk(names, vals, cfg)
    rule_log = -np.log1p(-rule)
    logit = model.intercept + parts.sum(1)
    conf = (1.0 - _sigmoid(logit)) * np.exp(-rule_log.sum(1))
    fields = {}
    for f, m in _field_mask(names).items():
        fields[f] = (1.0 - _sigmoid(model.intercept + parts[:, m].sum(1))) * np.exp(-rule_log[:, m].sum(1))
    doubt = np.clip(parts, 0, None) + rule_log
    return _Fused(conf, fields, logit + rule_log.sum(1), names, vals, doubt)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, float)))


def _median(names: list[str], vals: np.ndarray, stats, cfg: FusionConfig) -> _Fused:
    """The run's own median / MAD define normal (the module docstring)."""
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
    cols = names + [COMBINED]
    p_comb = np.clip(np.nan_to_num(prob(combined), nan=0.0) * cfg.combined_weight - p_rel_max, 0, 1)
    shown = np.column_stack([vals, 1.0 - p_comb])
    p = np.column_stack([p, p_comb])
    w = np.array([cfg.weights.get(n, 0.0) for n in names] + [1.0])  # p_comb is already weighted
    risk = np.clip(p * w[None, :], 0, 1 - 1e-9)
    conf = np.prod(1.0 - risk, axis=1)
    fields = {f: np.prod(1.0 - risk[:, m], axis=1) for f, m in _field_mask(cols).items()}
    # tie-break: the log-risk, then the combined z (more doubt first)
    key = -np.log(np.maximum(conf, 1e-12)) + 1e-3 * np.nan_to_num(combined)
    note = {len(names): "several similarity signals are low together (combined z = {z:.1f})"}
    return _Fused(conf, fields, key, cols, shown, risk, note, combined)


#: reasons quote the segment's own upstream captions after these signals' explanations
QUOTES_CAPTIONS = ("evidence.captions", "evidence.contrastive")


def _reasons(res: _Fused, r: int, t: str | None, cfg: FusionConfig, explanation, info) -> tuple[list, list]:
    """The signals that lower this segment's confidence most, with their values and words.

    Every signal whose doubt is above ``reason_from`` is named; a review or uncertain segment
    is explained further until its reasons cover ``explain_share`` of its total doubt, so
    a low score always has the reasons that made it low."""
    d = res.doubt[r]
    total = float(d.sum())
    order = np.argsort(-d, kind="stable")
    reasons, because, covered = [], [], 0.0
    for k in order[: cfg.max_reasons]:
        if d[k] <= 1e-6:
            break
        needed = t in ("review", "uncertain") and covered < cfg.explain_share * total
        if d[k] < cfg.reason_from and not needed:
            break
        name = res.names[k]
        if name == COMBINED:
            why = res.note[k].format(z=res.combined[r])
        else:
            why = explanation(name)
            if name in QUOTES_CAPTIONS:
                said = _caption_words(info)
                why = f"{why}; its captions say \"{said}\"" if said else why
        reasons.append(f"{name} = {res.shown[r, k]:.2f} (doubt {d[k]:.2f}): {why}".rstrip(": "))
        because.append(name)
        covered += float(d[k])
    return reasons, because


def _caption_words(info, n: int = 90) -> str | None:
    for c in ("plm_caption", "llama3_caption", "plm_action"):
        text = info.get(c) if hasattr(info, "get") else None
        if isinstance(text, str) and text.strip():
            text = " ".join(text.split())
            return text if len(text) <= n else text[: n - 3] + "..."
    return None


@dataclass
class _Evidence:
    """Per segment: which field groups and sources independent signals could check."""

    coverage: np.ndarray
    n_sources: np.ndarray
    covered: list[set]
    sources: list[set]

    def unchecked_text(self, r: int) -> str:
        miss = [f for f in FIELD_GROUPS if f not in self.covered[r]]
        return ", ".join(miss) if miss else f"claims ({1 - self.coverage[r]:.0%} of them)"

    def to_check(self, r: int) -> str | None:
        """What is unchecked (field groups, else the share of its claims when that keeps it
        unverified) and what would check it; None when enough is checked."""
        from .tiers import CHECKED_FROM

        miss = [f for f in FIELD_GROUPS if f not in self.covered[r]]
        if miss:
            what = ", ".join(miss)
        elif self.coverage[r] < CHECKED_FROM:
            what = f"{1 - self.coverage[r]:.0%} of its claims"
        else:
            return None
        have = self.sources[r]
        add = [how for src, how in ADD_SOURCE if src not in have]
        how = " or ".join(add) if add else "a source that speaks of them in its window"
        return f"unchecked: {what}; add {how}"


#: what a user can add to check the rest, by the source it would bring
ADD_SOURCE = (
    ("opinion", "a second opinion (videoaudit run --second-opinion NAME, or opinions import)"),
    ("visual", "a shared text-video lens (videoaudit run --visual qwen3-vl-embedding)"),
    ("captions", "upstream captions (plm_caption / llama3_caption)"),
)


def _coverage(names: list[str], vals: np.ndarray) -> _Evidence:
    """Evidence coverage: the share of the field groups that at least one independent
    signal with an input covers; a registered coverage signal (claims) overrides it."""
    from ..signals.registry import coverage_signals, evidence_meta, meta_of

    known = evidence_meta()
    cov_cols = [k for k, n in enumerate(names) if n in coverage_signals()]
    indep = [(k, meta_of(n, known)) for k, n in enumerate(names) if meta_of(n, known)[0]]
    n = len(vals)
    covered = [set() for _ in range(n)]
    sources = [set() for _ in range(n)]
    for k, (_, src, fields) in indep:
        for r in np.flatnonzero(~np.isnan(vals[:, k])):
            covered[r].update(fields)
            if src is not None:
                sources[r].add(src)
    coverage = np.array([len(c & set(FIELD_GROUPS)) / len(FIELD_GROUPS) for c in covered], float)
    for k in cov_cols:
        v = vals[:, k]
        coverage = np.where(np.isnan(v), coverage, np.clip(v, 0, 1))
    return _Evidence(coverage, np.array([len(s) for s in sources]), covered, sources)


def video_confidence(conf: pa.Table) -> pa.Table:
    """A video is as trustworthy as its segments on average, weighted by how much time they cover;
    it is checked when its segments are, on the same average."""
    df = conf.select(["video_id", "start", "end", "confidence", "reason_signals", "tier", "coverage"]).to_pandas()
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
        cov = float(np.average(g["coverage"].to_numpy(float), weights=np.log1p(dur)))
        rows.append({"video_id": vid, "confidence": value, "tier": tier(value, cov), "n_segments": len(g),
                     "n_review": int((c < REVIEW_BELOW).sum()),
                     "reasons": [f"{k} ({counts[k]} segments)" for k in top],
                     "n_unverified": int((g["tier"] == "unverified").sum()), "coverage": cov})
    return pa.Table.from_pylist(rows, schema=VIDEO_CONFIDENCE)


def evidence_summary(rows) -> dict:
    """Dataset-level: the share of segments unverified, the share independent evidence checked
    (coverage >= the tiers' threshold) and the most common thing to add to check the rest."""
    from .tiers import CHECKED_FROM

    rows = list(rows)
    if not rows:
        return {"unverified_share": None, "checked_share": None, "to_check": None}
    cov = [r.get("coverage") for r in rows]
    hints: dict[str, int] = {}
    for r in rows:
        hint = r.get("to_check")
        if hint and r.get("tier") in ("unverified", "uncertain", "review") and "; add " in hint:
            add = hint.split("; add ", 1)[1]
            hints[add] = hints.get(add, 0) + 1
    return {
        "unverified_share": sum(r.get("tier") == "unverified" for r in rows) / len(rows),
        "checked_share": (sum(c is not None and c >= CHECKED_FROM for c in cov) / len(rows)),
        "to_check": max(hints, key=lambda k: hints[k]) if hints else None,
    }
