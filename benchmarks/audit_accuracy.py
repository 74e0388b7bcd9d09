"""How well does the confidence map find known faults?

Per-segment AUROC of (1 - confidence) for injected faults, overall, per fault kind and per
signal family (ablation: the fusion re-run with one family switched off), on
- a no-media synthetic sample (>= 200 videos, seed 7; the fusion's constants were set on
  other seeds) -> ``auroc_synthetic``;
- the 5 real Action100M videos in ../shared/data/action100m/examples-public.parquet with
  faults injected by the same injector (no opinions exist for them) -> ``auroc_real``;
plus ``paraphrase_flag_rate``: the share of clean segments whose second opinion is a pure
paraphrase (no annotator mistake) that are tiered "review";
- a synthetic sample WITH media (seed 7, ``--media-videos``, default 60: rendering and
  decoding 200 videos takes minutes on 2 cores; ``--media-videos 200`` for the full size,
  0 to skip), where the visual lens exists, so the lens signals (``neighbours.visual``)
  are in the fusion and in its ablation -> ``auroc_synthetic_media``.

Usage: python benchmarks/audit_accuracy.py [--videos 200] [--media-videos 60] [--workdir DIR]
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
import pyarrow as pa  # noqa: E402

from videoaudit import Workspace  # noqa: E402
from videoaudit.confidence import Calibration, FusionConfig, fuse  # noqa: E402
from videoaudit.evaluate import detection, read_truth  # noqa: E402
from videoaudit.formats.action100m import iter_release, write_release  # noqa: E402

REAL = Path(os.environ.get("VIDEOAUDIT_REAL_PARQUET") or
            Path(__file__).resolve().parents[1].parent / "shared" / "data" / "action100m" / "examples-public.parquet")
SYNTHETIC_SEED = 7
REAL_FAULT_SEED = 11
from videoaudit.signals.base import FAMILIES  # noqa: E402


def refuse(ws: Workspace, config: FusionConfig):
    """The confidence map recomputed from the stored signals with another fusion config."""
    signals = pa.concat_tables([ws.store.read("signals"), ws.store.read("lens_signals")])
    calib = Calibration()
    calib.update(signals)
    return fuse(signals, ws.store.read("segments"), calib.stats(config.min_scale), config)["confidence"]


def ablation(ws: Workspace, truth: list[dict]) -> dict:
    base = FusionConfig()
    out = {}
    for fam in FAMILIES:
        if not any(k.startswith(fam + ".") for k in base.weights):
            continue
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


def ensure_visual_vectors(ws: Workspace) -> str:
    """The visual lens's vectors: the pixels stage's when this build has it, else computed here.

    The fallback is what the pixels stage stores (weight-free appearance lens, a vector per
    video and per GPT segment = the decoded frames inside its span, the 2 nearest frames
    when fewer), from ONE decode per video; it exists so the ablation does not depend on
    another branch being merged.
    """
    from videoaudit.lens_signals import read_vectors

    if read_vectors(ws.store, "visual") is not None:
        return "already stored (pixels stage or an earlier run of this benchmark)"
    from videoaudit import schema as S
    from videoaudit.media import FrameSampler
    from videoaudit.models.pixels import AppearanceEmbedder, embed_video

    emb, sampler, rows = AppearanceEmbedder(), FrameSampler(), []
    segs: dict[str, list[dict]] = {}
    for s in ws.store.read("segments", columns=["video_id", "segment_id", "start", "end", "has_gpt"]).to_pylist():
        if s["has_gpt"]:
            segs.setdefault(s["video_id"], []).append(s)
    for v in ws.store.read("videos", where="media_path IS NOT NULL").to_pylist():
        vecs, frames = embed_video(sampler, v["media_path"], [emb], duration=v["duration"])
        fr = frames[emb.name]
        rows.append({"video_id": v["video_id"], "segment_id": None, "backend": "appearance",
                     "vector": vecs[emb.name].tolist()})
        for s in segs.get(v["video_id"], []):
            inside = [f for f in fr if s["start"] <= f.t <= s["end"]]
            if len(inside) < 2:
                inside = sorted(fr, key=lambda f: abs(f.t - (s["start"] + s["end"]) / 2))[:2]
            rows.append({"video_id": v["video_id"], "segment_id": s["segment_id"], "backend": "appearance",
                         "vector": emb.embed_frames(inside).tolist()})
    ws.store.db.create_table("embeddings_visual", pa.Table.from_pylist(rows, schema=S.embeddings_schema(emb.dim)),
                             mode="overwrite")
    return "computed by the benchmark (appearance, one decode per video)"


def synthetic_media(workdir: Path, videos: int, seed: int = SYNTHETIC_SEED) -> dict:
    from videoaudit.sample import write_sample

    data = workdir / f"synthetic-media-{seed}-{videos}"
    t0 = time.perf_counter()
    if not (data / "truth.jsonl").exists():
        write_sample(data, videos=videos, seed=seed, media=True)
    t_sample = time.perf_counter() - t0
    ws = Workspace(workdir / f"ws-synthetic-media-{seed}-{videos}")
    ws.ingest(data / "annotations.parquet", media=data / "videos")
    ws.import_opinions(data / "opinions.jsonl", source="simulated-annotator")
    ws.run()
    t1 = time.perf_counter()
    source = ensure_visual_vectors(ws)
    t_vectors = time.perf_counter() - t1
    t2 = time.perf_counter()
    reports = ws.run()
    lens_rep = reports.get("lens_signals")
    t_lens = time.perf_counter() - t2
    truth = read_truth(data / "truth.jsonl")
    det = detection(ws.confidence_map(), truth)
    nb = ws.store.read("lens_signals", where="signal = 'neighbours.visual'", columns=["value"]).column("value")
    only = FusionConfig()
    only.weights = {k: (v if k.startswith("neighbours.") else 0.0) for k, v in only.weights.items()}
    only_nb = detection(refuse(ws, only), truth)
    return {"detection": det, "ablation": ablation(ws, truth), "seconds": time.perf_counter() - t0,
            "only_neighbours_per_fault": {k: v["auroc"] for k, v in only_nb["per_fault"].items()},
            "videos": videos, "vectors": source, "seconds_sample": t_sample, "seconds_vectors": t_vectors,
            "seconds_lens_signals_and_confidence": t_lens,
            "lens_signals_done": lens_rep.done if lens_rep else 0,
            "neighbours_rows": len(nb), "neighbours_null": nb.null_count}


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
    ap.add_argument("--media-videos", type=int, default=60,
                    help="size of the with-media sample for the lens signals' ablation (0 = skip; 200 = full size)")
    ap.add_argument("--skip-no-media", action="store_true", help="only the with-media run")
    ap.add_argument("--workdir", type=Path, default=None, help="keep workspaces here (reruns reuse signals)")
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="va-accuracy-"))
    workdir.mkdir(parents=True, exist_ok=True)
    syn = None if args.skip_no_media else synthetic(workdir, args.videos)
    rl = None if args.skip_no_media else real(workdir)
    med = synthetic_media(workdir, args.media_videos) if args.media_videos > 0 else None
    for name, res in (("synthetic", syn), ("real", rl), ("synthetic with media", med)):
        if res is None:
            print(f"{name}: skipped (no data)")
            continue
        d = res["detection"]
        print(f"\n{name}: AUROC {d['auroc']:.3f} on {d['n_segments']} segments ({d['n_faulted']} faulted), "
              f"clean segments in review {d['clean_review_share']:.3f}, {res['seconds']:.0f} s")
        for k, v in d["per_fault"].items():
            print(f"  {k:28s} n={v['n']:4d}  AUROC {v['auroc']:.3f}  in review {v['review_share']:.2f}")
        print("  ablation: " + ", ".join(f"{k} {v:.3f}" for k, v in res["ablation"].items() if v is not None))
    if med:
        print(f"  media: {med['videos']} videos, vectors {med['vectors']} in {med['seconds_vectors']:.0f} s, "
              f"lens signals + confidence {med['seconds_lens_signals_and_confidence']:.0f} s, "
              f"neighbours.visual rows {med['neighbours_rows']} ({med['neighbours_null']} null)")
    media_out = {
        "auroc_synthetic_media": med["detection"]["auroc"] if med else None,
        "videos_synthetic_media": med["videos"] if med else 0,
        "per_fault_synthetic_media": {k: v["auroc"] for k, v in med["detection"]["per_fault"].items()} if med else None,
        "ablation_synthetic_media": med["ablation"] if med else None,
        "neighbours_effect_synthetic_media": (med["detection"]["auroc"] - med["ablation"]["without_neighbours"])
        if med and med["ablation"].get("without_neighbours") is not None else None,
        "clean_review_share_synthetic_media": med["detection"]["clean_review_share"] if med else None,
        "only_neighbours_per_fault_synthetic_media": med["only_neighbours_per_fault"] if med else None,
    }
    if syn is None:
        print(json.dumps(media_out))
        return
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
        **media_out,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
