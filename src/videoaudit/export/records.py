"""One record per audited segment, review queue order (lowest confidence first).

``apply_reviews`` adds the five annotation texts as they should be released: fields a
reviewer decided wrong are null, fixed ones carry the reviewer's text (export/reviewed.py);
``min_tier`` keeps only rows at or above a tier (reviewed-ok always, reviewed-wrong never);
the default, every row, is the review record itself.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import GPT_FIELDS
from ..signal_values import parse_signals
from . import reviewed

RECORD_FIELDS = ("video_id", "segment_id", "level", "start", "end", "confidence", "tier", "reasons", "signals")
#: the evidence columns (coverage, per-field scores, what to add), exported when the map has them
EVIDENCE_FIELDS = ("coverage", "n_sources", "confidence_summary", "confidence_action", "confidence_actor",
                   "to_check")


def records(ws, apply_reviews: bool = False, min_tier: str = "review") -> pa.Table:
    """The review queue as export records (``signals`` still the stored form), with the evidence columns."""
    q = ws.review_queue()
    t = q.select(list(RECORD_FIELDS) + [c for c in EVIDENCE_FIELDS if c in q.column_names])
    reviewed.check_min_tier(min_tier)
    if min_tier != "review" or apply_reviews:
        tiers = t.column("tier").to_pylist()
        t = t.filter(pa.array([reviewed.keeps(x, min_tier) for x in tiers], pa.bool_()))
    if apply_reviews:
        t = _with_texts(ws, t)
    return t


def _with_texts(ws, t: pa.Table) -> pa.Table:
    """Join the GPT texts in, decisions applied."""
    decided = reviewed.decisions(ws)
    vids = sorted(set(t.column("video_id").to_pylist()))
    segs = {}
    for s in ws.store.read("segments", vids, columns=["video_id", "segment_id", "has_gpt", "na_fields",
                                                      *GPT_FIELDS]).to_pylist():
        s = reviewed.apply(s, decided.get((s["video_id"], s["segment_id"])))
        segs[(s["video_id"], s["segment_id"])] = s
    keys = list(zip(t.column("video_id").to_pylist(), t.column("segment_id").to_pylist()))
    for name in GPT_FIELDS:
        vals = []
        for k in keys:
            s = segs.get(k) or {}
            vals.append("N/A" if name in (s.get("na_fields") or []) else s.get(name))
        t = t.append_column(name, pa.array(vals, pa.string()))
    return t


def _signal_dicts(t: pa.Table) -> list[dict]:
    return [parse_signals(s) for s in t.column("signals").to_pylist()]


def export_jsonl(ws, out: Path, apply_reviews: bool = False, min_tier: str = "review") -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for batch in records(ws, apply_reviews, min_tier).to_batches(4096):
            for r in batch.to_pylist():
                r["signals"] = parse_signals(r["signals"])
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return out


def export_parquet(ws, out: Path, apply_reviews: bool = False, min_tier: str = "review") -> Path:
    """Parquet with ``signals`` as a struct column (one child per signal) for columnar tools."""
    out.parent.mkdir(parents=True, exist_ok=True)
    t = records(ws, apply_reviews, min_tier)
    sig = _signal_dicts(t)
    names = sorted({k for d in sig for k in d})
    struct = pa.StructArray.from_arrays(
        [pa.array([d.get(n) for d in sig], pa.float64()) for n in names] or [pa.array([None] * len(sig), pa.float64())],
        names=names or ["none"],
    )
    t = t.set_column(t.schema.get_field_index("signals"), "signals", struct)
    pq.write_table(t, out)
    return out


def export_csv(ws, out: Path, apply_reviews: bool = False, min_tier: str = "review") -> Path:
    """CSV for spreadsheets: one column per signal, reasons joined by " | "."""
    out.parent.mkdir(parents=True, exist_ok=True)
    t = records(ws, apply_reviews, min_tier)
    sig = _signal_dicts(t)
    names = sorted({k for d in sig for k in d})
    base = [c for c in t.column_names if c != "signals"]
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(base + names)
        for r, d in zip(t.select(base).to_pylist(), sig):
            r["reasons"] = " | ".join(r["reasons"] or [])
            w.writerow([("" if r[c] is None else r[c]) for c in base] + [("" if d.get(n) is None else d[n])
                                                                         for n in names])
    return out
