"""Peak memory of the exports that carry texts, on a workspace of big texts (issue 11).

Builds a workspace of ``--videos`` videos whose every text (10 child captions and a root, 4
GPT fields each, title, one transcript entry) is ``--chars`` long, audits it (signals +
confidence, hashing text model) and records one review decision; then runs
``videoaudit export --apply-reviews`` as jsonl, parquet and action100m in fresh subprocesses,
RSS sampled every 20 ms (psutil). ``base`` is a process that only imported videoaudit and opened
the workspace with one Lance scan (Lance's runtime costs ~90 MB once); figures are MB above it.
``--src OTHER/src`` measures another checkout too (e.g. the whole-table exports before streaming).

``--queue-rows N`` adds a map of N short rows (synthetic confidence rows, no texts) exported as
jsonl without reviews: what grows there is the review queue's sort keys (``queue_mb``).
``--fiftyone-videos N`` adds a workspace of N one-segment videos with a visual lens (a 2-D map and
``--fo-dim``-d vectors per video and per each of ``--fo-segments`` segments, random: memory only)
exported into a fresh FiftyOne dataset (``fiftyone_mb``; FiftyOne's database is another process).

Usage: python benchmarks/memory_exports.py [--videos 5] [--chars 1000000] [--queue-rows 0]
       [--fiftyone-videos 0] [--src label=PATH ...]
The last line printed is one JSON object: {"text_mb": .., "this": {"jsonl": .., ...}, "<label>": {...}}
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

BASE = ("import sys, videoaudit.cli, videoaudit.api, pyarrow.parquet\n"
        "from videoaudit.workspace import Store\n"
        "ds = Store(sys.argv[1], create=False).table('confidence').to_lance()\n"
        "list(ds.to_batches(columns=['video_id']))")


def build(work: Path, videos: int, chars: int) -> Path:
    from videoaudit.api import Workspace

    big = "word " * (chars // 5)
    segs = [{"id": "r", "start": 0, "end": 20, "summary_brief": "a cook " + big, "summary_detailed": big,
             "action_brief": "cook", "action_detailed": big, "actor": "a cook"}]
    segs += [{"id": f"c{i}", "parent": "r", "start": 2 * i, "end": 2 * i + 2, "summary_brief": big,
              "summary_detailed": big, "action_brief": "chop", "action_detailed": big, "actor": "a cook"}
             for i in range(10)]
    src = work / "big.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for v in range(videos):
            f.write(json.dumps({"video_id": f"v{v}", "title": big, "segments": segs,
                                "transcript": [{"start": 1, "text": big}]}) + "\n")
    ws = Workspace(work / "ws", text_model="hashing")
    ws.ingest(src, format="jsonl")
    ws.run(stages=["signals", "confidence"])
    q = ws.review_queue(1).select(["video_id", "segment_id"]).to_pylist()[0]
    ws.review(q["video_id"], q["segment_id"], verdict="fixed", field="actor", text="a baker")
    return ws.path


def build_queue(work: Path, rows: int) -> Path:
    """A workspace whose confidence map has ``rows`` short rows (20 segments a video), written directly."""
    import numpy as np
    import pyarrow as pa

    from videoaudit import schema as S
    from videoaudit.workspace import Store

    store, rng = Store(work / "ws-queue"), np.random.default_rng(0)
    n_videos = max(1, rows // 20)
    vids = [f"video{i:07d}" for i in range(n_videos)]
    store.append("videos", pa.Table.from_pylist([{"video_id": v} for v in vids], schema=S.VIDEOS))
    tiers = np.array(["trusted", "uncertain", "unverified", "review"])
    for lo in range(0, rows, 1 << 18):
        n = min(1 << 18, rows - lo)
        i = np.arange(lo, lo + n)
        cols = {
            "video_id": pa.array([vids[k // 20 % n_videos] for k in i]), "segment_id": pa.array([f"s{k % 20}" for k in i]),
            "level": pa.array(i % 5, pa.int16()), "start": pa.array((i % 20) * 2.0), "end": pa.array((i % 20) * 2.0 + 2),
            "confidence": pa.array(rng.random(n).round(3)), "tier": pa.array(tiers[rng.integers(0, 4, n)]),
            "risk": pa.array(rng.random(n)),
        }
        store.append("confidence", pa.table({f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in S.CONFIDENCE}))
    return store.root


def build_fiftyone(work: Path, videos: int, segments: int, dim: int) -> Path:
    """``videos`` one-segment videos, each with a per-video confidence, a visual-lens map row and
    random vectors for the video and ``segments`` segments (the embeddings table an export must not read whole)."""
    import lancedb
    import numpy as np
    import pyarrow as pa

    from videoaudit import schema as S
    from videoaudit.api import Workspace

    src, rng = work / "fo.jsonl", np.random.default_rng(0)
    with src.open("w", encoding="utf-8") as f:
        for v in range(videos):
            f.write(json.dumps({"video_id": f"v{v:06d}", "segments": [
                {"id": "r", "start": 0, "end": 10, "summary_brief": "a cook", "action_brief": "cook"}]}) + "\n")
    ws = Workspace(work / "ws-fo", text_model="hashing")
    ws.ingest(src, format="jsonl")
    vids = ws.video_ids()
    ws.store.replace("video_confidence", vids, pa.Table.from_pylist(
        [{"video_id": v, "confidence": 0.5, "tier": "uncertain", "n_segments": 1, "n_review": 0, "reasons": []}
         for v in vids], schema=S.VIDEO_CONFIDENCE), fresh=True)
    ws.store.replace("lens_videos", vids, pa.Table.from_pylist(
        [{"video_id": v, "lens": "visual", "backend": "random", "map_method": "umap", "map_x": float(rng.random()),
          "map_y": float(rng.random()), "uniqueness": 0.5, "uniqueness_pct": 0.5, "representativeness": 0.5,
          "near_duplicates": []} for v in vids], schema=S.LENS_VIDEOS), fresh=True)
    table = lancedb.connect(str(ws.path)).create_table("embeddings_visual", schema=S.embeddings_schema(dim))
    for lo in range(0, len(vids), 200):
        part = vids[lo:lo + 200]
        ids = [(v, s) for v in part for s in [None, *(f"s{k}" for k in range(segments))]]
        vec = rng.normal(size=(len(ids), dim)).astype(np.float32)
        table.add(pa.table({"video_id": [v for v, _ in ids], "segment_id": pa.array([s for _, s in ids], pa.string()),
                            "backend": ["random"] * len(ids),
                            "vector": pa.FixedSizeListArray.from_arrays(vec.ravel(), dim)}))
    return ws.path


#: a FiftyOne export in a child process with its own database folder
FO_EXPORT = ("import os, sys, tempfile\n"
             "h = tempfile.mkdtemp(prefix='va-memfo-')\n"
             "os.environ.update(FIFTYONE_DATABASE_VALIDATION='false', FIFTYONE_DATABASE_DIR=h + '/db',"
             " FIFTYONE_CONFIG_PATH=h + '/c.json', FIFTYONE_DO_NOT_TRACK='true')\n"
             "import uuid, fiftyone as fo\n"
             "from videoaudit.api import Workspace\n"
             "name = 'va-mem-' + uuid.uuid4().hex[:8]\n"
             "Workspace(sys.argv[1]).export_fiftyone(name)\n"
             "fo.delete_dataset(name)\n")


def peak_mb(cmd: list[str], env: dict) -> float:
    import psutil

    proc = psutil.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    if proc.returncode:
        raise RuntimeError(proc.stderr.read().decode(errors="replace")[-500:])
    return peak / 2**20


def measure(ws: Path, src: Path, out: Path, queue: Path | None = None, fo_ws: Path | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    base = peak_mb([sys.executable, "-c", BASE, str(ws)], env)
    res = {"base_mb": round(base)}
    for fmt in ("jsonl", "parquet", "action100m"):
        t0 = time.perf_counter()
        mb = peak_mb([sys.executable, "-m", "videoaudit.cli", "export", "-w", str(ws), "-o", str(out / f"x.{fmt}"),
                      "--format", fmt, "--apply-reviews"], env)
        res[fmt] = round(mb - base)
        res[f"{fmt}_seconds"] = round(time.perf_counter() - t0, 1)
    if queue is not None:
        base_q = peak_mb([sys.executable, "-c", BASE, str(queue)], env)
        t0 = time.perf_counter()
        mb = peak_mb([sys.executable, "-m", "videoaudit.cli", "export", "-w", str(queue), "-o", str(out / "q.jsonl"),
                      "--format", "jsonl"], env)
        res["queue"], res["queue_seconds"] = round(mb - base_q), round(time.perf_counter() - t0, 1)
    if fo_ws is not None:
        base_fo = peak_mb([sys.executable, "-c", BASE.replace("'confidence'", "'videos'"), str(fo_ws)], env)
        t0 = time.perf_counter()
        res["fiftyone"] = round(peak_mb([sys.executable, "-c", FO_EXPORT, str(fo_ws)], env) - base_fo)
        res["fiftyone_seconds"] = round(time.perf_counter() - t0, 1)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--videos", type=int, default=5)
    ap.add_argument("--chars", type=int, default=1_000_000)
    ap.add_argument("--src", nargs="*", default=[], help="label=PATH of another checkout's src to measure too")
    ap.add_argument("--queue-rows", type=int, default=0, help="rows of a second, text-free map (0: none)")
    ap.add_argument("--fiftyone-videos", type=int, default=0, help="videos of a FiftyOne export (0: none)")
    ap.add_argument("--fo-segments", type=int, default=30)
    ap.add_argument("--fo-dim", type=int, default=512)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="memory-exports-"))
    work.mkdir(parents=True, exist_ok=True)
    ws = work / "ws" if (work / "ws").exists() else build(work, args.videos, args.chars)
    queue = fo_ws = None
    if args.queue_rows:
        queue = work / "ws-queue" if (work / "ws-queue").exists() else build_queue(work, args.queue_rows)
    if args.fiftyone_videos:
        fo_ws = work / "ws-fo" if (work / "ws-fo").exists() else build_fiftyone(
            work, args.fiftyone_videos, args.fo_segments, args.fo_dim)
    text_mb = args.videos * (11 * 4 + 2) * args.chars / 2**20
    res = {"videos": args.videos, "chars": args.chars, "text_mb": round(text_mb), "queue_rows": args.queue_rows,
           "fiftyone_videos": args.fiftyone_videos, "fo_vectors_mb": round(
               args.fiftyone_videos * (args.fo_segments + 1) * args.fo_dim * 4 / 2**20),
           "this": measure(ws, ROOT / "src", work, queue, fo_ws)}
    for spec in args.src:
        label, path = spec.split("=", 1)
        res[label] = measure(ws, Path(path), work, queue, fo_ws)
    for label in ("this", *(s.split("=", 1)[0] for s in args.src)):
        print(f"{label}: MB above base: " + ", ".join(f"{k} {res[label][k]}" for k in
                                                      ("jsonl", "parquet", "action100m", "queue", "fiftyone")
                                                      if k in res[label]))
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
