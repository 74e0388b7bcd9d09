"""One record per audited segment, review queue order (lowest confidence first)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..confidence.fuse import signal_values

RECORD_FIELDS = ("video_id", "segment_id", "level", "start", "end", "confidence", "tier", "reasons", "signals")
#: the evidence columns (coverage, per-field scores, what to add), exported when the map has them
EVIDENCE_FIELDS = ("coverage", "n_sources", "confidence_summary", "confidence_action", "confidence_actor",
                   "to_check")


def records(ws) -> pa.Table:
    """The review queue as export records: ``signals`` is an object {name: value or null}."""
    q = ws.review_queue()
    return q.select(list(RECORD_FIELDS) + [c for c in EVIDENCE_FIELDS if c in q.column_names])


def export_jsonl(ws, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for batch in records(ws).to_batches(4096):
            for r in batch.to_pylist():
                r["signals"] = signal_values(r["signals"])
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return out


def export_parquet(ws, out: Path) -> Path:
    """Parquet with ``signals`` as a struct column (one child per signal) for columnar tools."""
    out.parent.mkdir(parents=True, exist_ok=True)
    t = records(ws)
    sig = [signal_values(s) for s in t.column("signals").to_pylist()]
    names = sorted({k for d in sig for k in d})
    struct = pa.StructArray.from_arrays(
        [pa.array([d.get(n) for d in sig], pa.float64()) for n in names] or [pa.array([None] * len(sig), pa.float64())],
        names=names or ["none"],
    )
    t = t.set_column(t.schema.get_field_index("signals"), "signals", struct)
    pq.write_table(t, out)
    return out
