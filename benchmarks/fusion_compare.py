"""Median fusion vs the fitted fusion, on the same stored signals, at two fault rates.

For each fault rate, a no-media synthetic sample (seed 7, the benchmark seed; nothing is
chosen on it) is ingested and its signals computed once; the confidence map is then fused
both ways: ``FusionConfig(method="median")`` (the run's median / MAD) and the default fitted
fusion (``confidence/fit.py``: fitted on faults injected into a copy of the sample's own
videos, never on the truth). Reported per rate and method: AUROC of (1 - confidence) for
the injected faults, per fault kind, the tier shares and the clean segments tiered review.

Usage: python benchmarks/fusion_compare.py [--videos 200] [--rates 0.25 0.6] [--workdir DIR]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pyarrow as pa  # noqa: E402

from videoaudit import Workspace  # noqa: E402
from videoaudit.confidence import Calibration, FusionConfig, fuse  # noqa: E402
from videoaudit.confidence.fit import fit_injected  # noqa: E402
from videoaudit.evaluate import detection, read_truth  # noqa: E402

SEED = 7


def measure(workdir: Path, videos: int, rate: float) -> dict:
    from videoaudit.sample import write_sample

    data = workdir / f"sample-{videos}-{rate}"
    if not (data / "truth.jsonl").exists():
        write_sample(data, videos=videos, seed=SEED, media=False, fault_rate=rate)
    ws = Workspace(workdir / f"ws-{videos}-{rate}")
    if not ws.video_ids():
        ws.ingest(data / "annotations.parquet")
        ws.import_opinions(data / "opinions.jsonl", source="simulated-annotator")
    t0 = time.perf_counter()
    ws.run(stages=["signals"])
    t_signals = time.perf_counter() - t0
    truth = read_truth(data / "truth.jsonl")
    signals = pa.concat_tables([ws.store.read("signals")])
    segments = ws.store.read("segments")
    calib = Calibration()
    calib.update(signals)
    t1 = time.perf_counter()
    model = fit_injected(ws)
    t_fit = time.perf_counter() - t1
    out = {"videos": videos, "rate": rate, "seconds_signals": t_signals, "seconds_fit": t_fit,
           "model": None if model is None else {"signals": dict(zip(model.signals, model.coef)),
                                                 "intercept": model.intercept, **model.info}}
    for name, cfg in (("median", FusionConfig(method="median")), ("fitted", FusionConfig(method="fitted", model=model))):
        conf = fuse(signals, segments, calib.stats(cfg.min_scale), cfg)["confidence"]
        det = detection(conf, truth)
        tiers = collections.Counter(conf.column("tier").to_pylist())
        out[name] = {"auroc": det["auroc"], "clean_review_share": det["clean_review_share"],
                     "tier_share": {t: n / conf.num_rows for t, n in sorted(tiers.items())},
                     "per_fault": {k: v["auroc"] for k, v in det["per_fault"].items()},
                     "n_faulted": det["n_faulted"], "n_segments": det["n_segments"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=200)
    ap.add_argument("--rates", type=float, nargs="+", default=[0.25, 0.6])
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="va-fusion-"))
    workdir.mkdir(parents=True, exist_ok=True)
    res = {str(r): measure(workdir, args.videos, r) for r in args.rates}
    for r, m in res.items():
        print(f"rate {r}: median AUROC {m['median']['auroc']:.3f} (clean in review "
              f"{m['median']['clean_review_share']:.3f}), fitted AUROC {m['fitted']['auroc']:.3f} "
              f"(clean in review {m['fitted']['clean_review_share']:.3f}); signals {m['seconds_signals']:.0f} s, "
              f"fit {m['seconds_fit']:.0f} s")
    print(json.dumps({"seed": SEED, "videos": args.videos, "by_rate": res,
                      **{f"auroc_synthetic_{m}_rate_{r}": v[m]["auroc"] for r, v in res.items()
                         for m in ("median", "fitted")}}))


if __name__ == "__main__":
    sys.exit(main())
