"""Learning curve of the review loop: AUROC on the undecided segments after N decisions.

The data is the real-data benchmark of ``benchmarks/audit_accuracy.py``: the 5 real
Action100M videos with faults injected by the sample's injector (seed 11), no opinions.
A simulated reviewer answers with the injected truth (``wrong`` for a faulted segment,
``ok`` otherwise), through the product's own path: ``ws.import_reviews`` then
``ws.run(stages=("confidence",))``, which refits (review/learn.py) and re-tiers.

Two ways to choose what to decide, N = 0, 25, 50, 100, 200 decisions in all:
- ``queue``: as a user works, the top of the current review queue (lowest confidence first,
  undecided segments only), in batches up to each N, re-running in between;
- ``random``: the same number of segments drawn uniformly (mean over ``--random-seeds``).
Both are scored by AUROC of (1 - confidence) on the segments still undecided, next to the
fusion's own AUROC on the same segments (``prior``: what the map said before any refit),
so the effect of learning is not confused with removing the decided segments.

``--faults`` chooses the injected kinds (sample/faults.py's families): ``existing`` (the
default) are the kinds the label-free fit (confidence/fit.py) is itself fitted on, so human
decisions can add little there; ``fine`` (realistic one-word errors: a swapped colour, number,
object, verb or gender) and ``unfamiliar`` are kinds it never saw, which is where a review loop
has something to teach.

``--data synthetic`` runs the same on a no-media synthetic sample (seed 3 by default): the
development data on which the refit's constants were chosen; the real data never was.

Usage: python benchmarks/review_curve.py [--data real|synthetic] [--workdir DIR]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from videoaudit import Workspace  # noqa: E402
from videoaudit.evaluate import auroc, fault_labels, read_truth  # noqa: E402
from videoaudit.formats.action100m import iter_release, write_release  # noqa: E402
from videoaudit.signal_values import FUSED_KEY, parse_signals  # noqa: E402

REAL = Path(os.environ.get("VIDEOAUDIT_REAL_PARQUET") or
            Path(__file__).resolve().parents[1].parent / "shared" / "data" / "action100m" / "examples-public.parquet")
REAL_FAULT_SEED = 11
STEPS = (0, 25, 50, 100, 200)


def audited(workdir: Path, data: str, videos: int, seed: int, faults: str) -> tuple[Path, dict]:
    """An audited workspace (signals + confidence; no lenses needed) and its fault truth."""
    from videoaudit.sample import inject_faults
    from videoaudit.sample.faults import FAMILIES

    ws_dir = workdir / f"ws-{data}-{faults}"
    kinds = None if faults == "existing" else FAMILIES[faults]
    if data == "real":
        faulty, truth = inject_faults(list(iter_release(REAL)), seed=REAL_FAULT_SEED, kinds=kinds)
        src = workdir / f"real-faulty-{faults}.parquet"
        write_release(faulty, src)
    else:
        from videoaudit.sample import write_sample

        info = write_sample(workdir / f"synthetic-{seed}-{faults}", videos=videos, seed=seed, media=False,
                            fault_kinds=kinds)
        src, truth = info["paths"]["annotations"], read_truth(info["paths"]["truth"])
    if not (ws_dir / "done").exists():
        shutil.rmtree(ws_dir, ignore_errors=True)
        ws = Workspace(ws_dir)
        ws.ingest(src)
        ws.run(stages=("transcript", "signals", "lens_signals", "confidence"))
        (ws_dir / "done").write_text("ok")
    return ws_dir, fault_labels(truth)


def scores(ws: Workspace, faults: dict, decided: set) -> dict:
    """AUROC of the current map and of the fusion's own values, on the undecided segments."""
    conf = ws.confidence_map().to_pylist()
    rows = [r for r in conf if (r["video_id"], r["segment_id"]) not in decided]
    y = [(r["video_id"], r["segment_id"]) in faults for r in rows]
    now = [1 - r["confidence"] for r in rows]
    prior = [1 - (parse_signals(r["signals"]).get(FUSED_KEY) or r["confidence"]) for r in rows]
    return {"auroc": auroc(now, y), "prior": auroc(prior, y), "undecided": len(rows), "faulted": int(sum(y))}


def decide(ws: Workspace, keys: list, faults: dict, path: Path) -> None:
    with path.open("w") as f:
        for vid, sid in keys:
            f.write(json.dumps({"video_id": vid, "segment_id": sid,
                                "verdict": "wrong" if (vid, sid) in faults else "ok"}) + "\n")
    ws.import_reviews(path, reviewer="truth")
    ws.run(stages=("confidence",))


def curve(base: Path, faults: dict, strategy: str, seed: int, workdir: Path) -> list[dict]:
    ws_dir = workdir / f"curve-{strategy}-{seed}"
    shutil.rmtree(ws_dir, ignore_errors=True)
    shutil.copytree(base, ws_dir)
    ws = Workspace(ws_dir)
    rng = np.random.default_rng(seed)
    all_keys = [(r["video_id"], r["segment_id"]) for r in ws.confidence_map().select(
        ["video_id", "segment_id"]).to_pylist()]
    order = [all_keys[i] for i in rng.permutation(len(all_keys))]
    decided: list = []
    out = []
    for n in STEPS:
        want = n - len(decided)
        if want > 0:
            done = set(decided)
            if strategy == "queue":
                q = ws.review_queue().select(["video_id", "segment_id", "tier"]).to_pylist()
                batch = [(r["video_id"], r["segment_id"]) for r in q
                         if (r["video_id"], r["segment_id"]) not in done][:want]
            else:
                batch = [k for k in order if k not in done][:want]
            decided += batch
            decide(ws, batch, faults, ws_dir / f"decisions-{n}.jsonl")
        rec = ws.last_learning or {}
        s = scores(ws, faults, set(decided))
        out.append({"decisions": len(decided), **s, "wrong_decided": sum(k in faults for k in decided),
                    "refitted": bool(rec.get("fitted"))})
    shutil.rmtree(ws_dir, ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", choices=("real", "synthetic"), default="real")
    ap.add_argument("--videos", type=int, default=30, help="synthetic: videos in the sample")
    ap.add_argument("--seed", type=int, default=3, help="synthetic: the sample's seed")
    ap.add_argument("--faults", choices=("existing", "fine", "unfamiliar"), default="existing")
    ap.add_argument("--random-seeds", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    if args.data == "real" and not REAL.exists():
        print(json.dumps({"error": f"{REAL} not found"}))
        return 1
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="va-review-curve-"))
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    base, faults = audited(workdir, args.data, args.videos, args.seed, args.faults)
    queue = curve(base, faults, "queue", 0, workdir)
    randoms = [curve(base, faults, "random", s, workdir) for s in range(args.random_seeds)]
    print(f"{args.data}, {args.faults} faults: {queue[0]['undecided']} audited segments, {queue[0]['faulted']} faulted")
    print(f"{'N':>4} {'queue':>7} {'(prior)':>8} {'wrong':>6} {'random':>7} {'(prior)':>8} {'wrong':>6}")
    rand = []
    for i, q in enumerate(queue):
        r_auc = [r[i]["auroc"] for r in randoms if r[i]["auroc"] is not None]
        r_pri = [r[i]["prior"] for r in randoms if r[i]["prior"] is not None]
        r = {"decisions": q["decisions"], "auroc": float(np.mean(r_auc)), "prior": float(np.mean(r_pri)),
             "wrong_decided": float(np.mean([x[i]["wrong_decided"] for x in randoms])),
             "refitted_share": float(np.mean([x[i]["refitted"] for x in randoms]))}
        rand.append(r)
        print(f"{q['decisions']:>4} {q['auroc']:>7.3f} {q['prior']:>8.3f} {q['wrong_decided']:>6} "
              f"{r['auroc']:>7.3f} {r['prior']:>8.3f} {r['wrong_decided']:>6.1f}")
    at50 = STEPS.index(50)
    out = {
        "data": args.data, "faults": args.faults, "segments": queue[0]["undecided"], "faulted": queue[0]["faulted"],
        "steps": list(STEPS),
        "auroc_queue": [q["auroc"] for q in queue], "prior_queue": [q["prior"] for q in queue],
        "wrong_decided_queue": [q["wrong_decided"] for q in queue], "refitted_queue": [q["refitted"] for q in queue],
        "auroc_random": [r["auroc"] for r in rand], "prior_random": [r["prior"] for r in rand],
        "random_seeds": args.random_seeds,
        "gain_queue_50": queue[at50]["auroc"] - queue[0]["auroc"],
        "gain_queue_50_vs_prior_same_segments": queue[at50]["auroc"] - queue[at50]["prior"],
        "queue_minus_random_50": queue[at50]["auroc"] - rand[at50]["auroc"],
        "target_met": bool(queue[at50]["auroc"] - queue[0]["auroc"] >= 0.05
                           and queue[at50]["auroc"] > rand[at50]["auroc"]),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
