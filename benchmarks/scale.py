"""Benchmark: speed per video, start-up and memory at scale (issue 12).

Run:  HF_HUB_OFFLINE=1 python benchmarks/scale.py [--workdir DIR] [--skip memory,cli,...]

Prints human-readable lines; the LAST line is one JSON object:
  signals_speedup        on the 5 real Action100M videos (faults injected as in audit_accuracy.py):
                         seconds the OLD path spends in plain sentence-transformers fp32 MiniLM encode of
                         every text the signals embed (timed inside a `text_model="minilm"` signals run)
                         divided by the wall seconds of the NEW signals stage (default text model, whole
                         stage), same texts, same process; model loading is excluded from both and
                         reported apart (old_model_load_seconds, new_model_load_seconds, which includes a
                         first-use distillation when the cache is empty)
  auroc_real, auroc_real_old, auroc_real_delta
                         benchmarks/audit_accuracy.py's real part with the new and the old text model
                         (same workspace, same lens vectors, only the signals + confidence redone)
  options                side by side, the same texts: seconds and texts/s per embedder option
  cli_start_seconds      median wall seconds of `videoaudit --help` (fresh process, 5 runs), and
                         cli_status_seconds for `videoaudit status -w <the real workspace>`
  peak_rss_mb_1k, peak_rss_mb_10k, rss_growth_mb_1k, rss_growth_mb_10k, memory_growth_ratio_10k_vs_1k
                         benchmarks/throughput.py's pipeline runs (ingest + opinions + signals, no media,
                         `hashing` text model, fresh subprocess each); growth = peak minus the RSS right
                         after the imports; the 10k input is the 1k sample replicated with renamed ids
                         (throughput.py --replicate) unless --no-replicate
  ray_matches_local, ray_seconds, local_seconds
                         the Ray Data engine vs the local engine on the same sample with media (--videos,
                         default 48; seed 7), every table compared; ray_seconds with the local Ray already
                         started (ray_init_seconds apart), per-stage seconds of both (ray_stage_seconds,
                         local_stage_seconds); null when ray is not installed
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import videoaudit  # noqa: F401
except ImportError:
    sys.path.insert(0, str(HERE.parent / "src"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REAL = Path(os.environ.get("VIDEOAUDIT_REAL_PARQUET") or
            next((p / "shared" / "data" / "action100m" / "examples-public.parquet" for p in HERE.parents
                  if (p / "shared" / "data" / "action100m" / "examples-public.parquet").exists()), Path("/nonexistent")))
OLD_TEXT_MODEL = "minilm"


def _say(*a) -> None:
    print(*a, flush=True)


class TimedEmbedder:
    """Wraps an embedder: total seconds and texts of its embed calls (the prototypes included)."""

    def __init__(self, inner):
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.seconds, self.texts, self.calls = 0.0, [], 0

    def embed(self, texts):
        t0 = time.perf_counter()
        out = self.inner.embed(texts)
        self.seconds += time.perf_counter() - t0
        self.texts += list(texts)
        self.calls += 1
        return out


def real_workspace(workdir: Path):
    from videoaudit import Workspace
    from videoaudit.formats.action100m import iter_release, write_release
    from videoaudit.sample import inject_faults

    rows = list(iter_release(REAL))
    faulty, truth = inject_faults(rows, seed=11)  # audit_accuracy.py's REAL_FAULT_SEED
    path = workdir / "real-faulty.parquet"
    write_release(faulty, path)
    ws = Workspace(workdir / "ws-real")
    ws.ingest(path)
    return ws, truth


def signals_with(ws, text_model: str, timed: bool) -> dict:
    """Redo the signals stage with ``text_model`` (model loaded beforehand), then the confidence."""
    from videoaudit.models import get, registry

    t0 = time.perf_counter()
    emb = get("text", text_model)
    load = time.perf_counter() - t0
    key = next(k for k, v in registry._INSTANCES.items() if v is emb)
    wrapper = TimedEmbedder(emb) if timed else None
    if wrapper is not None:
        registry._INSTANCES[key] = wrapper
    ws.text_model = text_model
    try:
        t1 = time.perf_counter()
        ws.run(stages=["signals"], redo=True)
        stage = time.perf_counter() - t1
    finally:
        registry._INSTANCES[key] = emb
    ws.run(stages=["lens_signals", "confidence"], redo=True)
    return {"text_model": text_model, "model_load_seconds": load, "stage_seconds": stage,
            "embed_seconds": wrapper.seconds if wrapper else None,
            "texts": len(wrapper.texts) if wrapper else None,
            "unique_texts": len(set(wrapper.texts)) if wrapper else None,
            "_texts": wrapper.texts if wrapper else None}


def bench_signals(workdir: Path, new_model: str) -> dict:
    from videoaudit.evaluate import detection

    ws, truth = real_workspace(workdir)
    ws.run(stages=["transcript", "lens_signals"])  # the lens vectors both fusions share
    old = signals_with(ws, OLD_TEXT_MODEL, timed=True)
    auroc_old = detection(ws.confidence_map(), truth)["auroc"]
    _say(f"old: {old['texts']} texts ({old['unique_texts']} unique) encoded in {old['embed_seconds']:.1f} s "
         f"(MiniLM fp32), stage {old['stage_seconds']:.1f} s; AUROC real {auroc_old:.4f}")
    new = signals_with(ws, new_model, timed=True)
    auroc_new = detection(ws.confidence_map(), truth)["auroc"]
    _say(f"new ({new_model}): stage {new['stage_seconds']:.2f} s (embed {new['embed_seconds']:.2f} s); "
         f"AUROC real {auroc_new:.4f}")
    texts = old.pop("_texts")
    new.pop("_texts")
    return {"ws": ws, "texts": texts, "out": {
        "signals_speedup": round(old["embed_seconds"] / new["stage_seconds"], 1),
        "signals_speedup_stage_vs_stage": round(old["stage_seconds"] / new["stage_seconds"], 1),
        "old_encode_seconds": round(old["embed_seconds"], 2), "old_stage_seconds": round(old["stage_seconds"], 2),
        "new_stage_seconds": round(new["stage_seconds"], 3), "new_embed_seconds": round(new["embed_seconds"], 3),
        "old_model_load_seconds": round(old["model_load_seconds"], 2),
        "new_model_load_seconds": round(new["model_load_seconds"], 2),
        "new_text_model": new_model, "texts_embedded": old["texts"], "unique_texts": old["unique_texts"],
        "auroc_real": auroc_new, "auroc_real_old": auroc_old, "auroc_real_delta": round(auroc_new - auroc_old, 4)}}


def bench_options(texts: list[str], options: list[str], limit: int) -> dict:
    """Seconds per option on the same (first ``limit`` unique) texts the signals embed."""
    from videoaudit.models import get

    uniq = list(dict.fromkeys(texts))[:limit]
    out = {}
    for spec in options:  # "name" or "name@key=int", e.g. minilm@max_tokens=64
        name, _, opt = spec.partition("@")
        kw = {k: int(v) for k, v in (opt.split("="),)} if opt else {}
        try:
            emb = get("text", name, **kw)
        except Exception as exc:  # an option that cannot load here is reported, not fatal
            out[spec] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        emb.embed(uniq[:8])  # warm-up
        t0 = time.perf_counter()
        emb.embed(uniq)
        s = time.perf_counter() - t0
        out[spec] = {"seconds": round(s, 3), "texts": len(uniq), "texts_per_second": round(len(uniq) / s, 1)}
        _say(f"option {spec}: {len(uniq)} texts in {s:.2f} s ({len(uniq) / s:.0f}/s)")
    return out


def bench_cli(ws_path: Path | None, runs: int = 5) -> dict:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}

    cpu: dict[str, float] = {}

    def timed(args):
        """Median wall seconds; the median CPU seconds (user + sys) go to ``cpu`` (less load-dependent)."""
        import resource

        walls, cpus = [], []
        for _ in range(runs):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "videoaudit.cli", *args], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        cpu[args[0]] = round(statistics.median(cpus), 3)
        return round(statistics.median(walls), 3)

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - t0
    out = {"cli_start_seconds": timed(["--help"]), "python_start_seconds": round(bare, 3)}
    if ws_path is not None:
        out["cli_status_seconds"] = timed(["status", "-w", str(ws_path)])
    out["cli_start_cpu_seconds"] = cpu["--help"]
    out["cli_status_cpu_seconds"] = cpu.get("status")
    _say(f"cli: --help {out['cli_start_seconds']} s, status {out.get('cli_status_seconds')} s "
         f"(bare python {out['python_start_seconds']} s)")
    return out


def bench_memory(tmp: Path, small: int, large: int, replicate: bool) -> dict:
    import throughput

    root = tmp / "samples"
    root.mkdir(parents=True, exist_ok=True)
    res = throughput.bench_pipeline(root, tmp, small, large, minilm_1k=False, minilm_timeout=0,
                                    tracemalloc_top=0, replicate=replicate)
    res["large_input"] = (f"the {small}-video sample replicated with renamed video ids" if replicate
                          else f"write_sample(videos={large})")
    for label in ("1k", "10k"):  # growth above the RSS right after the imports (same for both runs)
        run = res.get(f"pipeline_{label}") or {}
        if run.get("rss_mb_after_load") is not None:
            res[f"rss_growth_mb_{label}"] = round(run["peak_rss_mb"] - run["rss_mb_after_load"], 1)
    if res.get("rss_growth_mb_1k"):
        res["memory_growth_ratio_10k_vs_1k"] = round(res["rss_growth_mb_10k"] / res["rss_growth_mb_1k"], 3)
    _say(f"memory growth above the after-import RSS: {res.get('rss_growth_mb_1k')} MB (1k) vs "
         f"{res.get('rss_growth_mb_10k')} MB (10k); 10k input: {res['large_input']}")
    return res


def _stage_timer(engine_cls, into: dict):
    """Wrap ``engine_cls.run`` to add each stage's wall seconds to ``into``; returns the undo."""
    orig = engine_cls.run

    def run(self, stage, *a, **k):
        t0 = time.perf_counter()
        try:
            return orig(self, stage, *a, **k)
        finally:
            into[stage.name] = round(into.get(stage.name, 0.0) + time.perf_counter() - t0, 2)

    engine_cls.run = run
    return lambda: setattr(engine_cls, "run", orig)


def ray_keys(workdir: Path, videos: int = 48, cpus: int | None = None) -> dict:
    """The Ray Data engine vs the local engine: the same sample with media (``videos``, seed 7), the
    default models, each engine into its own workspace; every table compared after canonicalising
    (tests/golden_tables.py: wall-clock columns dropped, rows sorted, floats within 1e-5).
    ``ray_seconds`` is the run with the local Ray already started (``ray_init_seconds`` apart); the
    2-D lens maps use pca in both (the map is computed on the driver by either engine)."""
    from videoaudit import Workspace
    from videoaudit.pipeline.engine import LocalEngine
    from videoaudit.pipeline.ray_engine import RayEngine, RayUnavailable, connect, import_ray
    from videoaudit.sample import write_sample

    sys.path.insert(0, str(HERE.parent / "tests"))
    from golden_tables import _table_names, canonical, diff

    try:
        ray = import_ray()
    except RayUnavailable as exc:
        _say(f"ray: skipped ({exc})")
        return {"ray_matches_local": None, "ray_seconds": None, "local_seconds": None, "ray_skipped": str(exc)}
    root = workdir / "ray-bench"
    info = write_sample(root / "sample", videos=videos, seed=7, media=True)
    seconds, stages = {}, {}
    for engine in ("local", "ray"):
        if engine == "ray":
            t0 = time.perf_counter()
            if cpus:
                ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
            connect()  # starts the local Ray unless started above
            seconds["ray_init"] = time.perf_counter() - t0
        ws = Workspace(root / engine)
        ws.ingest(info["paths"]["annotations"], format="action100m", media=info["paths"]["videos"])
        ws.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
        stages[engine] = {}
        undo = _stage_timer(RayEngine if engine == "ray" else LocalEngine, stages[engine])
        try:
            t0 = time.perf_counter()
            reports = ws.run(engine=engine, map_method="pca")
            seconds[engine] = time.perf_counter() - t0
        finally:
            undo()
        failed = sum(len(r.failed) for r in reports.values())
        _say(f"{engine}: {videos} videos in {seconds[engine]:.1f} s ({failed} failed); stages {stages[engine]}")
    cpus_used = int(ray.cluster_resources().get("CPU", 0))
    problems = []
    a, b = Workspace(root / "local"), Workspace(root / "ray")
    names = _table_names(a)
    if names != _table_names(b):
        problems.append(f"tables differ: {sorted(set(names) ^ set(_table_names(b)))}")
    for name in names:
        problems += diff(name, canonical(b.store.read(name), root / "ray"), canonical(a.store.read(name), root / "local"))
    _say("ray vs local: " + ("every table equal" if not problems else "; ".join(problems[:5])))
    ray.shutdown()
    return {"ray_matches_local": not problems, "ray_seconds": round(seconds["ray"], 1),
            "local_seconds": round(seconds["local"], 1), "ray_init_seconds": round(seconds["ray_init"], 1),
            "ray_videos": videos, "ray_cpus": cpus_used,
            "ray_tables_compared": len(names), "ray_stage_seconds": stages["ray"],
            "local_stage_seconds": stages["local"], "ray_differences": problems[:10]}


def main(argv: list[str] | None = None) -> dict:
    from videoaudit.models.text import DEFAULT_TEXT_MODEL

    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--skip", default="", help="comma list of: signals, options, cli, memory, ray")
    ap.add_argument("--options", default="minilm,minilm-int8,minilm@max_tokens=64,minilm-static,hashing",
                    help="embedder options to time side by side")
    ap.add_argument("--options-texts", type=int, default=1000)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=10000)
    ap.add_argument("--no-replicate", action="store_true")
    ap.add_argument("--videos", type=int, default=48, help="videos with media in the ray vs local sample")
    ap.add_argument("--ray-cpus", type=int, default=None, help="CPUs of the local Ray (default: all)")
    ap.add_argument("--status-workspace", type=Path, default=None,
                    help="workspace for the status timing when the signals part is skipped")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="va-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    out: dict = {"text_model_default": DEFAULT_TEXT_MODEL}
    ws_path = None
    if "signals" not in skip and REAL.exists():
        res = bench_signals(work, DEFAULT_TEXT_MODEL)
        out.update(res["out"])
        ws_path = res["ws"].path
        if "options" not in skip:
            out["options"] = bench_options(res["texts"], args.options.split(","), args.options_texts)
    if "cli" not in skip:
        out.update(bench_cli(ws_path or args.status_workspace))
    if "memory" not in skip:
        out.update(bench_memory(work, args.small, args.large, not args.no_replicate))
    out.update(ray_keys(work, args.videos, args.ray_cpus) if "ray" not in skip else {"ray_matches_local": None, "ray_seconds": None,
                                                          "local_seconds": None})
    print(json.dumps(out, default=str))
    return out


if __name__ == "__main__":
    main()
