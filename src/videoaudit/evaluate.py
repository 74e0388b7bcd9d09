"""How well does the confidence map find known faults? (samples with a truth file, benchmarks)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
from scipy.stats import rankdata


def auroc(scores, labels) -> float | None:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (Mann-Whitney U, ties averaged)."""
    s = np.asarray(scores, float)
    y = np.asarray(labels, bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return None
    r = rankdata(s)
    return float((r[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def read_truth(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def fault_labels(truth: list[dict]) -> dict[tuple[str, str], str]:
    """(video_id, segment_id) -> fault kind, for records of type "fault"."""
    return {(t["video_id"], t["segment_id"]): t["fault"] for t in truth if t.get("type", "fault") == "fault"}


def detection(confidence: pa.Table, truth: list[dict]) -> dict:
    """AUROC of (1 - confidence) for faulted vs clean segments: overall and per fault kind."""
    faults = fault_labels(truth)
    keys = list(zip(confidence.column("video_id").to_pylist(), confidence.column("segment_id").to_pylist()))
    risk = 1.0 - np.asarray(confidence.column("confidence").to_pylist(), float)
    kind = np.array([faults.get(k, "") for k in keys], dtype=object)
    faulted = kind != ""
    out = {"auroc": auroc(risk, faulted), "n_segments": len(keys), "n_faulted": int(faulted.sum()), "per_fault": {}}
    tiers = np.array(confidence.column("tier").to_pylist(), dtype=object)
    for k in sorted(set(kind[faulted])):
        m = kind == k
        sel = m | ~faulted
        out["per_fault"][k] = {"n": int(m.sum()), "auroc": auroc(risk[sel], m[sel]),
                               "review_share": float(np.mean(tiers[m] == "review"))}
    out["clean_review_share"] = float(np.mean(tiers[~faulted] == "review")) if (~faulted).any() else None
    return out
