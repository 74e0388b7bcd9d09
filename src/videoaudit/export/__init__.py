"""Exports of the confidence map: jsonl, parquet, action100m (trusted annotations only)."""

from __future__ import annotations

from pathlib import Path

from .action100m import export_action100m
from .records import export_jsonl, export_parquet

FORMATS = {"jsonl": export_jsonl, "parquet": export_parquet, "action100m": export_action100m}


def export(ws, out: Path, format: str) -> Path:
    try:
        fn = FORMATS[format]
    except KeyError:
        raise ValueError(f"unknown export format {format!r}; one of {', '.join(FORMATS)}") from None
    return fn(ws, Path(out))
