"""Benchmark: throughput and memory of the audit, end to end and per part.

Run:  HF_HUB_OFFLINE=1 python benchmarks/throughput.py [--data DIR] [--minilm-1k] [--skip ...]

Prints human-readable lines; the LAST line is one JSON object:
  frames_per_second, ratio_vs_ffmpeg   benchmarks/frames.py measure_both() (1 frame/s from a 90 s 320x240 H.264,
                                       keyframe every 2 s; long_gop_*: every 10 s; every ffmpeg method incl.
                                       -threads 1 and a select filter; frames decoded on each side)
  lexical_pairs_per_minute             signals.lexical.normalized_similarity over --pairs (annotation, opinion)
                                       text pairs taken from a write_sample (no media) sample
  semantic_sentences_per_second        models.get("text", "minilm").embed on --sentences DISTINCT sample texts
                                       of mixed length (+ _short: <= 12 words, _long: >= 40 words), model
                                       loaded and warmed up beforehand (load time reported apart)
  demo_wall_seconds                    `videoaudit demo --out <tmp>` (default size, MiniLM, media) as a subprocess
  peak_rss_mb_1k, peak_rss_mb_10k      peak RSS (VmHWM) of a FRESH subprocess doing Workspace(text_model="hashing")
                                       .ingest + .import_opinions + .run(stages=["signals"]) on a 1,000 / 10,000
                                       video sample (written beforehand by another subprocess, not measured)
  memory_ratio_10k_vs_1k               peak_rss_mb_10k / peak_rss_mb_1k
                                       (--large N changes the big run's size; the key keeps the name "10k";
                                       large_videos says what it was. --replicate builds it from renamed
                                       copies of the 1k sample: write_sample takes > 35 min at 10k)
  pipeline_*                           wall seconds of those runs, per phase
  peak_rss_mb_1k_minilm                the 1k run with MiniLM (only with --minilm-1k; null if it timed out)

The 10k run uses the weight-free "hashing" text embedder (models/hashing.py): MiniLM on
CPU would take hours there. Its signals measure shared words, not meaning; the run
measures the pipeline (I/O, signals, storage), not the sentence model, whose cost is
semantic_sentences_per_second.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import videoaudit  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(HERE.parent / "src"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _rss_mb() -> float:
    """Peak resident memory of THIS process image, in MB.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a child of a big
    parent (this benchmark after loading MiniLM and 160k texts) would report the parent's size.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _say(*a) -> None:
    print(*a, flush=True)


# -- subprocess entry points ---------------------------------------------------------------------------
def _child_write(out: str, videos: int) -> None:
    from videoaudit.sample import write_sample

    s = write_sample(Path(out), videos=videos, seed=0, media=False)
    s = {k: s[k] for k in ("videos", "n_segments", "n_opinions", "seconds")}
    (Path(out) / "bench-sample.json").write_text(json.dumps(s))
    print(json.dumps(s))


def _child_pipeline(data: str, ws: str, text_model: str, tracemalloc_top: int) -> None:
    """ingest + opinions + signals in THIS process; prints one JSON line with peak RSS and timings."""
    if tracemalloc_top:
        import tracemalloc

        tracemalloc.start(10)
    t0 = time.perf_counter()
    import videoaudit as va
    from videoaudit.models import get

    get("text", text_model)  # the model load is not part of the per-video cost; timed apart
    rss_ready = _rss_mb()
    t1 = time.perf_counter()
    w = va.Workspace(ws, text_model=text_model)
    ing = w.ingest(Path(data) / "annotations.parquet", format="action100m")
    t2 = time.perf_counter()
    rss_ingest = _rss_mb()
    op = w.import_opinions(Path(data) / "opinions.jsonl", source="simulated-annotator")
    t3 = time.perf_counter()
    rss_opinions = _rss_mb()
    rep = w.run(stages=["signals"])["signals"]
    t4 = time.perf_counter()
    out = {
        "videos": ing.videos, "segments": ing.segments, "opinions": op["imported"],
        "signals_done": rep.done, "signals_failed": len(rep.failed),
        "signal_rows": w.store.count("signals"),
        "text_model": text_model,
        "load_seconds": round(t1 - t0, 2),
        "ingest_seconds": round(t2 - t1, 2), "opinions_seconds": round(t3 - t2, 2),
        "signals_seconds": round(t4 - t3, 2), "wall_seconds": round(t4 - t1, 2),
        "rss_mb_after_load": round(rss_ready, 1), "peak_rss_mb_after_ingest": round(rss_ingest, 1),
        "peak_rss_mb_after_opinions": round(rss_opinions, 1), "peak_rss_mb": round(_rss_mb(), 1),
    }
    if rep.failed:
        out["first_failure"] = next(iter(rep.failed.values()))[:300]
    if tracemalloc_top:
        import tracemalloc

        cur, peak = tracemalloc.get_traced_memory()
        snap = tracemalloc.take_snapshot()
        out["tracemalloc_current_mb"] = round(cur / 2**20, 1)
        out["tracemalloc_peak_mb"] = round(peak / 2**20, 1)
        out["tracemalloc_top"] = [f"{s.traceback[0].filename}:{s.traceback[0].lineno} {s.size / 2**20:.1f} MB "
                                  f"({s.count} blocks)" for s in snap.statistics("lineno")[:tracemalloc_top]]
    print(json.dumps(out))


# -- parts ---------------------------------------------------------------------------------------------
def _run_child(args: list[str], timeout: float | None = None) -> dict | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def ensure_sample(root: Path, videos: int) -> Path:
    """A no-media sample of `videos` videos under root, reused if one is already there."""
    out = root / f"sample-{videos}"
    meta = out / "bench-sample.json"
    if meta.exists() and json.loads(meta.read_text()).get("videos") == videos:
        _say(f"sample {videos} videos: reusing {out}")
        return out
    t0 = time.perf_counter()
    s = _run_child(["_write", str(out), str(videos)])
    _say(f"sample {videos} videos: written in {time.perf_counter() - t0:.1f} s "
         f"({s['n_segments']} segments, {s['n_opinions']} opinions) -> {out}  [not part of any measurement]")
    return out


def replicate_sample(src: Path, root: Path, videos: int) -> Path:
    """A `videos`-video input made of copies of the sample `src` with renamed video ids (fast, same shape).

    write_sample itself is slow at 10k videos (> 35 min, superlinear); the pipeline only needs
    realistic rows, and copies have exactly the per-video shape of the original.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = root / f"sample-{videos}-replicated"
    meta = out / "bench-sample.json"
    if meta.exists() and json.loads(meta.read_text()).get("videos") == videos:
        _say(f"sample {videos} videos (replicated): reusing {out}")
        return out
    out.mkdir(parents=True, exist_ok=True)
    t = pq.read_table(src / "annotations.parquet")
    ops = [json.loads(line) for line in (src / "opinions.jsonl").read_text().splitlines() if line.strip()]
    copies, parts, n_ops = -(-videos // t.num_rows), [], 0
    with open(out / "opinions.jsonl", "w", encoding="utf-8") as fh:
        for r in range(copies):
            keep = min(t.num_rows, videos - r * t.num_rows)
            part = t.slice(0, keep)
            uid = pc.binary_join_element_wise(part.column("video_uid"), pa.scalar(f"-r{r}"), "")
            parts.append(part.set_column(part.schema.get_field_index("video_uid"), "video_uid", uid))
            kept = set(part.column("video_uid").to_pylist())
            for o in ops:
                if o["video_id"] in kept:
                    fh.write(json.dumps({**o, "video_id": f"{o['video_id']}-r{r}"}, ensure_ascii=False) + "\n")
                    n_ops += 1
    # 64-video row groups, like write_release: ingest reads one row group at a time
    pq.write_table(pa.concat_tables(parts), out / "annotations.parquet", row_group_size=64)
    meta.write_text(json.dumps({"videos": videos, "replicated_from": str(src), "n_opinions": n_ops}))
    _say(f"sample {videos} videos: {copies} renamed copies of {src} -> {out}  [not part of any measurement]")
    return out


def sample_texts(data: Path) -> tuple[list[str], list[str]]:
    """(annotation texts, opinion texts) of a sample, as the signals see them."""
    import pyarrow.parquet as pq

    ann: list[str] = []
    for row in pq.read_table(data / "annotations.parquet", columns=["nodes"]).column("nodes").to_pylist():
        for n in row or []:
            gpt = n.get("gpt") or {}
            for t in (n.get("plm_caption"), n.get("llama3_caption"),
                      (gpt.get("summary") or {}).get("brief"), (gpt.get("summary") or {}).get("detailed"),
                      (gpt.get("action") or {}).get("brief"), (gpt.get("action") or {}).get("detailed")):
                if isinstance(t, str) and t.strip():
                    ann.append(t)
    ops = [json.loads(line)["text"] for line in (data / "opinions.jsonl").read_text().splitlines() if line.strip()]
    return ann, [t for t in ops if isinstance(t, str) and t.strip()]


def bench_frames() -> dict:
    from frames import measure_both

    r = measure_both(verbose=True)
    lg = r["long_gop"]
    _say(f"frames: {r['frames_per_second']} frames/s, {r['ratio_vs_ffmpeg']}x the best ffmpeg CLI method "
         f"({r['best_ffmpeg_method']}); keyframe every 10 s: {lg['frames_per_second']} frames/s, "
         f"{lg['ratio_vs_ffmpeg']}x ({lg['best_ffmpeg_method']})")
    keys = ("frames_per_second", "ratio_vs_ffmpeg", "best_ffmpeg_method", "frames_per_second_by_method",
            "frames_decoded_by_method", "keyframe_interval_seconds")
    return {**{k: r[k] for k in keys}, **{f"long_gop_{k}": lg[k] for k in keys}}


def bench_lexical(ann: list[str], ops: list[str], pairs: int) -> dict:
    from videoaudit.signals.lexical import normalized_similarity

    rng = random.Random(0)
    a = [rng.choice(ann) for _ in range(pairs)]
    b = [rng.choice(ops) for _ in range(pairs)]
    normalized_similarity(a[:1000], b[:1000])  # warm-up
    t0 = time.perf_counter()
    s = normalized_similarity(a, b)
    dt = time.perf_counter() - t0
    mean_len = (sum(map(len, a)) + sum(map(len, b))) / (2 * pairs)
    per_min = pairs / dt * 60
    _say(f"lexical: {pairs} pairs (mean {mean_len:.0f} chars) in {dt:.2f} s = {per_min:,.0f} pairs/min "
         f"(mean similarity {float(s.mean()):.3f})")
    return {"lexical_pairs_per_minute": round(per_min), "lexical_pairs": pairs,
            "lexical_mean_chars": round(mean_len, 1)}


def bench_semantic(ann: list[str], ops: list[str], n: int) -> dict:
    from videoaudit.models import get

    pool = sorted(set(ann) | set(ops))  # distinct: embed() deduplicates, repeats would flatter it
    rng = random.Random(0)
    words = {t: len(t.split()) for t in pool}
    short = [t for t in pool if words[t] <= 12]
    long_ = [t for t in pool if words[t] >= 40]
    mixed = rng.sample(pool, min(n, len(pool)))
    short = rng.sample(short, min(n // 2, len(short)))
    long_ = rng.sample(long_, min(n // 2, len(long_)))
    t0 = time.perf_counter()
    emb = get("text", "minilm")
    emb.embed(pool[:64])  # warm-up
    load = time.perf_counter() - t0
    out = {"semantic_model": emb.name, "semantic_model_load_seconds": round(load, 2)}
    for label, texts in (("", mixed), ("_short", short), ("_long", long_)):
        t0 = time.perf_counter()
        emb.embed(texts)
        dt = time.perf_counter() - t0
        mw = sum(words[t] for t in texts) / max(len(texts), 1)
        out[f"semantic_sentences_per_second{label}"] = round(len(texts) / dt, 1)
        out[f"semantic_n{label}"] = len(texts)
        out[f"semantic_mean_words{label}"] = round(mw, 1)
        _say(f"semantic{label or ' (mixed)'}: {len(texts)} distinct texts, mean {mw:.0f} words, {dt:.2f} s = "
             f"{len(texts) / dt:.1f} sentences/s ({emb.name}, CPU, {os.cpu_count()} cores)")
    return out


def bench_demo(tmp: Path) -> dict:
    exe = shutil.which("videoaudit") or str(Path(sys.executable).with_name("videoaudit"))
    out = tmp / "demo"
    t0 = time.perf_counter()
    r = subprocess.run([exe, "demo", "--out", str(out)], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "120"})
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"videoaudit demo failed:\n{r.stderr[-3000:]}")
    _say(f"demo: `videoaudit demo --out {out}` (12 videos with media, MiniLM) {dt:.1f} s wall")
    return {"demo_wall_seconds": round(dt, 1)}


def bench_pipeline(root: Path, tmp: Path, small: int, large: int, minilm_1k: bool, minilm_timeout: float,
                   tracemalloc_top: int, replicate: bool = False) -> dict:
    data_s = ensure_sample(root, small)
    data_l = replicate_sample(data_s, root, large) if replicate else ensure_sample(root, large)
    res: dict = {"large_sample": "replicated" if replicate else "write_sample", "large_videos": large}
    runs = {}
    for label, data, n in (("1k", data_s, small), ("10k", data_l, large)):
        ws = tmp / f"ws-{label}-hashing"
        shutil.rmtree(ws, ignore_errors=True)
        r = _run_child(["_pipeline", str(data), str(ws), "hashing", str(tracemalloc_top if label == "10k" else 0)])
        runs[label] = r
        shutil.rmtree(ws, ignore_errors=True)
        _say(f"pipeline {n} videos (hashing text model): peak RSS {r['peak_rss_mb']:.0f} MB; "
             f"ingest {r['ingest_seconds']} s, opinions {r['opinions_seconds']} s, signals {r['signals_seconds']} s "
             f"(= {r['wall_seconds']} s, {n / r['wall_seconds']:.1f} videos/s); {r['segments']} segments, "
             f"{r['signal_rows']} signal rows, {r['signals_failed']} failed")
        res[f"peak_rss_mb_{label}"] = r["peak_rss_mb"]
        res[f"pipeline_seconds_{label}"] = r["wall_seconds"]
        res[f"pipeline_{label}"] = {k: v for k, v in r.items() if k not in ("tracemalloc_top",)}
        if r.get("tracemalloc_top"):
            res[f"tracemalloc_top_{label}"] = r["tracemalloc_top"]
    res["memory_ratio_10k_vs_1k"] = round(runs["10k"]["peak_rss_mb"] / runs["1k"]["peak_rss_mb"], 3)
    res["memory_flat"] = res["memory_ratio_10k_vs_1k"] <= 1.5
    _say(f"memory: {large}/{small}-video peak RSS = {res['memory_ratio_10k_vs_1k']} "
         f"({'flat' if res['memory_flat'] else 'GROWS with the number of videos'})")
    _say("note: the pipeline runs use text_model='hashing' (shared words, not meaning): MiniLM on CPU "
         "would take hours at 10k videos; see semantic_sentences_per_second for the model's cost")
    if minilm_1k:
        ws = tmp / "ws-1k-minilm"
        r = _run_child(["_pipeline", str(data_s), str(ws), "minilm", "0"], timeout=minilm_timeout)
        shutil.rmtree(ws, ignore_errors=True)
        if r is None:
            _say(f"pipeline {small} videos with MiniLM: not finished within {minilm_timeout:.0f} s")
            res["peak_rss_mb_1k_minilm"] = None
            res["pipeline_1k_minilm_timeout_seconds"] = minilm_timeout
        else:
            _say(f"pipeline {small} videos (MiniLM): peak RSS {r['peak_rss_mb']:.0f} MB, {r['wall_seconds']} s")
            res["peak_rss_mb_1k_minilm"] = r["peak_rss_mb"]
            res["pipeline_seconds_1k_minilm"] = r["wall_seconds"]
    return res


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None,
                   help="where the no-media samples are written and reused (default: a temporary folder)")
    p.add_argument("--pairs", type=int, default=200_000)
    p.add_argument("--sentences", type=int, default=2_000)
    p.add_argument("--small", type=int, default=1_000)
    p.add_argument("--large", type=int, default=10_000)
    p.add_argument("--replicate", action="store_true",
                   help="make the large sample from renamed copies of the small one (write_sample is slow at 10k)")
    p.add_argument("--minilm-1k", action="store_true", help="also run the 1k pipeline with MiniLM")
    p.add_argument("--minilm-timeout", type=float, default=600.0)
    p.add_argument("--tracemalloc", type=int, default=0, metavar="N",
                   help="trace allocations in the 10k run and report the top N lines (slows it down)")
    p.add_argument("--skip", nargs="*", default=[], choices=["frames", "lexical", "semantic", "demo", "pipeline"])
    a = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="va-bench-throughput-"))
    root = a.data or tmp
    root.mkdir(parents=True, exist_ok=True)
    result: dict = {"cpu_count": os.cpu_count()}
    try:
        if "frames" not in a.skip:
            result.update(bench_frames())
        if not {"lexical", "semantic"} <= set(a.skip):
            texts_from = ensure_sample(root, a.small)
            ann, ops = sample_texts(texts_from)
            _say(f"texts: {len(ann)} annotation texts, {len(ops)} opinion texts from {texts_from}")
            if "lexical" not in a.skip:
                result.update(bench_lexical(ann, ops, a.pairs))
            if "semantic" not in a.skip:
                result.update(bench_semantic(ann, ops, a.sentences))
        if "demo" not in a.skip:
            result.update(bench_demo(tmp))
        if "pipeline" not in a.skip:
            result.update(bench_pipeline(root, tmp, a.small, a.large, a.minilm_1k, a.minilm_timeout, a.tracemalloc,
                                     a.replicate))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_write":
        _child_write(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_pipeline":
        _child_pipeline(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
