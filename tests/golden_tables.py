"""The golden outputs: every table of two reference runs, to diff a refactor against.

Two runs: the seed-7 benchmark sample (with media, so pixels, lenses and lens signals run)
through ingest -> import opinions -> run, and the demo (12 videos, seed 0, the cascade).
Each table is canonicalised (wall-clock columns dropped, rows sorted) and stored as parquet
under ``tests/golden/``, with the AUROCs and the demo's counts in ``summary.json``.

A change that is MEANT to change outputs regenerates them, and its commit says why:

    python tests/golden_tables.py --write
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden"
SEED, VIDEOS = 7, 16
#: columns that hold wall-clock times or run-local paths, not results
VOLATILE = {"finished_at", "at", "media_path", "reviewed_at"}
#: the demo's summary keys that are results (not timings)
DEMO_KEYS = ("videos", "segments audited", "trusted", "uncertain", "review", "opinions stored",
             "model calls spent", "model calls avoided", "verdicts decided", "faults injected", "fault AUROC",
             "errors")


#: the text model the golden files were made with (the default before minilm-static, docs/performance.md)
GOLDEN_TEXT_MODEL = "minilm"


def _table_names(ws) -> list[str]:
    res = ws.store.db.list_tables()
    return sorted(n for n in getattr(res, "tables", res) if n != "text_cache")  # a cache, not an output


#: a run's temporary directory, which shows up inside recorded settings (e.g. a replayed file's path)
TMP_DIR = r"/tmp/[^/\"]+/"


def canonical(t: pa.Table, work: Path | None = None) -> pa.Table:
    """Drop volatile columns, blank temporary paths (``work``: the run's own folder) and sort rows
    by every sortable column, so neither row order nor where the run happened matters."""
    t = t.drop_columns([c for c in t.column_names if c in VOLATILE])
    for i, f in enumerate(t.schema):
        if pa.types.is_string(f.type):
            col = t.column(i)
            if work is not None:
                col = pc.replace_substring(col, str(work).rstrip("/") + "/", "<tmp>/")
            t = t.set_column(i, f.name, pc.replace_substring_regex(col, TMP_DIR, "<tmp>/"))
    keys = [(c, "ascending") for c, f in zip(t.column_names, t.schema)
            if pa.types.is_string(f.type) or pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
            or pa.types.is_boolean(f.type)]
    if keys and t.num_rows:
        t = t.take(pc.sort_indices(t, sort_keys=keys))
    return t


def run_reference(work: Path) -> tuple[dict[str, pa.Table], dict]:
    """Both reference runs from scratch in ``work``: {"<run>.<table>": table}, summary."""
    from videoaudit import Workspace
    from videoaudit.demo import run_demo
    from videoaudit.evaluate import detection, read_truth
    from videoaudit.sample import write_sample

    tables: dict[str, pa.Table] = {}
    info = write_sample(work / "seed7", videos=VIDEOS, seed=SEED, media=True)
    ws = Workspace(work / "seed7-ws", text_model=GOLDEN_TEXT_MODEL)
    ws.ingest(info["paths"]["annotations"], format="action100m", media=info["paths"]["videos"])
    ws.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
    ws.run()
    for name in _table_names(ws):
        tables[f"seed7.{name}"] = canonical(ws.store.read(name), work)
    summary = {"seed7_auroc": detection(ws.confidence_map(), read_truth(info["paths"]["truth"]))["auroc"]}

    demo = run_demo(work / "demo", videos=12, seed=0, media=True, text_model=GOLDEN_TEXT_MODEL)
    dws = Workspace(work / "demo" / "workspace")
    for name in _table_names(dws):
        tables[f"demo.{name}"] = canonical(dws.store.read(name), work)
    summary["demo"] = {k: demo["summary"][k] for k in DEMO_KEYS}
    return tables, summary


def write(tables: dict[str, pa.Table], summary: dict) -> None:
    GOLDEN.mkdir(exist_ok=True)
    for old in GOLDEN.glob("*.parquet"):
        old.unlink()
    for name, t in tables.items():
        pq.write_table(t, GOLDEN / f"{name}.parquet", compression="zstd")
    (GOLDEN / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")


def _close(a, b, tol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return bool(np.isclose(float(a), float(b), atol=tol, rtol=0, equal_nan=True))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    return a == b


def diff(name: str, got: pa.Table, want: pa.Table, tol: float = 1e-5, show: int = 3) -> list[str]:
    """Human-readable differences between two canonical tables (empty = equal)."""
    if got.column_names != want.column_names:
        return [f"{name}: columns {got.column_names} != golden {want.column_names}"]
    if got.num_rows != want.num_rows:
        return [f"{name}: {got.num_rows} rows != golden {want.num_rows}"]
    out = []
    for col in got.column_names:
        g, w = got.column(col).to_pylist(), want.column(col).to_pylist()
        bad = [i for i, (x, y) in enumerate(zip(g, w)) if not _close(x, y, tol)]
        if bad:
            out.append(f"{name}.{col}: {len(bad)} of {len(g)} rows differ, e.g. row {bad[0]}: "
                       f"{str(g[bad[0]])[:160]!r} != golden {str(w[bad[0]])[:160]!r}")
    return out[:show * 4]


def compare(tables: dict[str, pa.Table], summary: dict) -> list[str]:
    problems = []
    want_names = sorted(p.stem for p in GOLDEN.glob("*.parquet"))
    if sorted(tables) != want_names:
        problems.append(f"tables {sorted(set(tables) ^ set(want_names))} differ in presence")
    for name in sorted(set(tables) & set(want_names)):
        problems += diff(name, tables[name], canonical(pq.read_table(GOLDEN / f"{name}.parquet")))
    want_summary = json.loads((GOLDEN / "summary.json").read_text())
    if not _close(summary, want_summary, 1e-9):
        problems.append(f"summary {summary} != golden {want_summary}")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="regenerate tests/golden/ from the current code")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tables, summary = run_reference(Path(tmp))
    if args.write:
        write(tables, summary)
        print(f"wrote {len(tables)} tables to {GOLDEN}")
        return 0
    problems = compare(tables, summary)
    print("\n".join(problems) or "identical")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
