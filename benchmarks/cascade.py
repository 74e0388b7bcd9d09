"""What does the cascade cost, and what does it buy? Audit AUROC vs model calls at several budgets.

On a synthetic sample WITH media (the grounding backend, ``people``, needs frames), seed 7:
1. ingest, then the cheap pass (every signal that needs no model: no opinions at all);
2. for each budget, on a copy of that workspace: the cascade with the sample's simulated
   second annotator served by the ``replay`` backend (a replay of precomputed opinions,
   standing in for a VLM: no model runs) on the ``budget`` least-confident videos, and
   ``people`` grounding where annotation and second opinion disagree;
3. per-segment AUROC of (1 - confidence) for the injected faults, and the model calls spent
   (one per video and task: describe + localize for the second opinion, point for grounding).

Also printed: the cheap pass alone (budget 0), the calls of running every model on every video,
the verdict counts, the people detector's hit rate on the rendered frames (there are no people
in the synthetic videos: every hit is a false positive), and wall times.

Usage: python benchmarks/cascade.py [--videos 48] [--seed 7] [--workdir DIR] [--text minilm]
(a kept --workdir is reused: the sample is rewritten identically and the cheap pass resumes)
The last line printed is one JSON object:
{"budgets": {"0.1": {"auroc": .., "model_calls": ..}, "0.25": {..}, "0.5": {..}, "1.0": {..}}}
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

from videoaudit import Workspace  # noqa: E402
from videoaudit.evaluate import detection, read_truth  # noqa: E402

BUDGETS = (0.1, 0.25, 0.5, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=48)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--text", default="minilm")
    args = ap.parse_args()
    from videoaudit.sample import write_sample

    work = args.workdir or Path(tempfile.mkdtemp(prefix="va-cascade-"))
    t0 = time.perf_counter()
    info = write_sample(work / "sample", videos=args.videos, seed=args.seed, media=True)
    truth = read_truth(info["paths"]["truth"])
    t_sample = time.perf_counter() - t0
    base = work / "cheap"
    ws = Workspace(base, text_model=args.text)
    ws.ingest(info["paths"]["annotations"], media=info["paths"]["videos"])  # resumes: a kept --workdir is reused
    t1 = time.perf_counter()
    ws.run()  # resumes too
    cheap = detection(ws.confidence_map(), truth)
    t_cheap = time.perf_counter() - t1
    print(json.dumps({"videos": args.videos, "segments_audited": cheap["n_segments"], "faulted": cheap["n_faulted"],
                      "budget_0_auroc": cheap["auroc"], "sample_seconds": round(t_sample, 1),
                      "cheap_pass_seconds": round(t_cheap, 1)}), flush=True)
    out = {}
    for b in BUDGETS:
        d = work / f"budget-{b}"
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(base, d)
        w = Workspace(d, text_model=args.text)
        t = time.perf_counter()
        c = w.cascade("replay", budget=b, grounding="people", second_options={"path": str(info["paths"]["opinions"])},
                      second_source="simulated-annotator")
        det = detection(w.confidence_map(), truth)
        points = w.store.read("opinions", where="source = 'people'", columns=["video_id"]).num_rows
        print(json.dumps({"budget": b, "auroc": det["auroc"], "model_calls": c.model_calls,
                          "model_calls_full": c.model_calls_full, "avoided": c.model_calls_avoided,
                          "second_videos": c.second_videos, "grounding_videos": c.grounding_videos,
                          "disagreement_cosine": c.disagreement_cosine,
                          "people_points": points, "verdicts": c.verdicts, "weights": c.weights,
                          "seconds": round(time.perf_counter() - t, 1)}), flush=True)
        out[str(b)] = {"auroc": round(det["auroc"], 4), "model_calls": c.model_calls}
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"budgets": out}))


if __name__ == "__main__":
    sys.exit(main())
