"""Exports of the confidence map: jsonl, parquet, csv, action100m (trusted annotations only)."""

from __future__ import annotations

from pathlib import Path

from .action100m import export_action100m
from .records import export_csv, export_jsonl, export_parquet

FORMATS = {"jsonl": export_jsonl, "parquet": export_parquet, "csv": export_csv, "action100m": export_action100m}
#: --min-tier default per format: the release keeps trusted annotations, records list every segment
DEFAULT_MIN_TIER = {"jsonl": "review", "parquet": "review", "csv": "review", "action100m": "trusted"}


def export(ws, out: Path, format: str, apply_reviews: bool = False, min_tier: str | None = None) -> Path:
    try:
        fn = FORMATS[format]
    except KeyError:
        raise ValueError(f"unknown export format {format!r}; one of {', '.join(FORMATS)}") from None
    return fn(ws, Path(out), apply_reviews=apply_reviews, min_tier=min_tier or DEFAULT_MIN_TIER[format])
