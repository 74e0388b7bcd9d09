"""Benchmark: exporting an audit of N no-media videos into a FiftyOne dataset (issue 5).

Run:  HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/fiftyone_export.py [--videos 1000] [--keep DIR]

Writes a no-media sample (write_sample, seed 0), ingests it, imports its simulated opinions and
runs the audit with the weight-free "hashing" text embedder (the audit is not what is measured);
fills ``lens_videos`` / ``embeddings_visual`` (RANDOM 64-d vectors and a random 2-D map: timing
only, so the brain runs are part of the measurement) and ``cross_lens``; then measures
``export_fiftyone`` into a fresh dataset (create) and again into the same dataset (update in
place). FiftyOne's database lives in a temp dir (FIFTYONE_DATABASE_DIR); its startup is done
before timing.

Prints human-readable lines; the LAST line is one JSON object:
  videos, segments, detections           what was exported (detections = annotated detections touched)
  export_create_seconds                  first export: add_samples + every field + brain runs + saved views
  export_update_seconds                  re-export into the existing dataset (matched, updated in place)
  export_create_without_brain_seconds    the first export minus the brain runs (a separate fresh dataset)
  videos_per_second_create               videos / export_create_seconds
  audit_seconds                          sample + ingest + opinions + run (context, not the measure)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--videos", type=int, default=1000)
    ap.add_argument("--keep", type=Path, default=None, help="folder for the sample + workspace (default: temp)")
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="va-fo-bench-"))
    os.environ.update({"FIFTYONE_DATABASE_VALIDATION": "false", "FIFTYONE_DATABASE_DIR": str(home / "db"),
                       "FIFTYONE_CONFIG_PATH": str(home / "config.json"), "FIFTYONE_DO_NOT_TRACK": "true",
                       "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    import lancedb
    import numpy as np
    import pyarrow as pa

    from videoaudit import schema as S
    from videoaudit.api import Workspace
    from videoaudit.fiftyone import require
    from videoaudit.fiftyone.export import export_fiftyone
    from videoaudit.sample import write_sample

    root = args.keep or home / "data"
    t0 = time.perf_counter()
    info = write_sample(root / "sample", videos=args.videos, seed=0, media=False)
    ws = Workspace(root / "ws", text_model="hashing")
    ws.ingest(info["paths"]["annotations"], format="action100m")
    ws.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
    ws.run()
    vids = ws.video_ids()
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(len(vids), 2))
    ws.store.replace("lens_videos", vids, pa.Table.from_pylist(
        [{"video_id": v, "lens": "visual", "backend": "random-timing-only", "map_method": "umap",
          "map_x": float(x), "map_y": float(y), "uniqueness": float(rng.random()),
          "uniqueness_pct": float(rng.random()), "representativeness": float(rng.random()), "near_duplicates": [],
          "zero_shot_label": "c" + str(int(rng.integers(5))), "zero_shot_prob": float(rng.random())}
         for v, (x, y) in zip(vids, xy)], schema=S.LENS_VIDEOS))
    ws.store.replace("cross_lens", vids, pa.Table.from_pylist(
        [{"video_id": v, "lens_a": "visual", "lens_b": "grounding", "k": 10, "jaccard": float(rng.random())}
         for v in vids], schema=S.CROSS_LENS))
    vec = rng.normal(size=(len(vids), 64)).astype(np.float32)
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    lancedb.connect(str(ws.path)).create_table("embeddings_visual", pa.Table.from_pylist(
        [{"video_id": v, "segment_id": None, "backend": "random-timing-only", "vector": x}
         for v, x in zip(vids, vec)], schema=S.embeddings_schema(64)), mode="overwrite")
    audit_s = time.perf_counter() - t0
    n_segments = ws.store.count("segments")
    print(f"audit of {len(vids)} videos ({n_segments} segments) ready in {audit_s:.1f} s", flush=True)

    fo = require()
    fo.list_datasets()  # starts the database: not part of the measurement

    from videoaudit.fiftyone import export as E

    t = time.perf_counter()
    r1 = export_fiftyone(ws, "bench")
    create_s = time.perf_counter() - t
    print(f"export (create): {create_s:.1f} s, {r1['detections']} detections, brain {r1['brain_keys']}", flush=True)
    t = time.perf_counter()
    r2 = export_fiftyone(ws, "bench")
    update_s = time.perf_counter() - t
    print(f"export (update in place): {update_s:.1f} s, added {r2['added']}", flush=True)
    t = time.perf_counter()
    E.export_fiftyone(ws, "bench-nobrain", brain=False)
    nobrain_s = time.perf_counter() - t
    print(f"export (create, no brain runs): {nobrain_s:.1f} s", flush=True)
    assert len(fo.load_dataset("bench")) == len(vids)
    print(json.dumps({"videos": len(vids), "segments": n_segments, "detections": r1["detections"],
                      "export_create_seconds": round(create_s, 2), "export_update_seconds": round(update_s, 2),
                      "export_create_without_brain_seconds": round(nobrain_s, 2),
                      "videos_per_second_create": round(len(vids) / create_s, 1),
                      "audit_seconds": round(audit_s, 1), "fiftyone": fo.__version__}))


if __name__ == "__main__":
    main()
