"""Fitting the fusion: which signal values mean "this text is wrong", learned per dataset.

Two entry points, one model (docs/confidence.md):

* :func:`fit_injected` (label-free, the default of every run): take a bounded sample of the
  workspace's own videos, make a copy with known faults injected by the project's injector
  (``sample/faults.py``), compute that copy's signals in memory with the same signal code,
  and fit a monotone logistic model that separates the faulted segments of the copy from
  the original segments. Nothing is assumed about how common faults are in the data: the
  contrast is "this dataset's text" vs "this dataset's text with a known fault", so a fault
  that most annotations share does not become "normal" the way a median would make it.
* :func:`fit` (labelled: ``{(video_id, segment_id): is_wrong}``, e.g. a person's review
  decisions): the same model fitted on the stored signals of the labelled segments.

The model is over the *similarity* signals (their scale is what needs calibrating); rule
signals are already probabilities and stay outside it. Each feature is a signal's doubt
``1 - value``, standardised, plus a missing-value indicator; a doubt's coefficient must be
>= 0 (more support never raises the risk): a feature that comes out negative is dropped
and the model refitted. sklearn's ``LogisticRegression`` does the fitting.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pyarrow as pa

#: fault kinds a rule signal already catches with certainty (text quality, N/A coherence):
#: they are left out of the similarity model's positives, which they would only blur
RULE_FAULTS = ("degenerate_text", "wrong_na")
SAMPLE_VIDEOS = 40  # bound on the sample the label-free fit audits again (cost ~ that many videos' signals)
FAULT_RATE = 0.5
MIN_EXAMPLES = 20  # per class; fewer and the run falls back to the median calibration
C = 1.0  # inverse L2 strength of the logistic regression (sklearn's default)


@dataclass
class FusionModel:
    """A fitted logistic model over similarity signals' doubts (``1 - value``)."""

    signals: list[str]
    coef: list[float]  # per signal, on the standardised doubt (>= 0)
    missing_coef: list[float]  # per signal, on "no input"
    mean: list[float]
    scale: list[float]
    intercept: float
    source: str = "injected"  # "injected" (label-free) | "labels"
    n_positive: int = 0
    n_negative: int = 0
    info: dict = field(default_factory=dict)

    def parts(self, names: Sequence[str], vals: np.ndarray, weights: Mapping[str, float] | None = None) -> np.ndarray:
        """(n, len(names)) logit contributions of each signal column; 0 for signals not in the
        model, or given weight 0 in ``weights`` (switched off, as in an ablation)."""
        out = np.zeros((len(vals), len(names)))
        idx = {s: i for i, s in enumerate(self.signals)}
        for k, name in enumerate(names):
            i = idx.get(name)
            if i is None or (weights is not None and weights.get(name, 1.0) == 0):
                continue
            v = vals[:, k]
            miss = np.isnan(v)
            z = np.where(miss, 0.0, ((1.0 - np.nan_to_num(v)) - self.mean[i]) / self.scale[i])
            out[:, k] = self.coef[i] * z + self.missing_coef[i] * miss
        return out

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FusionModel":
        return cls(**d)


def _features(vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    doubt = 1.0 - vals
    miss = np.isnan(vals).astype(float)
    return doubt, miss


def fit_arrays(names: Sequence[str], vals: np.ndarray, y: np.ndarray, source: str) -> FusionModel | None:
    """The monotone logistic fit on (n, K) signal values (nan = no input) and labels ``y``."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y, bool)
    if min(int(y.sum()), int((~y).sum())) < MIN_EXAMPLES:
        return None
    doubt, miss = _features(np.asarray(vals, float))
    mean = np.array([np.nanmean(c) if np.isfinite(c).any() else 0.0 for c in doubt.T])
    scale = np.array([np.nanstd(c) if np.isfinite(c).sum() > 1 else 1.0 for c in doubt.T])
    scale = np.where(scale > 1e-6, scale, 1.0)
    z = np.nan_to_num((doubt - mean) / scale)
    keep = [k for k in range(len(names)) if np.isfinite(doubt[:, k]).sum() >= MIN_EXAMPLES]
    varies = [k for k in range(len(names)) if 0 < miss[:, k].mean() < 1]
    while True:
        X = np.column_stack([z[:, keep], miss[:, varies]]) if keep or varies else np.zeros((len(y), 1))
        lr = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(X, y)
        w = lr.coef_[0]
        wrong = [k for k, c in zip(keep, w[: len(keep)]) if c < 0]
        if not wrong:
            break
        keep = [k for k in keep if k not in wrong]  # more support must never mean more risk
    coef = np.zeros(len(names))
    mcoef = np.zeros(len(names))
    coef[keep] = w[: len(keep)]
    mcoef[varies] = w[len(keep): len(keep) + len(varies)]
    return FusionModel(list(names), coef.round(6).tolist(), mcoef.round(6).tolist(), mean.round(6).tolist(),
                       scale.round(6).tolist(), round(float(lr.intercept_[0]), 6), source,
                       int(y.sum()), int((~y).sum()))


def similarity_signals(weights: Mapping[str, float] | None = None) -> list[str]:
    """The fused similarity signals (registered, weight > 0): the model's candidate features."""
    from ..signals import registry
    from ..signals.base import SIMILARITY

    w = {**registry.weights(), **(weights or {})}
    return [c.name for c in registry.specs() if c.kind == SIMILARITY and w.get(c.name, 0) > 0]


def wide(signals: pa.Table, names: Sequence[str]) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Keys and an (n, len(names)) value matrix (nan = null or absent) of long signal rows."""
    df = signals.select(["video_id", "segment_id", "signal", "value"]).to_pandas()
    if not len(df):
        return [], np.zeros((0, len(names)))
    # pivot, not pivot_table(dropna=False): that one adds every (video, segment) combination
    w = df.drop_duplicates(["video_id", "segment_id", "signal"]).pivot(
        index=["video_id", "segment_id"], columns="signal", values="value")
    w = w.reindex(columns=list(names))
    return list(w.index), w.to_numpy(float)


def fit(labels: Mapping[tuple[str, str], bool], signals, weights: Mapping[str, float] | None = None
        ) -> FusionModel | None:
    """The fusion fitted on human decisions ``{(video_id, segment_id): is_wrong}``.

    ``signals``: a Workspace (its stored signals and lens signals are read) or a signals
    table. None when either class has fewer than ``MIN_EXAMPLES`` labelled segments.
    """
    if not isinstance(signals, pa.Table):
        signals = _stored_signals(signals.store)
    names = similarity_signals(weights)
    keys, vals = wide(signals, names)
    pos = {k: i for i, k in enumerate(keys)}
    rows = [(pos[k], bool(v)) for k, v in labels.items() if k in pos]
    if not rows:
        return None
    model = fit_arrays(names, vals[[r for r, _ in rows]], np.array([y for _, y in rows]), "labels")
    if model is not None:
        model.info = {"labelled": len(rows)}
    return model


def _stored_signals(store, video_ids: Sequence[str] | None = None) -> pa.Table:
    from ..schema import SIGNALS

    parts = [store.read(t, video_ids) for t in ("signals", "lens_signals")]
    return pa.concat_tables([p.select(SIGNALS.names).cast(SIGNALS) for p in parts if p.num_rows] or
                            [SIGNALS.empty_table()])


def fit_injected(ws, seed: int = 0, max_videos: int = SAMPLE_VIDEOS, rate: float = FAULT_RATE,
                 weights: Mapping[str, float] | None = None) -> FusionModel | None:
    """The label-free fit on a faulted copy of (a sample of) ``ws``'s own videos (module doc).

    Nothing is written to the workspace. None when the sample yields fewer than
    ``MIN_EXAMPLES`` faulted or original segments with signals (the run then uses the median).
    """
    from ..sample.faults import FAULT_KINDS, inject_faults

    ids = sorted(ws.video_ids())
    if not ids:
        return None
    rng = random.Random(f"videoaudit-fit/{seed}")
    sample = sorted(rng.sample(ids, min(len(ids), max_videos)))
    rows = list(release_rows(ws, sample))
    kinds = [k for k in FAULT_KINDS if k not in RULE_FAULTS]
    faulty, truth = inject_faults(rows, seed=seed, rate=rate, kinds=kinds)
    faulted = {(t["video_id"], t["segment_id"]) for t in truth}
    copy_signals = faulted_signals(ws, sample, faulty)
    names = similarity_signals(weights)
    k_pos, v_pos = wide(copy_signals, names)
    sel = [i for i, k in enumerate(k_pos) if k in faulted]
    k_neg, v_neg = wide(_stored_signals(ws.store, sample), names)
    vals = np.vstack([v_pos[sel], v_neg]) if len(sel) else v_neg
    y = np.r_[np.ones(len(sel), bool), np.zeros(len(k_neg), bool)]
    model = fit_arrays(names, vals, y, "injected")
    if model is not None:
        model.info = {"videos": len(sample), "seed": seed, "rate": rate, "kinds": kinds}
    return model


def release_rows(ws, video_ids: Sequence[str]):
    """The videos as Action100M release rows with every annotation (the injector's input)."""
    from ..export.action100m import release_rows as rows

    return rows(ws, video_ids=video_ids, keep=None)


def faulted_signals(ws, video_ids: Sequence[str], faulty_rows: list[dict]) -> pa.Table:
    """Signals (and lens signals) of the faulted copy, in memory, with the run's signal code."""
    from ..ingest.action100m import convert_release_row
    from ..models import get
    from ..schema import SEGMENTS
    from ..signals import compute_signals

    from ..ingest import RowError

    segs = []
    for row in faulty_rows:
        try:
            segs += convert_release_row(row).segments
        except RowError:  # a tree the release format cannot hold (e.g. several roots): left out of the fit
            continue
    seg_t = pa.Table.from_pylist(segs, schema=SEGMENTS)
    videos = ws.store.read("videos", list(video_ids))
    opinions = ws.store.read("opinions", list(video_ids))
    embedder = get("text", ws.text_model)
    parts = [compute_signals(videos, seg_t, opinions, embedder)["signals"]]
    lens = _lens_signals(ws, video_ids, seg_t, embedder)
    if lens is not None:
        parts.append(lens)
    return pa.concat_tables(parts)


def _lens_signals(ws, video_ids, seg_t: pa.Table, embedder) -> pa.Table | None:
    """The faulted copy's lens signals against the dataset's index (its texts replaced)."""
    from ..lenses.backends import recorded
    from ..lenses.vectors import read_vectors
    from ..signals.lens_stage import compute_lens_signals, shared_space_of
    from ..signals.lens_context import SEGMENT_COLUMNS, LensIndex

    vectors = read_vectors(ws.store, "visual")
    if vectors is None:
        return None
    cols = list(SEGMENT_COLUMNS)
    stored = ws.store.read("segments", columns=cols)
    wanted = set(video_ids)
    keep = [v not in wanted for v in stored.column("video_id").to_pylist()]
    pool = pa.concat_tables([stored.filter(pa.array(keep)), seg_t.select(cols).cast(stored.schema)])
    index = LensIndex.build(vectors, pool)
    index.embed(embedder)
    spec = recorded(ws.store.root, "visual", index.backend)
    space = shared_space_of(index.backend, "visual", spec.options if spec is not None else {})
    return compute_lens_signals(seg_t, index, space)["lens_signals"]


MANIFEST = "confidence_fit"  # manifest section: the model the last run used, or labels' model


def fusion_model(ws) -> FusionModel | None:
    """The model a run fuses with: a labelled one recorded by :func:`use_labels`, else a fresh
    label-free fit (recorded in the manifest for ``status``); None = the median fusion."""
    from ..manifest import section, update_section

    rec = section(ws.store.root, MANIFEST) or {}
    if rec.get("model") and rec["model"].get("source") == "labels":
        return FusionModel.from_dict(rec["model"])
    try:
        model, why = fit_injected(ws), "too few segments to fit"
    except (ValueError, KeyError, TypeError) as exc:  # never lose a run to the fit: the median fusion runs
        model, why = None, f"fit failed: {type(exc).__name__}: {exc}"
    update_section(ws.store.root, MANIFEST, {"model": model.to_dict() if model else None,
                                             "method": "fitted" if model else "median",
                                             **({} if model else {"why_median": why})})
    return model


def use_labels(ws, labels: Mapping[tuple[str, str], bool]) -> FusionModel | None:
    """Fit on review decisions and make the next run fuse with that model (the confidence of
    every video is marked stale). None, and nothing changed, when there are too few labels."""
    from ..manifest import update_section
    from ..pipeline.graph import invalidate

    model = fit(labels, ws)
    if model is not None:
        update_section(ws.store.root, MANIFEST, {"model": model.to_dict(), "method": "fitted"})
        invalidate(ws.store, "confidence", None, include_self=True)
    return model
