"""How fast are claims read and checked, and what do they find, on real Action100M text?

On the 5 real videos of ../shared/data/action100m/examples-public.parquet:
- ``texts_per_s`` / ``tokens_per_s``: ``extract_claims`` over every distinct annotation and
  caption text (a warm pipeline; the first load is reported apart as ``load_s``);
- ``seconds_per_video``: ``evidence.audit_video`` per real video (extraction of every distinct text
  + matching every claim against every source of its segment), mean and per video;
- what the audit says of these (unfaulted) annotations: share of claims supported /
  contradicted / unchecked, mean evidence coverage, copies found.

- with ``--planted N``: on the N smallest videos, simple word swaps planted one kind at a time into
  every audited segment whose field has the word (actor gender man<->woman, a count two<->four,
  a colour red<->blue / black<->white, open<->close): the share of swapped claims the audit then
  calls contradicted, beside the share of the same claims contradicted before the swap. These
  swaps are this script's own, not the benchmark injector's; nothing was tuned on them.

Usage: python benchmarks/claims.py [--parquet PATH] [--planted N]. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
REAL = ROOT.parent / "shared" / "data" / "action100m" / "examples-public.parquet"
TEXT_FIELDS = ("summary_brief", "summary_detailed", "action_brief", "action_detailed", "actor",
               "plm_caption", "plm_action", "llama3_caption")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parquet", default=str(REAL if REAL.exists() else "/work/shared/data/action100m/examples-public.parquet"))
    ap.add_argument("--planted", type=int, default=0)
    args = ap.parse_args()
    from videoaudit.claims import extract_claims
    from videoaudit.claims.nlp import pipeline
    from videoaudit.evidence import audit_video
    from videoaudit.ingest import iter_source

    videos = [v for v in iter_source(args.parquet, "action100m")]
    t = time.perf_counter()
    pipeline()
    extract_claims(["A woman cracks two eggs into a bowl."], "summary_brief")
    load_s = time.perf_counter() - t

    by_field = {f: sorted({s[f] for v in videos for s in v.segments if isinstance(s.get(f), str)}) for f in TEXT_FIELDS}
    n_texts = sum(len(ts) for ts in by_field.values())
    n_tokens = sum(len(pipeline().make_doc(x)) for ts in by_field.values() for x in ts)
    t = time.perf_counter()
    n_claims = sum(len(cs) for f, ts in by_field.items() for cs in extract_claims(ts, f))
    extract_s = time.perf_counter() - t

    per_video, status, covs, copies, examples = {}, Counter(), [], 0, []
    for v in videos:
        t = time.perf_counter()
        audits = audit_video(v.video, v.segments)
        per_video[v.video["video_id"]] = {"seconds": round(time.perf_counter() - t, 2),
                                          "segments": len(v.segments), "audited": len(audits)}
        status.update(r.status for a in audits for r in a.claims)
        covs += [a.coverage for a in audits if a.coverage is not None]
        copies += sum(a.copy is not None for a in audits)
        examples += [x for a in audits for x in a.reasons(limit=1)][:2]
    total = sum(status.values())
    result = {
        "videos": len(videos), "load_s": round(load_s, 2), "texts": n_texts, "tokens": n_tokens,
        "claims": n_claims, "extract_s": round(extract_s, 2),
        "texts_per_s": round(n_texts / extract_s, 1), "tokens_per_s": round(n_tokens / extract_s),
        "seconds_per_video": round(sum(p["seconds"] for p in per_video.values()) / len(per_video), 2),
        "per_video": per_video,
        "claims_audited": total, **{f"share_{k}": round(status[k] / total, 4) for k in ("supported", "contradicted", "unchecked")},
        "mean_coverage": round(sum(covs) / len(covs), 4), "copies": copies, "example_reasons": examples,
        "load_average": os.getloadavg()[0],
    }
    if args.planted:
        result["planted"] = planted(sorted(videos, key=lambda v: len(v.segments))[: args.planted])
    for k, val in result.items():
        if k not in ("per_video", "example_reasons"):
            print(f"{k}: {val}")
    print(json.dumps(result))


SWAPS = {  # kind -> (field, {word: replacement})
    "gender": ("actor", {"man": "woman", "woman": "man", "men": "women", "women": "men"}),
    "count": ("summary_brief", {"two": "four", "four": "two", "three": "five"}),
    "colour": ("summary_detailed", {"red": "blue", "blue": "red", "black": "white", "white": "black",
                                    "green": "yellow"}),
    "antonym": ("action_detailed", {"open": "close", "opens": "closes", "close": "open", "closes": "opens",
                                    "removes": "adds", "adds": "removes", "remove": "add", "add": "remove"}),
}


def planted(videos) -> dict:
    """Share of swapped words whose claim the audit calls contradicted, per kind (see the docstring)."""
    import re

    from videoaudit.evidence import audit_video

    out = {}
    for kind, (field, table) in SWAPS.items():
        pattern = re.compile(r"\b(" + "|".join(table) + r")\b")
        hit = base = n = 0
        for v in videos:
            swapped = []
            for s in v.segments:
                text = s.get(field)
                if isinstance(text, str) and pattern.search(text):
                    swapped.append({**s, field: pattern.sub(lambda m: table[m.group(1)], text, count=1)})
                else:
                    swapped.append(s)
            changed = {s["segment_id"] for s, t in zip(v.segments, swapped) if s is not t}
            before = {a.segment_id: a for a in audit_video(v.video, v.segments) if a.segment_id in changed}
            after = {a.segment_id: a for a in audit_video(v.video, swapped) if a.segment_id in changed}
            for sid in changed:
                n += 1
                hit += any(r.status == "contradicted" for r in after[sid].claims if r.claim.field == field)
                base += any(r.status == "contradicted" for r in before[sid].claims if r.claim.field == field)
        out[kind] = {"segments": n, "contradicted_after": round(hit / n, 3) if n else None,
                     "contradicted_before": round(base / n, 3) if n else None}
    return out


if __name__ == "__main__":
    main()
