"""Peak memory of `videoaudit run` on a workspace holding many imported opinions (issue 11).

The sample dataset (``videoaudit.sample``, no media) gets ``--opinions`` simulated events spread
evenly over its videos (random spans inside each video, texts drawn from the sample annotator's
own events), imported with ``import_opinions``; then ``Workspace.run`` (hashing text model, no
pixel lenses, transcript lens hashing, PCA maps) runs in a FRESH subprocess whose RSS is sampled
every 50 ms with psutil (children included), and VmHWM is read at the end. The stage that was
running at the peak is read from the child's own progress lines.

Usage: python benchmarks/memory_opinions.py [--opinions 100000] [--videos 4] [--timeout 900]
The last line printed is one JSON object:
{"opinions": N, "videos": V, "peak_rss_mb": .., "peak_stage": .., "seconds": .., "stage_peaks_mb": {..}, "rc": 0}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CHILD = """
import json, sys, time
from videoaudit.api import Workspace
from videoaudit.pipeline import engine

ws = Workspace(sys.argv[1], text_model="hashing")
_run = engine.LocalEngine.run

def run(self, stage, *a, **k):  # the stage that is running, for the parent's RSS samples
    print("stage", stage.name, flush=True)
    return _run(self, stage, *a, **k)

engine.LocalEngine.run = run
print("stage start", flush=True)
t0 = time.perf_counter()
ws.run(visual="none", grounding="none", transcript="hashing", map_method="pca")
print("stage done", round(time.perf_counter() - t0, 1), flush=True)
"""


def write_opinions(path: Path, sample_opinions: Path, durations: dict[str, float], n: int, seed: int) -> None:
    """``n`` event opinions spread evenly over the videos (texts from the sample annotator's events)."""
    rng = random.Random(seed)
    texts = [r["text"] for r in map(json.loads, sample_opinions.read_text(encoding="utf-8").splitlines())
             if r.get("kind") == "event" and r.get("text")]
    vids = sorted(durations)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            vid = vids[i % len(vids)]
            d = float(durations[vid])
            start = rng.uniform(0.0, max(0.0, d - 1.0))
            end = min(d, start + rng.uniform(0.5, 8.0))
            f.write(json.dumps({"video_id": vid, "source": "bulk", "kind": "event", "start": round(start, 2),
                                "end": round(end, 2), "text": rng.choice(texts)}) + "\n")


def prepare(work: Path, videos: int, n: int, seed: int) -> Path:
    from videoaudit.api import Workspace
    from videoaudit.sample import write_sample

    info = write_sample(work / "sample", videos=videos, seed=seed, media=False)
    ws = Workspace(work / "ws", text_model="hashing")
    ws.ingest(info["paths"]["annotations"])
    v = ws.store.read("videos", columns=["video_id", "duration"])
    durations = dict(zip(v.column("video_id").to_pylist(), v.column("duration").to_pylist()))
    ops = work / "opinions.jsonl"
    write_opinions(ops, Path(info["paths"]["opinions"]), durations, n, seed)
    res = ws.import_opinions(ops, source="bulk")
    print(f"imported {res['imported']} opinions on {res['videos']} videos ({res['errors']} rejected)", flush=True)
    return ws.path


def measure(ws: Path, timeout: float) -> dict:
    """Run the pipeline in a fresh child; RSS (child + its children) sampled every 50 ms."""
    import threading

    import psutil

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = psutil.Popen([sys.executable, "-c", CHILD, str(ws)], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True, env=env)
    state = {"stage": "imports", "lines": []}

    def reader():
        for line in proc.stdout:
            state["lines"].append(line.rstrip())
            if line.startswith("stage "):
                state["stage"] = line.split()[1]

    threading.Thread(target=reader, daemon=True).start()
    peaks: dict[str, float] = {}
    peak, peak_stage, t0 = 0.0, None, time.perf_counter()
    while proc.poll() is None:
        if time.perf_counter() - t0 > timeout:
            proc.kill()
            break
        try:
            rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
        except psutil.NoSuchProcess:
            break
        mb = rss / 2**20
        peaks[state["stage"]] = max(peaks.get(state["stage"], 0.0), mb)
        if mb > peak:
            peak, peak_stage = mb, state["stage"]
        time.sleep(0.05)
    proc.wait()
    return {"peak_rss_mb": round(peak, 1), "peak_stage": peak_stage, "rc": proc.returncode,
            "seconds": round(time.perf_counter() - t0, 1), "timed_out": time.perf_counter() - t0 > timeout,
            "stage_peaks_mb": {k: round(v, 1) for k, v in peaks.items()}, "tail": state["lines"][-5:]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--opinions", type=int, default=100_000)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="memory-opinions-"))
    work.mkdir(parents=True, exist_ok=True)
    ws = prepare(work, args.videos, args.opinions, args.seed)
    res = {"opinions": args.opinions, "videos": args.videos, **measure(ws, args.timeout)}
    print(f"peak RSS {res['peak_rss_mb']:.0f} MB in {res['peak_stage']} ({res['seconds']} s, rc {res['rc']})")
    if args.workdir is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(res))
    return 0 if res["rc"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
