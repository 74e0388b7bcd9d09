"""The report's lens section: what each embedding space shows about the dataset.

Built only from the stored lens tables (``lens_videos``, ``cross_lens``) plus the
confidence and thumbnails the report already has; absent (None) when no lens ran.

* per lens, a 2-D map (inline SVG scatter of ``map_x`` / ``map_y``) whose points can be
  coloured by category, confidence or tier with a small inline script (every colour is
  precomputed here into ``data-`` attributes, so the script only copies one into ``fill``);
  "category" is the dataset's own (``videos.metadata`` key ``category``) where it has one,
  else the lens's stored zero-shot label;
* the most unique and the most representative videos, with a thumbnail;
* near-duplicate pairs;
* the cross-lens panel: per pair of lenses, the distribution of the per-video Jaccard
  overlap of k-nearest neighbours, and the videos with the least overlap; with the stored
  video vectors, concrete pairs both ways (:func:`contrast_pairs`): neighbours in one lens
  that are far apart in the other (visual vs transcript: "look alike but talked about
  differently", and the reverse).
"""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pyarrow as pa
from markupsafe import Markup, escape

from .style import TIER_COLORS, conf_color, data_uri, num

MAX_PAIR_VIDEOS = 20000  # contrast pairs need all-pairs similarities: skipped beyond this
MAX_POINTS = 3000  # per map: beyond this the page gets heavy; the lowest-confidence videos are kept
TOP = 6  # videos per "most unique" / "most representative" / "least overlap" list
MAX_PAIRS = 30  # near-duplicate pairs shown per lens
PALETTE = ("#4f6bd8", "#c8413b", "#2f8f5b", "#d99a22", "#8a56c2", "#1b9aaa", "#b5517a", "#5f7d2b",
           "#e07b39", "#3c4a5e", "#a0a033", "#d46fb5")
OTHER = "#9aa3ad"


def _category_of(videos: list[dict]) -> dict[str, str]:
    out = {}
    for v in videos:
        try:
            meta = json.loads(v.get("metadata") or "{}")
        except (TypeError, ValueError):
            continue
        cat = meta.get("category") if isinstance(meta, dict) else None
        if isinstance(cat, str) and cat:
            out[v["video_id"]] = cat
    return out


def map_svg(points: list[dict], dom: str, width: int = 460, height: int = 320, pad: int = 14) -> Markup:
    """Scatter of ``points`` (x, y, colours, title); every text escaped."""
    xs = np.array([p["x"] for p in points], float)
    ys = np.array([p["y"] for p in points], float)
    x0, x1 = (float(xs.min()), float(xs.max())) if len(xs) else (0.0, 1.0)
    y0, y1 = (float(ys.min()), float(ys.max())) if len(ys) else (0.0, 1.0)
    sx = (width - 2 * pad) / ((x1 - x0) or 1.0)
    sy = (height - 2 * pad) / ((y1 - y0) or 1.0)
    out = [f'<svg class="lensmap" id="{escape(dom)}" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="2-D map of the videos">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfcfd" stroke="#e3e7ec"/>']
    for p in points:
        cx = pad + (p["x"] - x0) * sx if x1 > x0 else width / 2
        cy = height - pad - (p["y"] - y0) * sy if y1 > y0 else height / 2
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{p["category"]}" '
                   f'data-category="{p["category"]}" data-confidence="{p["confidence"]}" data-tier="{p["tier"]}">'
                   f'<title>{escape(p["title"])}</title></circle>')
    out.append("</svg>")
    return Markup("".join(out))


def contrast_pairs(ids: list[str], a: np.ndarray, b: np.ndarray, k: int = 5, top: int = TOP,
                   chunk: int = 256) -> list[dict]:
    """Pairs that are among each other's k nearest in space ``a`` yet far apart in space ``b``.

    For each video i and each of its k nearest neighbours j in ``a`` (cosine), ``far`` =
    the share of the other videos that are closer to i than j is, in ``b`` (1 = j is the
    farthest video from i in b). Cosines of two spaces are not comparable, ranks are.
    Returns the ``top`` unordered pairs with the highest ``far`` (ties: the closer in a
    first): ``{"a_id", "b_id", "sim_a", "sim_b", "far"}``.
    """
    from ..signals.neighbours import knn_other_groups

    n = len(ids)
    if n < 3:
        return []
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    idx, sim = knn_other_groups(a, a, ids, ids, k=min(k, n - 1), one_per_group=False)
    best: dict[tuple[int, int], dict] = {}
    for s0 in range(0, n, chunk):
        bs = b[s0:s0 + chunk] @ b.T  # (c, n)
        rows = np.arange(s0, min(n, s0 + chunk))
        np.fill_diagonal(bs[:, s0:s0 + len(rows)], np.inf)  # i itself is never "closer"
        nb = idx[rows]
        sb = np.take_along_axis(bs, np.maximum(nb, 0), axis=1)  # (c, k)
        closer = (bs[:, None, :] > sb[:, :, None]).sum(-1) - 1  # videos closer to i than j in b (minus i)
        far = closer / max(n - 2, 1)
        for r, i in enumerate(rows):
            for m, j in enumerate(nb[r]):
                if j < 0:
                    continue
                key = (min(i, j), max(i, j))
                rec = {"a_id": ids[key[0]], "b_id": ids[key[1]], "sim_a": float(sim[i, m]),
                       "sim_b": float(sb[r, m]), "far": float(far[r, m])}
                if key not in best or rec["far"] > best[key]["far"]:
                    best[key] = rec
    return sorted(best.values(), key=lambda r: (-r["far"], -r["sim_a"]))[:top]


def _thumb(thumbnails: dict, vid: str) -> str | None:
    ts = sorted((t for t in (thumbnails or {}).get(vid, []) if t and t[1]), key=lambda t: num(t[0]) or 0.0)
    return data_uri(ts[len(ts) // 2][1]) if ts else None


def _categories(rows: list[dict], own_cat: dict[str, str], zero_shot: dict[str, str]):
    """(category per video, where categories come from, categories by count, colour per category)."""
    cat_of = {r["video_id"]: own_cat.get(r["video_id"]) or r.get("zero_shot_label") or zero_shot.get(r["video_id"])
              for r in rows}
    cat_source = ("dataset" if own_cat else "zero-shot label") if any(cat_of.values()) else None
    counts: dict[str, int] = defaultdict(int)
    for c in cat_of.values():
        if c:
            counts[c] += 1
    cats = sorted(counts, key=lambda c: (-counts[c], c))
    colour = {c: PALETTE[i] if i < len(PALETTE) else OTHER for i, c in enumerate(cats)}
    return cat_of, cat_source, counts, cats, colour


def _map_points(mapped: list[dict], cat_of: dict, colour: dict, vconf: dict, title_of: dict) -> list[dict]:
    points = []
    for r in reversed(mapped):  # lowest confidence drawn last (on top)
        vid = r["video_id"]
        vc = vconf.get(vid, {})
        c = num(vc.get("confidence"))
        tier = vc.get("tier")
        points.append({
            "x": float(r["map_x"]), "y": float(r["map_y"]),
            "category": colour.get(cat_of.get(vid), OTHER), "confidence": conf_color(c),
            "tier": TIER_COLORS.get(tier, OTHER),
            "title": f"{vid} · {title_of.get(vid) or ''}\ncategory: {cat_of.get(vid) or '—'}"
                     f" · confidence: {'—' if c is None else f'{c:.2f}'} · tier: {tier or '—'}",
        })
    return points


def _lens_panel(lens: str, rows: list[dict], dom: str, own_cat: dict, zero_shot: dict, title_of: dict,
                vconf: dict, thumbnails: dict) -> dict:
    """One lens's map, most unique / representative videos and near-duplicate pairs."""
    cat_of, cat_source, counts, cats, colour = _categories(rows, own_cat, zero_shot)
    mapped = [r for r in rows if num(r.get("map_x")) is not None and num(r.get("map_y")) is not None]
    mapped.sort(key=lambda r: (num(vconf.get(r["video_id"], {}).get("confidence")) or 0.0))
    mapped = mapped[:MAX_POINTS]
    points = _map_points(mapped, cat_of, colour, vconf, title_of)

    def card(r: dict, key: str) -> dict:
        vid = r["video_id"]
        return {"video_id": vid, "title": title_of.get(vid), "value": num(r.get(key)),
                "pct": num(r.get("uniqueness_pct")), "thumb": _thumb(thumbnails, vid),
                "confidence": num(vconf.get(vid, {}).get("confidence"))}

    uniq = sorted((r for r in rows if num(r.get("uniqueness")) is not None), key=lambda r: -r["uniqueness"])
    rep = sorted((r for r in rows if num(r.get("representativeness")) is not None),
                 key=lambda r: -r["representativeness"])
    pairs = sorted({tuple(sorted((r["video_id"], d))) for r in rows for d in (r.get("near_duplicates") or [])
                    if d and d != r["video_id"]})
    return {
        "lens": lens, "backend": rows[0].get("backend"), "method": rows[0].get("map_method"),
        "n": len(rows), "n_mapped": len(mapped), "dom": dom,
        "svg": map_svg(points, dom) if points else None,
        "legend": [(c, colour[c], counts[c]) for c in cats[:len(PALETTE)]] + (
            [("other", OTHER, sum(counts[c] for c in cats[len(PALETTE):]))] if len(cats) > len(PALETTE) else []),
        "cat_source": cat_source,
        "unique": [card(r, "uniqueness") for r in uniq[:TOP]],
        "representative": [card(r, "representativeness") for r in rep[:TOP]],
        "pairs": [{"a": a, "b": b, "ta": title_of.get(a), "tb": title_of.get(b)} for a, b in pairs[:MAX_PAIRS]],
        "n_pairs": len(pairs),
    }


def _cross_panels(cl: list[dict], title_of: dict, thumbnails: dict) -> list[dict]:
    """Per pair of lenses: the Jaccard distribution and the videos with the least overlap."""
    cross = []
    by_pair: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in cl:
        by_pair[(r["lens_a"], r["lens_b"])].append(r)
    for (a, b), rows in sorted(by_pair.items()):
        vals = [float(r["jaccard"]) for r in rows if num(r.get("jaccard")) is not None]
        low = sorted((r for r in rows if num(r.get("jaccard")) is not None), key=lambda r: r["jaccard"])[:TOP]
        if {a, b} == {"visual", "transcript"}:
            meaning = "look alike but are talked about differently (or the reverse)"
        else:
            meaning = f"are neighbours in the {a} lens but not in the {b} lens (or the reverse)"
        cross.append({
            "a": a, "b": b, "k": rows[0].get("k"), "n": len(vals), "values": vals,
            "mean": float(np.mean(vals)) if vals else None, "median": float(np.median(vals)) if vals else None,
            "meaning": meaning,
            "low": [{"video_id": r["video_id"], "title": title_of.get(r["video_id"]), "jaccard": float(r["jaccard"]),
                     "thumb": _thumb(thumbnails, r["video_id"])} for r in low],
        })
    return cross


def _contrast_label(first: str, second: str) -> str:
    if (first, second) == ("visual", "transcript"):
        return "look alike but are talked about differently"
    if (first, second) == ("transcript", "visual"):
        return "are talked about alike but look different"
    return f"are neighbours in {first} but far apart in {second}"


def _contrast_panels(c: dict, vectors: dict | None, title_of: dict, thumbnails: dict) -> list[dict]:
    """Concrete pairs both ways between the two lenses of the cross panel ``c`` (needs the vectors)."""
    va, vb = (vectors or {}).get(c["a"]), (vectors or {}).get(c["b"])
    if va is None or vb is None:
        return []
    common = sorted(set(va[0]) & set(vb[0]))
    if not (3 <= len(common) <= MAX_PAIR_VIDEOS):
        return []
    pa_, pb_ = ({v: i for i, v in enumerate(x[0])} for x in (va, vb))
    A = va[1][[pa_[v] for v in common]]
    B = vb[1][[pb_[v] for v in common]]
    k = int(c["k"] or 5)
    out = []
    for first, second, A1, B1 in ((c["a"], c["b"], A, B), (c["b"], c["a"], B, A)):
        pairs = contrast_pairs(common, A1, B1, k=k)
        for p in pairs:
            p["ta"], p["tb"] = title_of.get(p["a_id"]), title_of.get(p["b_id"])
            p["thumb_a"], p["thumb_b"] = _thumb(thumbnails, p["a_id"]), _thumb(thumbnails, p["b_id"])
        out.append({"near": first, "far": second, "label": _contrast_label(first, second), "pairs": pairs})
    return out


def lens_context(lens_videos: pa.Table | None, cross_lens: pa.Table | None, videos: list[dict],
                 vconf: dict[str, dict], thumbnails: dict,
                 vectors: dict[str, tuple[list[str], np.ndarray]] | None = None) -> dict | None:
    """Template context of the lens section, or None when no lens ran.

    ``vectors``: per lens, the video ids and their (n, d) video-level vectors, for the
    concrete cross-lens pairs (optional).
    """
    lv = lens_videos.to_pylist() if lens_videos is not None and lens_videos.num_rows else []
    cl = cross_lens.to_pylist() if cross_lens is not None and cross_lens.num_rows else []
    if not lv and not cl:
        return None
    title_of = {v["video_id"]: v.get("title") for v in videos}
    own_cat = _category_of(videos)
    by_lens: dict[str, list[dict]] = defaultdict(list)
    for r in lv:
        by_lens[r["lens"]].append(r)
    zero_shot = {}
    for r in lv:
        if r.get("zero_shot_label") and r["video_id"] not in zero_shot:
            zero_shot[r["video_id"]] = r["zero_shot_label"]
    order = sorted(by_lens, key=lambda n: (("visual", "grounding", "transcript") + (n,)).index(n))
    lenses = [_lens_panel(lens, by_lens[lens], f"lensmap-{i}", own_cat, zero_shot, title_of, vconf, thumbnails)
              for i, lens in enumerate(order)]
    cross = _cross_panels(cl, title_of, thumbnails)
    for c in cross:
        c["pairs"] = _contrast_panels(c, vectors, title_of, thumbnails)
    return {"lenses": lenses, "cross": cross, "tier_colors": TIER_COLORS}
