"""Peak memory of the exports that carry texts, on a workspace of big texts (issue 11).

Builds a workspace of ``--videos`` videos whose every text (10 child captions and a root, 4
GPT fields each, title, one transcript entry) is ``--chars`` long, audits it (signals +
confidence, hashing text model) and records one review decision; then runs
``videoaudit export --apply-reviews`` as jsonl, parquet and action100m in fresh subprocesses,
RSS sampled every 20 ms (psutil). ``base`` is a process that only imported videoaudit and opened
the workspace with one Lance scan (Lance's runtime costs ~90 MB once); figures are MB above it.
``--src OTHER/src`` measures another checkout too (e.g. the whole-table exports before streaming).

Usage: python benchmarks/memory_exports.py [--videos 5] [--chars 1000000] [--src label=PATH ...]
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


def measure(ws: Path, src: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    base = peak_mb([sys.executable, "-c", BASE, str(ws)], env)
    res = {"base_mb": round(base)}
    for fmt in ("jsonl", "parquet", "action100m"):
        t0 = time.perf_counter()
        mb = peak_mb([sys.executable, "-m", "videoaudit.cli", "export", "-w", str(ws), "-o", str(out / f"x.{fmt}"),
                      "--format", fmt, "--apply-reviews"], env)
        res[fmt] = round(mb - base)
        res[f"{fmt}_seconds"] = round(time.perf_counter() - t0, 1)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--videos", type=int, default=5)
    ap.add_argument("--chars", type=int, default=1_000_000)
    ap.add_argument("--src", nargs="*", default=[], help="label=PATH of another checkout's src to measure too")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="memory-exports-"))
    work.mkdir(parents=True, exist_ok=True)
    ws = work / "ws" if (work / "ws").exists() else build(work, args.videos, args.chars)
    text_mb = args.videos * (11 * 4 + 2) * args.chars / 2**20
    res = {"videos": args.videos, "chars": args.chars, "text_mb": round(text_mb), "this": measure(ws, ROOT / "src", work)}
    for spec in args.src:
        label, path = spec.split("=", 1)
        res[label] = measure(ws, Path(path), work)
    for label in ("this", *(s.split("=", 1)[0] for s in args.src)):
        print(f"{label}: MB above base: " + ", ".join(f"{k} {res[label][k]}" for k in ("jsonl", "parquet", "action100m")))
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
