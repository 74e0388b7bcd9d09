"""How well does the confidence map find known faults?

Per-segment AUROC of (1 - confidence) for injected faults, overall, per fault kind and per
signal family (ablation: the fusion re-run with one family switched off), on
- a no-media synthetic sample (>= 200 videos, seed 7; the fusion's constants were set on
  other seeds) -> ``auroc_synthetic``;
- the 5 real Action100M videos in ../shared/data/action100m/examples-public.parquet with
  faults injected by the same injector (no opinions exist for them) -> ``auroc_real``;
plus ``paraphrase_flag_rate``: the share of clean segments whose second opinion is a pure
paraphrase (no annotator mistake) that are tiered "review".

Usage: python benchmarks/audit_accuracy.py [--videos 200] [--workdir DIR]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from videoaudit import Workspace  # noqa: E402
from videoaudit.confidence import Calibration, FusionConfig, fuse  # noqa: E402
from videoaudit.confidence.tiers import tier  # noqa: E402
from videoaudit.evaluate import detection, read_truth  # noqa: E402
from videoaudit.formats.action100m import iter_release, write_release  # noqa: E402

REAL = Path(os.environ.get("VIDEOAUDIT_REAL_PARQUET") or
            Path(__file__).resolve().parents[1].parent / "shared" / "data" / "action100m" / "examples-public.parquet")
SYNTHETIC_SEED = 7
REAL_FAULT_SEED = 11
FAMILIES = ("lexical", "semantic", "temporal", "evidence", "consistency")


def refuse(ws: Workspace, config: FusionConfig):
    """The confidence map recomputed from the stored signals with another fusion config."""
    signals = ws.store.read("signals")
    calib = Calibration()
    calib.update(signals)
    return fuse(signals, ws.store.read("segments"), calib.stats(config.min_scale), config)["confidence"]


def ablation(ws: Workspace, truth: list[dict]) -> dict:
    base = FusionConfig()
    out = {}
    for fam in FAMILIES:
        cfg = FusionConfig()
        cfg.weights = {k: (0.0 if k.startswith(fam + ".") else v) for k, v in base.weights.items()}
        out[f"without_{fam}"] = detection(refuse(ws, cfg), truth)["auroc"]
        only = FusionConfig()
        only.weights = {k: (v if k.startswith(fam + ".") else 0.0) for k, v in base.weights.items()}
        out[f"only_{fam}"] = detection(refuse(ws, only), truth)["auroc"]
    return out


def paraphrase_flag_rate(ws: Workspace, truth: list[dict]) -> tuple[float | None, int]:
    """Share of pure paraphrases (clean segment, clean opinion) that the map sends to review."""
    faulted = {(t["video_id"], t["segment_id"]) for t in truth if t.get("type") == "fault"}
    mistaken_videos = {t["video_id"] for t in truth if t.get("type") == "annotator_mistake"}
    sig = ws.store.read("signals", where="signal = 'semantic.opinion' AND value IS NOT NULL",
                        columns=["video_id", "segment_id"])
    with_opinion = set(zip(sig.column("video_id").to_pylist(), sig.column("segment_id").to_pylist()))
    conf = ws.confidence_map()
    tiers = []
    for vid, sid, t in zip(*(conf.column(c).to_pylist() for c in ("video_id", "segment_id", "tier"))):
        if (vid, sid) in with_opinion and (vid, sid) not in faulted and vid not in mistaken_videos:
            tiers.append(t)
    return (float(np.mean([t == "review" for t in tiers])) if tiers else None), len(tiers)


def synthetic(workdir: Path, videos: int) -> dict:
    from videoaudit.sample import write_sample

    data = workdir / "synthetic"
    t0 = time.perf_counter()
    if not (data / "truth.jsonl").exists():
        write_sample(data, videos=videos, seed=SYNTHETIC_SEED, media=False)
    ws = Workspace(workdir / "ws-synthetic")
    ws.ingest(data / "annotations.parquet")
    ws.import_opinions(data / "opinions.jsonl", source="simulated-annotator")
    ws.run()
    truth = read_truth(data / "truth.jsonl")
    det = detection(ws.confidence_map(), truth)
    rate, n_para = paraphrase_flag_rate(ws, truth)
    return {"detection": det, "ablation": ablation(ws, truth), "paraphrase_flag_rate": rate,
            "paraphrase_segments": n_para, "seconds": time.perf_counter() - t0}


def real(workdir: Path) -> dict | None:
    from videoaudit.sample import inject_faults

    if not REAL.exists():
        return None
    t0 = time.perf_counter()
    rows = list(iter_release(REAL))
    faulty, truth = inject_faults(rows, seed=REAL_FAULT_SEED)
    path = workdir / "real-faulty.parquet"
    write_release(faulty, path)
    ws = Workspace(workdir / "ws-real")
    ws.ingest(path)
    ws.run()
    det = detection(ws.confidence_map(), truth)
    return {"detection": det, "ablation": ablation(ws, truth), "seconds": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=200)
    ap.add_argument("--workdir", type=Path, default=None, help="keep workspaces here (reruns reuse signals)")
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="va-accuracy-"))
    workdir.mkdir(parents=True, exist_ok=True)
    syn = synthetic(workdir, args.videos)
    rl = real(workdir)
    for name, res in (("synthetic", syn), ("real", rl)):
        if res is None:
            print(f"{name}: skipped (no data)")
            continue
        d = res["detection"]
        print(f"\n{name}: AUROC {d['auroc']:.3f} on {d['n_segments']} segments ({d['n_faulted']} faulted), "
              f"clean segments in review {d['clean_review_share']:.3f}, {res['seconds']:.0f} s")
        for k, v in d["per_fault"].items():
            print(f"  {k:28s} n={v['n']:4d}  AUROC {v['auroc']:.3f}  in review {v['review_share']:.2f}")
        print("  ablation: " + ", ".join(f"{k} {v:.3f}" for k, v in res["ablation"].items() if v is not None))
    print(f"\nparaphrase_flag_rate {syn['paraphrase_flag_rate']} over {syn['paraphrase_segments']} segments")
    out = {
        "auroc_synthetic": syn["detection"]["auroc"],
        "auroc_real": rl["detection"]["auroc"] if rl else None,
        "paraphrase_flag_rate": syn["paraphrase_flag_rate"],
        "per_fault_synthetic": {k: v["auroc"] for k, v in syn["detection"]["per_fault"].items()},
        "per_fault_real": {k: v["auroc"] for k, v in rl["detection"]["per_fault"].items()} if rl else None,
        "ablation_synthetic": syn["ablation"],
        "ablation_real": rl["ablation"] if rl else None,
        "videos_synthetic": args.videos,
        "clean_review_share_synthetic": syn["detection"]["clean_review_share"],
        "clean_review_share_real": rl["detection"]["clean_review_share"] if rl else None,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
