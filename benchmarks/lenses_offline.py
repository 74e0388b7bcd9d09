"""Benchmark: the weight-free pixel lenses (appearance, motion) on the rendered sample dataset.

Run:  python benchmarks/lenses_offline.py [--videos 60] [--seed 0] [--sample DIR]
Import: sys.path.insert(0, "benchmarks"); from lenses_offline import measure; measure() -> dict

Writes write_sample(videos, seed, media=True) to a temporary folder (or reuses ``--sample DIR``
if it already holds that sample's videos), then for every video makes ONE FrameSampler.sample()
call carrying both lenses' requests, and embeds.  Printed per lens: embedding seconds per video
(pixels -> vector, decode excluded); the shared decode time is reported once.  kNN purity is
leave-one-out cosine k=3, normalised so that 1.0 = every neighbour that could share the
item's label does (videoaudit.models.pixels.knn_purity); labels: spec "category" for the
visual lens, spec "motion" for the grounding lens.

Caveat printed with the numbers: in this synthetic sample each category has one palette, one
texture and one camera motion, so category is trivially separable by colour and motion is
confounded with texture (only "bounce" is shared, by two categories with different textures).

The last printed line is one JSON object with keys:
  videos, decode_seconds_per_video, decodes_per_video,
  seconds_per_video_visual, seconds_per_video_grounding,
  visual_knn_purity, grounding_knn_purity (+ chance levels and a per-motion breakdown).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

try:
    from videoaudit.media.frames import FrameSampler
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    from videoaudit.media.frames import FrameSampler

from videoaudit.models import registry
from videoaudit.models import pixels  # noqa: F401  (registers the lenses)
from videoaudit.models.pixels import knn_purity
from videoaudit.sample import generate_rows, write_sample


def measure(videos: int = 60, seed: int = 0, sample_dir: str | None = None, k: int = 3) -> dict:
    rows = generate_rows(videos, seed)
    tmp = None
    if sample_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="lenses-bench-")
        sample_dir = tmp.name
    vdir = Path(sample_dir) / "videos"
    if not all((vdir / f"{r['video_uid']}.mp4").exists() for r in rows):
        t = time.perf_counter()
        write_sample(Path(sample_dir), videos=videos, seed=seed, media=True)
        print(f"rendered {videos} videos in {time.perf_counter() - t:.1f} s", flush=True)
    try:
        visual = registry.get("visual", "appearance")
        grounding = registry.get("grounding", "motion")
        lenses = {"visual": visual, "grounding": grounding}
        sampler = FrameSampler()
        vecs = {role: [] for role in lenses}
        secs = {role: 0.0 for role in lenses}
        decode = 0.0
        nframes = {role: 0 for role in lenses}
        for r in rows:
            dur = r["_spec"]["duration"]
            requests = [lens.frame_request(dur) for lens in lenses.values()]
            t = time.perf_counter()
            frames = sampler.sample(vdir / f"{r['video_uid']}.mp4", requests)
            decode += time.perf_counter() - t
            for role, lens in lenses.items():
                t = time.perf_counter()
                vecs[role].append(lens.embed_frames(frames[lens.name]))
                secs[role] += time.perf_counter() - t
                nframes[role] += len(frames[lens.name])
        n = len(rows)
        cats = [r["_spec"]["category"] for r in rows]
        motions = [r["_spec"]["motion"] for r in rows]
        V = np.stack(vecs["visual"])
        G = np.stack(vecs["grounding"])
        vis = knn_purity(V, cats, k=k)
        gro = knn_purity(G, motions, k=k)
        per_motion = {}
        for m in sorted(set(motions)):
            idx = [i for i, x in enumerate(motions) if x == m]
            sim = G @ G.T
            np.fill_diagonal(sim, -np.inf)
            same = [np.mean([motions[j] == m for j in np.argsort(-sim[i], kind="stable")[:k]]) for i in idx]
            per_motion[m] = round(float(np.mean(same)), 3)
        result = {
            "videos": n,
            "decode_seconds_per_video": round(decode / n, 4),
            "decodes_per_video": sampler.decodes / n,
            "frames_decoded_per_video": round(sampler.frames_decoded / n, 1),
            "frames_per_video_visual": round(nframes["visual"] / n, 1),
            "frames_per_video_grounding": round(nframes["grounding"] / n, 1),
            "seconds_per_video_visual": round(secs["visual"] / n, 4),
            "seconds_per_video_grounding": round(secs["grounding"] / n, 4),
            "visual_knn_purity": round(vis["purity"], 4),
            "visual_chance_purity": round(vis["chance_purity"], 4),
            "grounding_knn_purity": round(gro["purity"], 4),
            "grounding_chance_purity": round(gro["chance_purity"], 4),
            "grounding_knn_purity_vs_category": round(knn_purity(G, cats, k=k)["purity"], 4),
            "visual_knn_purity_vs_motion": round(knn_purity(V, motions, k=k)["purity"], 4),
            "grounding_purity_per_motion": per_motion,
            "dims": {"visual": visual.dim, "grounding": grounding.dim},
        }
        return result
    finally:
        if tmp is not None:
            tmp.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", default=None, help="reuse/write the sample here instead of a temp dir")
    args = ap.parse_args()
    r = measure(args.videos, args.seed, args.sample)
    print(f"videos: {r['videos']}  decodes/video: {r['decodes_per_video']:.2f}  "
          f"decode: {r['decode_seconds_per_video']:.3f} s/video "
          f"({r['frames_decoded_per_video']:.0f} frames decoded/video)")
    print(f"visual    (appearance): {r['seconds_per_video_visual']:.4f} s/video embed, "
          f"{r['frames_per_video_visual']:.0f} frames, kNN purity vs category "
          f"{r['visual_knn_purity']:.3f} (chance {r['visual_chance_purity']:.3f})")
    print(f"grounding (motion):     {r['seconds_per_video_grounding']:.4f} s/video embed, "
          f"{r['frames_per_video_grounding']:.0f} frames, kNN purity vs motion "
          f"{r['grounding_knn_purity']:.3f} (chance {r['grounding_chance_purity']:.3f}); per motion "
          f"{r['grounding_purity_per_motion']}")
    print("caveat: synthetic sample, one palette/texture/motion per category -> colour alone separates "
          "categories; motion is confounded with texture except for 'bounce' (2 categories)")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
