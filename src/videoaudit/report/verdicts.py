"""Report context for verdicts and the cascade's savings (kept out of html.py: one concept)."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

LABEL = {"annotation": "grounding sides with the annotation", "second_opinion": "grounding sides with the second opinion",
         "diverge": "all diverge", "undecided": "disagreement not decided", "paraphrase": "only a paraphrase",
         "agree": "agree"}


def verdict_lookup(verdicts: pa.Table | None) -> dict[tuple[str, str], tuple[str, str]]:
    if verdicts is None or not verdicts.num_rows:
        return {}
    return {(r["video_id"], r["segment_id"]): (r["verdict"], r["reason"]) for r in verdicts.to_pylist()
            if r["segment_id"] is not None}


def verdicts_ctx(verdicts: pa.Table | None, cascade: dict | None, limit: int = 60) -> dict | None:
    if (verdicts is None or not verdicts.num_rows) and not cascade:
        return None
    from ..opinions.adjudication import VERDICTS_ORDER as ORDER
    rows = verdicts.to_pylist() if verdicts is not None else []
    seg = [r for r in rows if r["segment_id"] is not None]
    vid = [r for r in rows if r["segment_id"] is None]
    cs, cv = Counter(r["verdict"] for r in seg), Counter(r["verdict"] for r in vid)
    counts = [{"verdict": k, "label": LABEL.get(k, k), "segments": cs[k], "videos": cv[k]}
              for k in list(ORDER) + sorted(set(cs) | set(cv) - set(ORDER)) if cs[k] or cv[k]]
    decided = sorted((r for r in seg if r["verdict"] in ("annotation", "second_opinion", "diverge")),
                     key=lambda r: (ORDER.index(r["verdict"]), r["video_id"], r["segment_id"]))
    weights = rows[0]["weights"] if rows else None
    if cascade:
        from ..opinions.cascade import source_note

        cascade = {**cascade, "note": source_note(cascade)}
    return {"counts": counts, "decided": decided[:limit], "n_decided": len(decided), "weights": weights,
            "cascade": cascade}
