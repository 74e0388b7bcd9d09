"""One transcript chunking instead of two: how many texts are embedded, and how much the outputs move.

Before, the signals cut each transcript into ~40-word timed chunks (an entry could push a
chunk past 40) while the transcript lens embedded the whole transcript packed in <= 64 words
AND every entry on its own, so each transcript was embedded two ways per run. Now both use
``videoaudit.transcripts.chunk_transcript`` (<= 64 words, timed) and the content-hash cache
embeds each chunk once.

The "before" side runs the same pipeline with the three old consumers put back (their code is
copied below, unchanged, as the reference); "after" is the code as it is. Both runs, on
- the seed-7 benchmark sample of tests/golden_tables.py (16 videos with media, minilm), and
- the 5 real Action100M videos of ../shared/data/action100m/examples-public.parquet (no media),
report: distinct transcript texts embedded (and the MiniLM word-piece length of each: how many
exceed its 128-piece window and get truncated), rows in ``text_cache`` (every text the run's
MiniLM embedded), per-signal max / mean absolute difference of the values, the confidence
difference, the cosine between old and new transcript-lens vectors, and the seed-7 AUROC.

Usage: python benchmarks/transcript_chunking.py [--workdir DIR] [--synthetic-videos N]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
REAL = ROOT.parent / "shared" / "data" / "action100m" / "examples-public.parquet"
if not REAL.exists():
    REAL = Path("/work/shared/data/action100m/examples-public.parquet")
MODEL = "minilm"
WINDOW = 128  # MiniLM's max_seq_length, in word pieces (with [CLS] and [SEP])


# ----------------------------------------------------------------- the old consumers (reference)

def old_signal_chunks(entries, max_words: int = 40) -> list[tuple[float, float, str]]:
    """signals/context.transcript_chunks before: consecutive entries until >= max_words words."""
    chunks: list[tuple[float, float, str]] = []
    cur: list[str] = []
    start = end = None
    for e in entries or []:
        text = (e.get("text") or "").strip()
        if not text or e.get("start") is None:
            continue
        if start is None:
            start = e["start"]
        cur.append(text)
        end = e["end"] if e.get("end") is not None else e["start"]
        if sum(len(t.split()) for t in cur) >= max_words:
            chunks.append((start, end, " ".join(cur)))
            cur, start = [], None
    if cur:
        chunks.append((start, end, " ".join(cur)))
    return chunks


def old_lens_chunks(entries: Sequence[dict], max_words: int = 64) -> list[tuple[str, int]]:
    """lenses/transcript.chunk_entries before: words packed across entries, untimed."""
    chunks: list[tuple[str, int]] = []
    cur: list[str] = []
    for e in entries:
        ws = (e.get("text") or "").split()
        while ws:
            room = max_words - len(cur)
            if room <= 0:
                chunks.append((" ".join(cur), len(cur)))
                cur, room = [], max_words
            cur.extend(ws[:room])
            ws = ws[room:]
    if cur:
        chunks.append((" ".join(cur), len(cur)))
    return chunks


def old_lens_texts(entries: Sequence[dict]) -> list[str]:
    """Every text the old transcript lens embedded for one video: packed chunks + each entry."""
    out = [t for t, _ in old_lens_chunks(entries)]
    for e in entries:
        out += [t for t, _ in old_lens_chunks([e])]
    return out


def old_embed_video_and_windows(videos, embed, max_words: int = 64):
    """lenses/transcript.embed_video_and_windows before (video: chunks; window: its entries)."""
    from videoaudit.lenses.transcript import pool

    def overlaps(e, s, t):
        es, ee = e.get("start"), e.get("end")
        return es is not None and es < t and (es if ee is None else ee) > s

    texts: list[str] = []
    plan = []
    for entries, windows in videos:
        chunks = old_lens_chunks(entries, max_words)
        c0 = len(texts)
        texts += [t for t, _ in chunks]
        per_entry = []
        for e in entries:
            pieces = old_lens_chunks([e], max_words)
            per_entry.append((len(texts), [n for _, n in pieces]))
            texts += [t for t, _ in pieces]
        plan.append((c0, [n for _, n in chunks], per_entry, entries, windows))
    vecs = embed(texts) if texts else np.zeros((0, 1), np.float32)
    out = []
    for c0, counts, per_entry, entries, windows in plan:
        video = pool(vecs[c0:c0 + len(counts)], counts) if counts else None
        wins = []
        for s, t in windows:
            idx, w = [], []
            for e, (i0, ns) in zip(entries, per_entry):
                if overlaps(e, s, t):
                    idx += range(i0, i0 + len(ns))
                    w += ns
            wins.append(pool(vecs[idx], w) if idx else None)
        out.append((video, wins))
    return out


@contextlib.contextmanager
def before():
    """The pipeline with the old chunkings in place of the one chunker."""
    import videoaudit.evidence.sources as sources
    import videoaudit.lenses.transcript as lens
    import videoaudit.signals.context as context
    from videoaudit.transcripts import Chunk

    def signal_chunks(entries):
        return [Chunk(s, e, t, len(t.split())) for s, e, t in old_signal_chunks(entries)]

    saved = (context.chunk_transcript, lens.embed_video_and_windows, sources._transcript_chunks)
    context.chunk_transcript = signal_chunks
    lens.embed_video_and_windows = old_embed_video_and_windows
    sources._transcript_chunks = lambda entries: old_signal_chunks(list(entries or []), max_words=25)
    try:
        yield
    finally:
        context.chunk_transcript, lens.embed_video_and_windows, sources._transcript_chunks = saved


# ----------------------------------------------------------------------------- measurements

def text_counts(transcripts: list[list[dict]], tokenizer) -> dict:
    """Distinct transcript strings each way, and how many exceed MiniLM's window."""
    from videoaudit.transcripts import chunk_transcript

    old_sig = {c[2] for t in transcripts for c in old_signal_chunks(t)}
    old_lens = {s for t in transcripts for s in old_lens_texts([e for e in t if (e.get("text") or "").strip()])}
    new = {c.text for t in transcripts for c in chunk_transcript(t)}

    def over(texts):
        if tokenizer is None or not texts:
            return None
        lens_ = [len(ids) for ids in tokenizer(sorted(texts), add_special_tokens=True)["input_ids"]]
        return {"over_window": int(sum(n > WINDOW for n in lens_)), "max_pieces": int(max(lens_)),
                "mean_pieces": round(float(np.mean(lens_)), 1)}

    words = sum(len((e.get("text") or "").split()) for t in transcripts for e in t)
    return {"videos_with_transcript": sum(1 for t in transcripts if t), "transcript_words": words,
            "before": {"signals": len(old_sig), "lens": len(old_lens), "total": len(old_sig | old_lens),
                       "signals_pieces": over(old_sig), "lens_pieces": over(old_lens)},
            "after": {"total": len(new), "pieces": over(new)}}


def _keyed(t: pa.Table, keys: Sequence[str], value: str) -> dict:
    cols = [t.column(k).to_pylist() for k in keys]
    return dict(zip(zip(*cols), t.column(value).to_pylist()))


def value_deltas(a: pa.Table, b: pa.Table, keys: Sequence[str], group: str | None, value: str = "value") -> dict:
    """Per ``group`` value (the signal): max / mean |a - b| over rows both have, and rows that differ in presence."""
    va, vb = _keyed(a, keys, value), _keyed(b, keys, value)
    per: dict[str, dict] = {}
    for k in set(va) | set(vb):
        g = k[keys.index(group)] if group else value
        x, y = va.get(k), vb.get(k)
        d = per.setdefault(g, {"diffs": [], "presence": 0})
        if x is None or y is None:
            d["presence"] += (x is None) != (y is None)
        else:
            d["diffs"].append(abs(float(x) - float(y)))
    out = {}
    for g, d in sorted(per.items()):
        diffs = d["diffs"]
        if not diffs and not d["presence"]:
            continue
        mx = max(diffs) if diffs else 0.0
        if mx == 0.0 and not d["presence"]:
            continue  # unchanged: listed under "unchanged"
        out[g] = {"max_abs": round(mx, 6), "mean_abs": round(float(np.mean(diffs)), 6) if diffs else 0.0,
                  "rows": len(diffs), "presence_changed": d["presence"]}
    return out


def lens_cosines(a: pa.Table, b: pa.Table) -> dict | None:
    if not a.num_rows or not b.num_rows:
        return None
    va = {(r["video_id"], r["segment_id"]): np.asarray(r["vector"]) for r in a.to_pylist()}
    vb = {(r["video_id"], r["segment_id"]): np.asarray(r["vector"]) for r in b.to_pylist()}
    common = sorted(set(va) & set(vb), key=str)
    cos = [float(va[k] @ vb[k] / (np.linalg.norm(va[k]) * np.linalg.norm(vb[k]))) for k in common]
    return {"rows_before": len(va), "rows_after": len(vb), "common": len(common),
            "min_cosine": round(min(cos), 4), "mean_cosine": round(float(np.mean(cos)), 4)}


def table_diffs(tb: dict[str, pa.Table], ta: dict[str, pa.Table]) -> dict:
    """How many canonical rows of each table differ (the golden test's view)."""
    from golden_tables import canonical, diff

    out = {}
    for name in sorted(set(tb) | set(ta)):
        if name not in tb or name not in ta:
            out[name] = "present on one side only"
            continue
        problems = diff(name, canonical(ta[name]), canonical(tb[name]))
        if problems:
            out[name] = problems[0][:200]
    return out


def run_case(work: Path, ingest, model: str = MODEL) -> dict:
    """Ingest + run twice (before, after); everything the two runs differ in."""
    from videoaudit import Workspace

    res, tables, aurocs = {}, {}, {}
    for side in ("before", "after"):
        ws = Workspace(work / f"ws-{side}", text_model=model)
        truth = ingest(ws)
        with before() if side == "before" else contextlib.nullcontext():
            ws.run()
        tables[side] = {n: ws.store.read(n) for n in sorted(ws.store.names()) if n != "text_cache"}
        res[f"text_cache_rows_{side}"] = ws.store.count("text_cache")
        if truth is not None:
            from videoaudit.evaluate import detection

            aurocs[side] = detection(ws.confidence_map(), truth)["auroc"]
    b, a = tables["before"], tables["after"]
    res["signals"] = value_deltas(b["signals"], a["signals"], ["video_id", "segment_id", "signal"], "signal")
    res["video_signals"] = value_deltas(b["video_signals"], a["video_signals"], ["video_id", "signal"], "signal")
    res["confidence"] = value_deltas(b["confidence"], a["confidence"], ["video_id", "segment_id"], None,
                                     "confidence")
    res["video_confidence"] = value_deltas(b["video_confidence"], a["video_confidence"], ["video_id"], None,
                                           "confidence")
    tiers = _keyed(b["confidence"], ["video_id", "segment_id"], "tier"), _keyed(a["confidence"],
                                                                                 ["video_id", "segment_id"], "tier")
    res["tier_changes"] = sum(tiers[0].get(k) != v for k, v in tiers[1].items())
    if "embeddings_transcript" in b:
        res["transcript_lens"] = lens_cosines(b["embeddings_transcript"], a["embeddings_transcript"])
    res["tables_that_differ"] = table_diffs(b, a)
    if aurocs:
        res["auroc"] = aurocs
    return res


def seed7_case(work: Path) -> tuple[dict, list]:
    from golden_tables import SEED, VIDEOS
    from videoaudit.evaluate import read_truth
    from videoaudit.sample import write_sample

    info = write_sample(work / "seed7", videos=VIDEOS, seed=SEED, media=True)

    def ingest(ws):
        ws.ingest(info["paths"]["annotations"], format="action100m", media=info["paths"]["videos"])
        ws.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
        return read_truth(info["paths"]["truth"])

    return run_case(work, ingest), _transcripts(info["paths"]["annotations"])


def synthetic_case(work: Path, videos: int) -> tuple[dict, list]:
    """The no-media synthetic sample of benchmarks/audit_accuracy.py (seed 7), ``videos`` of it."""
    from videoaudit.evaluate import read_truth
    from videoaudit.sample import write_sample

    info = write_sample(work / "synthetic", videos=videos, seed=7, media=False)

    def ingest(ws):
        ws.ingest(info["paths"]["annotations"])
        ws.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
        return read_truth(info["paths"]["truth"])

    return run_case(work / "synthetic-ws", ingest), _transcripts(info["paths"]["annotations"])


def real_case(work: Path) -> tuple[dict, list]:
    def ingest(ws):
        ws.ingest(REAL, format="action100m")
        return None

    return run_case(work, ingest), _transcripts(REAL)


def _transcripts(path) -> list[list[dict]]:
    """The timed transcript of every video of a release file, as ingest makes it."""
    from videoaudit.formats.action100m import iter_release
    from videoaudit.ingest.action100m import convert_release_row

    return [list(convert_release_row(row).video["transcript"] or []) for row in iter_release(path)]


def _tokenizer():
    try:
        from videoaudit.models import get

        return get("text", MODEL).model.tokenizer
    except Exception as exc:  # noqa: BLE001  the piece counts are optional
        print(f"no MiniLM tokenizer ({type(exc).__name__}: {exc}); piece counts skipped", file=sys.stderr)
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--synthetic-videos", type=int, default=0,
                    help="also the no-media synthetic sample of audit_accuracy.py (0: skip)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        tok = _tokenizer()
        out = {}
        for name, case in (("seed7", seed7_case), ("real", real_case)):
            res, transcripts = case(work / name)
            out[name] = {"texts": text_counts(transcripts, tok), **res}
            print(name, json.dumps(out[name]["texts"]), file=sys.stderr)
        if args.synthetic_videos:
            res, transcripts = synthetic_case(work / "synthetic", args.synthetic_videos)
            out["synthetic"] = {"videos": args.synthetic_videos, "texts": text_counts(transcripts, tok), **res}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
