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
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..schema import GPT_FIELDS
from ..signal_values import parse_signals
from . import reviewed, stream

RECORD_FIELDS = ("video_id", "segment_id", "level", "start", "end", "confidence", "tier", "reasons", "signals")
#: the evidence columns (coverage, per-field scores, what to add), exported when the map has them
EVIDENCE_FIELDS = ("coverage", "n_sources", "confidence_summary", "confidence_action", "confidence_actor",
                   "to_check")


def _columns(ws) -> list[str]:
    names = ws.store.schema("confidence").names
    if "confidence" in ws.store.names():
        names = ws.store.table("confidence").schema.names
    return list(RECORD_FIELDS) + [c for c in EVIDENCE_FIELDS if c in names]


def record_schema(ws, apply_reviews: bool = False) -> pa.Schema:
    """The records' columns: the confidence map's types, plus the five texts with ``apply_reviews``."""
    conf = ws.store.schema("confidence")
    fields = [conf.field(c) for c in _columns(ws)]
    if apply_reviews:
        fields += [pa.field(name, pa.string()) for name in GPT_FIELDS]
    return pa.schema(fields)


def record_chunks(ws, apply_reviews: bool = False, min_tier: str = "review") -> Iterator[pa.Table]:
    """The review queue as export records (``signals`` still the stored form), with the evidence
    columns, a chunk of rows at a time (export/stream.py): memory bounded by the chunk, not the map."""
    reviewed.check_min_tier(min_tier)
    ds = stream.dataset(ws.store, "confidence")
    if ds is None:
        return
    schema = record_schema(ws)
    positions = stream.queue_order(ds, min_tier, filter_tiers=min_tier != "review" or apply_reviews)
    decided = reviewed.decisions(ws) if apply_reviews else {}

    def fetch(part) -> pa.Table:
        t = ds.take(part.tolist(), columns=schema.names).select(schema.names).cast(schema)
        return _with_texts(ws.store, t, decided) if apply_reviews else t

    yield from stream.chunked(positions, fetch)  # chunk sizes follow the bytes with the texts joined


def records(ws, apply_reviews: bool = False, min_tier: str = "review") -> pa.Table:
    """All records as one table (small maps, tests); the exports stream :func:`record_chunks`."""
    parts = list(record_chunks(ws, apply_reviews, min_tier))
    return pa.concat_tables(parts) if parts else record_schema(ws, apply_reviews).empty_table()


def _with_texts(store, t: pa.Table, decided: dict) -> pa.Table:
    """Join the GPT texts of one chunk's segments in, decisions applied."""
    segs = {}
    found = stream.segment_rows(store, t, ["has_gpt", "na_fields", *GPT_FIELDS])
    for k, s in found.items():
        segs[k] = reviewed.apply(s, decided.get(k))
    keys = list(zip(t.column("video_id").to_pylist(), t.column("segment_id").to_pylist()))
    for name in GPT_FIELDS:
        vals = []
        for k in keys:
            s = segs.get(k) or {}
            vals.append("N/A" if name in (s.get("na_fields") or []) else s.get(name))
        t = t.append_column(name, pa.array(vals, pa.string()))
    return t


def signal_names(ws, apply_reviews: bool = False, min_tier: str = "review") -> list[str]:
    """Every signal name of the exported rows, sorted (a first streamed pass: the parquet struct and
    the CSV header need them before the first row is written)."""
    names: set[str] = set()
    for t in record_chunks_signals(ws, apply_reviews, min_tier):
        flat = pc.list_flatten(t.column("signals"))
        if len(flat):
            names.update(x for x in pc.unique(pc.struct_field(flat, "signal")).to_pylist() if x is not None)
    return sorted(names)


def record_chunks_signals(ws, apply_reviews: bool, min_tier: str) -> Iterator[pa.Table]:
    """Only the ``signals`` column of the exported rows, in storage order and chunks (cheap: no texts,
    no sort: the names are a set)."""
    reviewed.check_min_tier(min_tier)
    ds = stream.dataset(ws.store, "confidence")
    if ds is None:
        return
    tiers = stream.kept_tiers(min_tier) if min_tier != "review" or apply_reviews else None
    for t in stream.scan(ds, ["signals"], tiers, batch_rows=stream.MAX_ROWS):
        yield t.select(["signals"])


def _signal_dicts(t: pa.Table) -> list[dict]:
    return [parse_signals(s) for s in t.column("signals").to_pylist()]


def export_jsonl(ws, out: Path, apply_reviews: bool = False, min_tier: str = "review") -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for chunk in record_chunks(ws, apply_reviews, min_tier):
            for r in chunk.to_pylist():
                r["signals"] = parse_signals(r["signals"])
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return out


def _signal_struct(t: pa.Table, names: list[str]) -> pa.StructArray:
    sig = _signal_dicts(t)
    return pa.StructArray.from_arrays(
        [pa.array([d.get(n) for d in sig], pa.float64()) for n in names] or [pa.array([None] * len(sig), pa.float64())],
        names=names or ["none"],
    )


def export_parquet(ws, out: Path, apply_reviews: bool = False, min_tier: str = "review") -> Path:
    """Parquet with ``signals`` as a struct column (one child per signal) for columnar tools."""
    out.parent.mkdir(parents=True, exist_ok=True)
    names = signal_names(ws, apply_reviews, min_tier)
    base = record_schema(ws, apply_reviews)
    struct = pa.struct([pa.field(n, pa.float64()) for n in names or ["none"]])
    schema = base.set(base.get_field_index("signals"), pa.field("signals", struct))
    with pq.ParquetWriter(out, schema) as writer:
        for t in record_chunks(ws, apply_reviews, min_tier):
            t = t.set_column(t.schema.get_field_index("signals"), "signals", _signal_struct(t, names))
            writer.write_table(t.cast(schema))
    return out


def export_csv(ws, out: Path, apply_reviews: bool = False, min_tier: str = "review") -> Path:
    """CSV for spreadsheets: one column per signal, reasons joined by " | "."""
    out.parent.mkdir(parents=True, exist_ok=True)
    names = signal_names(ws, apply_reviews, min_tier)
    base = [c for c in record_schema(ws, apply_reviews).names if c != "signals"]
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(base + names)
        for t in record_chunks(ws, apply_reviews, min_tier):
            for r, d in zip(t.select(base).to_pylist(), _signal_dicts(t)):
                r["reasons"] = " | ".join(r["reasons"] or [])
                w.writerow([("" if r[c] is None else r[c]) for c in base] + [("" if d.get(n) is None else d[n])
                                                                             for n in names])
    return out
