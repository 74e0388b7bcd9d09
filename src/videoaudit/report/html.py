"""Self-contained HTML audit report.

Everything the page needs is inline: CSS, SVG charts generated here, thumbnails
as ``data:`` URIs. Templates run with autoescape on because segment texts are
untrusted model output; every SVG string built in this module escapes its text
with :func:`markupsafe.escape` before it is wrapped in :class:`Markup`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pyarrow as pa
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape

from videoaudit import evaluate
from videoaudit import schema as S
from videoaudit.signal_values import parse_signals
from videoaudit.report.style import NULL_COLOR, TIER_COLORS, conf_color, data_uri, num
from videoaudit.report.verdicts import verdict_lookup, verdicts_ctx
from videoaudit.confidence.tiers import TIERS
from videoaudit.signals.base import FAMILIES as FAMILY_ORDER

TEMPLATES = Path(__file__).parent / "templates"

EVENT_COLORS = ("#4f6bd8", "#8a56c2", "#1b9aaa", "#b5517a", "#5f7d2b")

MAX_MAP_ROWS = 500  # confidence-map rows; the worst videos first
MAX_THUMBS = 12  # thumbnails shown per timeline
TITLE_CAP = 1500  # longest tooltip text


@dataclass
class ReportData:
    videos: pa.Table
    segments: pa.Table
    confidence: pa.Table
    video_confidence: pa.Table
    signals: pa.Table
    opinions: pa.Table
    thumbnails: dict[str, list[tuple[float, bytes]]] = field(default_factory=dict)
    truth: list[dict] | None = None
    extra: dict = field(default_factory=dict)
    lens_videos: pa.Table | None = None  # lens tables (schema.LENS_VIDEOS / CROSS_LENS); None = no lens ran
    cross_lens: pa.Table | None = None
    lens_vectors: dict | None = None  # {lens: (video ids, (n, d) video vectors)} for the cross-lens pairs
    verdicts: pa.Table | None = None  # opinions/adjudication.py rows
    cascade: dict | None = None  # opinions/cascade.py summary (model calls spent / avoided)


# --------------------------------------------------------------------------- helpers




def _rows(table: pa.Table | None, columns: Sequence[str]) -> list[dict]:
    """Rows of ``table`` as dicts with exactly ``columns`` (missing ones are None)."""
    if table is None or table.num_rows == 0:
        return []
    present = [c for c in columns if c in table.column_names]
    rows = table.select(present).to_pylist() if present else [{} for _ in range(table.num_rows)]
    if len(present) < len(columns):
        for r in rows:
            for c in columns:
                r.setdefault(c, None)
    return rows


def fmt_conf(c: Any) -> str:
    c = num(c)
    return "—" if c is None else f"{c:.2f}"


def fmt_pct(x: Any) -> str:
    x = num(x)
    return "—" if x is None else f"{100 * x:.1f}%"


def fmt_time(t: Any) -> str:
    t = num(t)
    if t is None:
        return "?"
    sign = "-" if t < 0 else ""
    t = abs(t)
    if t < 60:
        return f"{sign}{t:.1f}s"
    h, rem = divmod(t, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{sign}{int(h)}:{int(m):02d}:{int(s):02d}"
    return f"{sign}{int(m)}:{s:04.1f}"


def _cap(s: str, n: int = TITLE_CAP) -> str:
    return s if len(s) <= n else s[:n] + "…"


def clip(text: Any, n: int = 120) -> Markup:
    """Escaped text, truncated to ``n`` characters with the full text as a tooltip."""
    if text is None or text == "":
        return Markup('<span class="na">—</span>')
    s = str(text)
    if len(s) <= n:
        return escape(s)
    return Markup('<span class="clip" title="{}">{}…</span>').format(_cap(s), s[:n].rstrip())


def tier_badge(tier: Any) -> Markup:
    t = str(tier) if tier else "none"
    cls = t if t in TIERS else "none"
    return Markup('<span class="badge t-{}">{}</span>').format(cls, t if tier else "—")


def auroc(pos: Iterable[float], neg: Iterable[float]) -> float | None:
    """AUROC of scores ``pos`` (positives) vs ``neg`` (negatives), non-numbers dropped."""
    p = [float(v) for v in pos if num(v) is not None]
    n = [float(v) for v in neg if num(v) is not None]
    return evaluate.auroc(p + n, [True] * len(p) + [False] * len(n))


# --------------------------------------------------------------------------- SVG charts


def hist_svg(values: Sequence[float], nulls: int = 0, width: int = 190, height: int = 46,
             bins: int = 10, label: str = "") -> Markup:
    """Histogram of ``values`` over [0, 1] with a grey bar for nulls."""
    vals = np.clip(np.asarray([v for v in values if num(v) is not None], dtype=float), 0.0, 1.0)
    counts, edges = np.histogram(vals, bins=bins, range=(0.0, 1.0))
    null_w = 16 if nulls else 0
    axis_h = 11
    plot_h = height - axis_h
    plot_w = width - null_w - (4 if nulls else 0)
    bw = plot_w / bins
    top = max(int(counts.max()) if counts.size else 0, nulls, 1)
    parts = [f'<svg class="hist" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    if label:
        parts.append(Markup("<title>{}</title>").format(label))
    total = int(counts.sum()) + nulls
    for i, cnt in enumerate(counts):
        h = 0 if cnt == 0 else max(1.5, plot_h * cnt / top)
        x = i * bw
        lo, hi = edges[i], edges[i + 1]
        share = f" ({100 * cnt / total:.0f}%)" if total else ""
        parts.append(
            f'<rect x="{x + 0.5:.1f}" y="{plot_h - h:.1f}" width="{max(bw - 1, 1):.1f}" height="{h:.1f}" '
            f'fill="{conf_color((lo + hi) / 2)}"><title>[{lo:.1f}, {hi:.1f}{"]" if i == bins - 1 else ")"}: '
            f"{int(cnt)}{share}</title></rect>"
        )
    parts.append(f'<line x1="0" y1="{plot_h + 0.5}" x2="{plot_w:.1f}" y2="{plot_h + 0.5}" class="axis"/>')
    parts.append(f'<text x="0" y="{height - 1}" class="tick">0</text>')
    parts.append(f'<text x="{plot_w / 2:.1f}" y="{height - 1}" class="tick" text-anchor="middle">.5</text>')
    parts.append(f'<text x="{plot_w:.1f}" y="{height - 1}" class="tick" text-anchor="end">1</text>')
    if nulls:
        h = max(1.5, plot_h * nulls / top)
        x = width - null_w
        parts.append(
            f'<rect x="{x}" y="{plot_h - h:.1f}" width="{null_w - 1}" height="{h:.1f}" fill="{NULL_COLOR}" '
            f'class="nullbar"><title>null: {nulls}</title></rect>'
        )
        parts.append(f'<text x="{x + (null_w - 1) / 2:.1f}" y="{height - 1}" class="tick" text-anchor="middle">∅</text>')
    parts.append("</svg>")
    return Markup("".join(str(p) for p in parts))


def _lane_rows(segs: list[dict]) -> list[Any]:
    levels = sorted({s["level"] for s in segs if s["level"] is not None})
    if any(s["level"] is None for s in segs):
        levels.append(None)
    return levels


def strip_svg(segs: list[dict], duration: float, width: int = 240, height: int = 22) -> Markup:
    """Mini overview: one thin row per tree level, segments coloured by confidence."""
    parts = [f'<svg class="strip" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<rect x="0" y="0" width="{width}" height="{height}" class="stripbg"/>']
    levels = _lane_rows(segs)
    if levels and duration > 0:
        lh = height / len(levels)
        row = {lv: i for i, lv in enumerate(levels)}
        for s in segs:
            st, en = num(s["start"]), num(s["end"])
            if st is None or en is None:
                continue
            x0 = width * min(max(st, 0.0), duration) / duration
            x1 = width * min(max(en, 0.0), duration) / duration
            y = row[s["level"]] * lh
            parts.append(Markup(
                '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}</title></rect>'
            ).format(x0, y + 0.5, max(x1 - x0, 0.8), max(lh - 1, 1), conf_color(s["confidence"]),
                     f"{s['segment_id']} · L{s['level']} · {fmt_conf(s['confidence'])}"))
    else:
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" class="faint">no segments</text>')
    parts.append("</svg>")
    return Markup("".join(str(p) for p in parts))


def _pack(items: list[dict], max_rows: int) -> list[int]:
    """Greedy interval packing; returns a row per item (overlaps share the last rows)."""
    ends: list[float] = []
    rows = []
    for it in items:
        st = it["start"]
        for i, e in enumerate(ends):
            if e <= st + 1e-9:
                ends[i] = it["end"]
                rows.append(i)
                break
        else:
            if len(ends) < max_rows:
                ends.append(it["end"])
                rows.append(len(ends) - 1)
            else:
                i = int(np.argmin(ends))
                ends[i] = max(ends[i], it["end"])
                rows.append(i)
    return rows


def _fmt_tick(t: float) -> str:
    if abs(t - round(t)) > 1e-6:
        return f"{t:.1f}s"
    t = int(round(t))
    if t < 60:
        return f"{t}s"
    h, rem = divmod(t, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def _ticks(duration: float) -> list[float]:
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if duration / step <= 10:
            break
    n = int(duration / step + 1e-9)
    return [i * step for i in range(n + 1)]


_TL_W, _TL_LBL, _TL_R = 1100, 122, 14  # timeline width, label column, right margin
_TL_PW = _TL_W - _TL_LBL - _TL_R
_LANE_H, _LANE_GAP, _SUB_H = 20.0, 7.0, 12.0


@dataclass
class _TimelineCanvas:
    """A timeline SVG being drawn lane by lane, top to bottom (``y`` = the next lane's top)."""

    dur: float
    y: float = 26.0
    body: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def x(self, t: float) -> float:
        return _TL_LBL + _TL_PW * min(max(t, 0.0), self.dur) / self.dur

    def lane_label(self, text: str, yy: float, h: float, sub: str = "") -> None:
        self.labels.append(str(Markup('<text x="{}" y="{:.1f}" class="lane">{}</text>').format(
            _TL_LBL - 8, yy + h / 2 + 4, text)))
        if sub:
            self.labels.append(str(Markup('<text x="{}" y="{:.1f}" class="lanesub">{}</text>').format(
                _TL_LBL - 8, yy + h / 2 + 14, sub)))

    def segment(self, s: dict, lv: Any) -> None:
        st, en = num(s["start"]), num(s["end"])
        if st is None or en is None:
            return
        y, lane_h = self.y, _LANE_H
        x0, x1 = self.x(st), self.x(en)
        w = max(x1 - x0, 1.0)
        q = s.get("rank")
        title = (f"{s['segment_id']} · level {lv} · [{fmt_time(st)}–{fmt_time(en)}] · "
                 f"confidence {fmt_conf(s['confidence'])} · {s['tier'] or 'no tier'}")
        if q:
            title += f" · review queue #{q}"
        if s.get("summary_brief"):
            title += "\n" + _cap(str(s["summary_brief"]), 400)
        self.body.append(str(Markup(
            '<rect id="{}" class="seg{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{}" rx="2" fill="{}">'
            "<title>{}</title></rect>"
        ).format(s["dom_id"], " q" if q else "", x0, y, w, lane_h, conf_color(s["confidence"]), title)))
        if q and w >= 24:
            self.body.append(f'<text x="{x0 + w / 2:.1f}" y="{y + lane_h / 2 + 4:.1f}" class="qlabel" '
                             f'text-anchor="middle">#{q}</text>')

    def level_lanes(self, segs: list[dict]) -> None:
        """One lane per tree level, its segments coloured by confidence."""
        levels = _lane_rows(segs)
        by_level: dict[Any, list[dict]] = defaultdict(list)
        for s in segs:
            by_level[s["level"]].append(s)
        for lv in levels:
            self.body.append(f'<rect x="{_TL_LBL}" y="{self.y:.1f}" width="{_TL_PW}" height="{_LANE_H}" class="laneb"/>')
            self.lane_label("level ?" if lv is None else f"level {lv}", self.y, _LANE_H)
            for s in sorted(by_level[lv], key=lambda s: (num(s["start"]) or 0.0)):
                self.segment(s, lv)
            self.y += _LANE_H + _LANE_GAP
        if not levels:
            self.body.append(f'<text x="{_TL_LBL + 6}" y="{self.y + 14}" class="faint">no segments</text>')
            self.lane_label("segments", self.y, _LANE_H)
            self.y += _LANE_H + _LANE_GAP

    def interval_lane(self, items: list[dict], name: str, empty: str, colour_of, max_rows: int) -> None:
        """Intervals packed into at most ``max_rows`` sub-rows (opinion events, transcript)."""
        y = self.y
        items = sorted(items, key=lambda it: (it["start"], it["end"]))
        rows = _pack(items, max_rows) if items else []
        n_rows = max(rows) + 1 if rows else 1
        h = n_rows * _SUB_H + 4
        self.body.append(f'<rect x="{_TL_LBL}" y="{y:.1f}" width="{_TL_PW}" height="{h:.1f}" class="laneb alt"/>')
        self.lane_label(name, y, min(h, _LANE_H), f"{len(items)}" if items and h >= 26 else "")
        if not items:
            self.body.append(str(Markup('<text x="{}" y="{:.1f}" class="faint">{}</text>').format(
                _TL_LBL + 6, y + h / 2 + 4, empty)))
        for it, r in zip(items, rows):
            x0, x1 = self.x(it["start"]), self.x(it["end"])
            self.body.append(str(Markup(
                '<rect class="ev" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{}" rx="2" fill="{}"><title>{}</title></rect>'
            ).format(x0, y + 2 + r * _SUB_H, max(x1 - x0, 2.0), _SUB_H - 2, colour_of(it), it["title"])))
        self.y = y + h + _LANE_GAP

    def head(self, thumb_times: Sequence[float]) -> list[str]:
        """The svg element, the time axis with its grid, and the thumbnail marks."""
        H = self.y + 4
        W, R = _TL_W, _TL_R
        head = [f'<svg class="tl" viewBox="0 0 {W} {H:.0f}" width="100%" preserveAspectRatio="xMinYMin meet" role="img">']
        for t in _ticks(self.dur):
            xx = self.x(t)
            anchor = "end" if xx > W - R - 20 else "middle"
            head.append(f'<line x1="{xx:.1f}" y1="14" x2="{xx:.1f}" y2="{H - 4:.0f}" class="grid"/>')
            head.append(f'<text x="{xx:.1f}" y="11" class="tick" text-anchor="{anchor}">{escape(_fmt_tick(t))}</text>')
        head.append(f'<line x1="{_TL_LBL}" y1="18.5" x2="{_TL_LBL + _TL_PW}" y2="18.5" class="axis"/>')
        for t in thumb_times:
            xx = self.x(t)
            head.append(f'<path d="M{xx - 3.5:.1f} 14 L{xx + 3.5:.1f} 14 L{xx:.1f} 20 Z" class="thumbmark">'
                        f"<title>thumbnail at {escape(fmt_time(t))}</title></path>")
        return head


def timeline_svg(tl: dict) -> Markup:
    """Per-video timeline: a lane per tree level, opinion events, transcript, thumbnails ticks."""
    c = _TimelineCanvas(tl["duration"])
    c.level_lanes(tl["segments"])
    sources = sorted({e["source"] for e in tl["events"]})
    src_colour = {s: EVENT_COLORS[i % len(EVENT_COLORS)] for i, s in enumerate(sources)}
    c.interval_lane(tl["events"], "opinion events", "no opinion events", lambda it: src_colour[it["source"]], 4)
    c.interval_lane(tl["transcript"], "transcript", "no transcript", lambda it: "#7b8794", 2)
    return Markup("".join(c.head(tl["thumb_times"]) + c.body + c.labels + ["</svg>"]))


# --------------------------------------------------------------------------- context


def checked_summary(rows: list[dict]) -> dict:
    """How much of the dataset independent evidence could check, and what to add for the rest."""
    from ..confidence.fuse import evidence_summary

    return evidence_summary(rows)


def _tier_counts(rows: Iterable[dict]) -> dict[str, int]:
    c = Counter()
    for r in rows:
        t = r.get("tier")
        c[t if t in TIERS else "none"] += 1
    return {t: c.get(t, 0) for t in (*TIERS, "none")}


def _tier_shares(counts: dict[str, int]) -> list[dict]:
    total = sum(counts.values())
    return [{"tier": t, "n": n, "share": (n / total if total else 0.0)} for t, n in counts.items() if n or t != "none"]


def _stats(vals: list[float]) -> dict:
    arr = np.asarray(vals, dtype=float)
    if arr.size == 0:
        return {"mean": None, "median": None, "p10": None, "low": None}
    return {
        "mean": float(arr.mean()),
        "median": float(np.median(arr)),
        "p10": float(np.percentile(arr, 10)),
        "low": float((arr < 0.5).mean()),
    }


def _family_key(f: str) -> tuple[int, str]:
    return (FAMILY_ORDER.index(f) if f in FAMILY_ORDER else len(FAMILY_ORDER), f)


def _signals_ctx(table: pa.Table | None) -> tuple[list[dict], int, int]:
    if table is None or table.num_rows == 0 or "signal" not in table.column_names:
        return [], 0, 0
    cols = [c for c in ("signal", "family", "value") if c in table.column_names]
    df = table.select(cols).to_pandas()
    if "family" not in df:
        df["family"] = None
    if "value" not in df:
        df["value"] = np.nan
    df["family"] = df["family"].fillna("(no family)")
    df["signal"] = df["signal"].fillna("(unnamed)")
    df["value"] = df["value"].astype(float)
    families: dict[str, list[dict]] = defaultdict(list)
    for (fam, sig), g in df.groupby(["family", "signal"], sort=True):
        vals = g["value"].to_numpy()
        finite = vals[np.isfinite(vals)]
        nulls = int(vals.size - finite.size)
        st = _stats(finite.tolist())
        families[fam].append({
            "signal": sig, "n": int(vals.size), "nulls": nulls, **st,
            "hist": hist_svg(finite.tolist(), nulls, label=f"{sig}: {finite.size} values, {nulls} null"),
        })
    out = [{"family": f, "signals": families[f]} for f in sorted(families, key=_family_key)]
    return out, int(df.shape[0]), int(df["signal"].nunique())


def _truth_ctx(truth: list[dict] | None, conf_rows: list[dict], segs_by_video: dict[str, list[str]]) -> dict | None:
    if truth is None:
        return None
    faults = [r for r in truth if isinstance(r, dict) and r.get("type") == "fault"]
    scored = {(r["video_id"], r["segment_id"]): r for r in conf_rows}
    kinds_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    details: dict[str, list[str]] = defaultdict(list)
    records: Counter = Counter()
    video_level: Counter = Counter()
    for r in faults:
        kind = str(r.get("fault") or "(unspecified)")
        vid, sid = r.get("video_id"), r.get("segment_id")
        records[kind] += 1
        if r.get("detail"):
            details[kind].append(str(r["detail"]))
        if sid is None:  # a video-level fault marks every segment of the video
            video_level[kind] += 1
            for s in segs_by_video.get(vid, []):
                kinds_of[(vid, s)].add(kind)
        else:
            kinds_of[(vid, str(sid))].add(kind)

    def conf(key: tuple[str, str]) -> float | None:
        r = scored.get(key)
        return None if r is None else num(r["confidence"])

    clean = [r for k, r in scored.items() if k not in kinds_of and num(r["confidence"]) is not None]
    clean_conf = [num(r["confidence"]) for r in clean]
    clean_review = (sum(r["tier"] == "review" for r in clean) / len(clean)) if clean else None

    def row(kind: str, keys: list[tuple[str, str]]) -> dict:
        scored_keys = [k for k in keys if conf(k) is not None]
        vals = [conf(k) for k in scored_keys]
        review = [scored[k]["tier"] == "review" for k in scored_keys]
        a = auroc([1 - v for v in vals], [1 - v for v in clean_conf])
        return {
            "kind": kind, "records": records.get(kind, len(keys)), "segments": len(keys),
            "unscored": len(keys) - len(scored_keys), "video_level": video_level.get(kind, 0),
            "mean_faulted": float(np.mean(vals)) if vals else None,
            "mean_clean": float(np.mean(clean_conf)) if clean_conf else None,
            "review_share": (sum(review) / len(review)) if review else None,
            "auroc": a, "example": details[kind][0] if details.get(kind) else None,
        }

    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for k, ks in kinds_of.items():
        for kind in ks:
            by_kind[kind].append(k)
    for kind in records:
        by_kind.setdefault(kind, [])
    rows = [row(kind, by_kind[kind]) for kind in sorted(by_kind, key=lambda k: (-len(by_kind[k]), k))]
    overall = row("all faults", list(kinds_of))
    overall["records"] = len(faults)
    return {
        "rows": rows, "overall": overall, "n_clean": len(clean), "clean_review": clean_review,
        "n_records": len(faults),
    }


@dataclass
class _ReportView:
    """The report's tables as row dicts, joined once: every section reads from here."""

    videos: list[dict]
    segments: list[dict]
    conf_rows: list[dict]
    vconf_rows: list[dict]
    video_by_id: dict[str, dict]
    vconf_by_id: dict[str, dict]
    seg_index: dict[tuple[str, str], int]
    merged: dict[str, dict[str, dict]]  # per video: segment geometry overlaid by its confidence
    events_by_video: dict[str, list[dict]]
    all_ids: list[str]
    vdom: dict[str, str]  # DOM ids: arbitrary video/segment ids never reach an id attribute
    sdom: dict[tuple[str, str], str]

    @classmethod
    def build(cls, data: ReportData) -> "_ReportView":
        videos = _rows(data.videos, ["video_id", "title", "description", "duration", "full_duration", "transcript"])
        seg_cols = ["video_id", "segment_id", "level", "start", "end", "is_leaf", "summary_brief", "action_brief",
                    "actor"]
        segments = _rows(data.segments, seg_cols)
        conf_rows = _rows(data.confidence, ["video_id", "segment_id", "level", "start", "end", "confidence", "tier",
                                            "reasons"])
        vconf_rows = _rows(data.video_confidence, ["video_id", "confidence", "tier", "n_segments", "n_review",
                                                   "reasons"])
        opinions = _rows(data.opinions, ["video_id", "source", "kind", "text", "start", "end", "t"])
        for r in conf_rows:
            r["confidence"] = num(r["confidence"])
        for r in vconf_rows:
            r["confidence"] = num(r["confidence"])
        merged = _merge_segments(segments, conf_rows)
        all_ids = list(dict.fromkeys(r["video_id"] for src in (videos, vconf_rows, conf_rows, segments) for r in src))
        vdom = {vid: f"v{i}" for i, vid in enumerate(all_ids)}
        sdom = {(vid, sid): f"s-{vdom[vid]}-{j}" for vid, segs in merged.items() for j, sid in enumerate(segs)}
        return cls(videos, segments, conf_rows, vconf_rows, {v["video_id"]: v for v in videos},
                   {v["video_id"]: v for v in vconf_rows},
                   {(s["video_id"], s["segment_id"]): i for i, s in enumerate(segments)}, merged,
                   _events_by_video(opinions), all_ids, vdom, sdom)

    def duration_of(self, vid: str) -> float:
        v = self.video_by_id.get(vid, {})
        cands = [num(v.get("duration")) or 0.0]
        cands += [s["end"] for s in self.merged.get(vid, {}).values() if s["end"] is not None]
        cands += [e["end"] for e in self.events_by_video.get(vid, [])]
        d = max(cands) if cands else 0.0
        return d if d > 0 else 1.0

    def vkey(self, vid: str) -> tuple:
        """Worst video first (no confidence last), then by id."""
        c = self.vconf_by_id.get(vid, {}).get("confidence")
        return (c is None, c if c is not None else 0.0, str(vid))


def _merge_segments(segments: list[dict], conf_rows: list[dict]) -> dict[str, dict[str, dict]]:
    """Per video and segment: geometry from ``segments`` overlaid by confidence; a confidence row
    missing geometry gets it back (the review queue shows it)."""
    merged: dict[str, dict[str, dict]] = defaultdict(dict)
    for s in segments:
        merged[s["video_id"]][s["segment_id"]] = {
            "video_id": s["video_id"], "segment_id": s["segment_id"], "level": s["level"],
            "start": num(s["start"]), "end": num(s["end"]), "confidence": None, "tier": None,
            "summary_brief": s["summary_brief"],
        }
    for r in conf_rows:
        m = merged[r["video_id"]].setdefault(r["segment_id"], {
            "video_id": r["video_id"], "segment_id": r["segment_id"], "level": r["level"],
            "start": num(r["start"]), "end": num(r["end"]), "summary_brief": None,
        })
        m["confidence"], m["tier"] = r["confidence"], r["tier"]
        for k in ("level", "start", "end"):
            if m.get(k) is None and r[k] is not None:
                m[k] = num(r[k]) if k != "level" else r[k]
        for k in ("level", "start", "end"):
            if r[k] is None:
                r[k] = m.get(k)
    return merged


def _events_by_video(opinions: list[dict]) -> dict[str, list[dict]]:
    """Second-opinion events as timeline spans (a point event is a zero-length span)."""
    out: dict[str, list[dict]] = defaultdict(list)
    for o in opinions:
        if o["kind"] != "event":
            continue
        st, en = num(o["start"]), num(o["end"])
        if st is None and en is None:
            st = en = num(o["t"])
        if st is None:
            continue
        en = st if en is None else en
        if en < st:
            st, en = en, st
        out[o["video_id"]].append({
            "start": st, "end": en, "source": o["source"] or "?",
            "title": f"{o['source'] or '?'} [{fmt_time(st)}–{fmt_time(en)}]\n{_cap(str(o['text'] or ''), 600)}",
        })
    return out


def _errors_and_extra(extra: dict) -> tuple[Any, list[str], list[dict]]:
    """(error count, the first distinct error messages, the other extra items formatted)."""
    extra = dict(extra or {})
    errors = None
    for k in list(extra):
        if str(k).strip().lower() in ("errors", "error", "n_errors"):
            errors = extra.pop(k)
            break
    if isinstance(errors, dict):  # {"count": all recorded, "messages": the first distinct causes}
        errors_list, errors = [str(e) for e in errors.get("messages") or []], errors.get("count")
    elif isinstance(errors, (list, tuple)):
        errors_list, errors = [str(e) for e in errors], len(errors)
    else:
        errors_list = []
    items = []
    for k, v in extra.items():
        if isinstance(v, float):
            v = f"{v:,.4g}"
        elif isinstance(v, int) and not isinstance(v, bool):
            v = f"{v:,}"
        elif isinstance(v, (dict, list, tuple)):
            v = json.dumps(v, ensure_ascii=False, default=str)
        items.append({"key": str(k), "value": clip(v, 200)})
    return errors, errors_list, items


def _summary_ctx(data: ReportData, view: _ReportView, n_signal_values: int, n_signal_names: int) -> dict:
    conf_rows = view.conf_rows
    seg_conf = [r["confidence"] for r in conf_rows if r["confidence"] is not None]
    vid_conf = [r["confidence"] for r in view.vconf_rows if r["confidence"] is not None]
    seg_tiers = _tier_counts(conf_rows)
    errors, errors_list, extra_items = _errors_and_extra(data.extra)
    return {
        "n_videos": len(view.all_ids), "n_segments": len(view.segments) or len(conf_rows), "n_scored": len(conf_rows),
        "n_signal_values": n_signal_values, "n_signal_names": n_signal_names,
        "n_opinions": data.opinions.num_rows if data.opinions is not None else 0,
        "mean_conf": float(np.mean(seg_conf)) if seg_conf else None,
        "median_conf": float(np.median(seg_conf)) if seg_conf else None,
        "mean_video_conf": float(np.mean(vid_conf)) if vid_conf else None,
        "null_conf": len(conf_rows) - len(seg_conf),
        "seg_tiers": _tier_shares(seg_tiers), "vid_tiers": _tier_shares(_tier_counts(view.vconf_rows)),
        "review_share": (seg_tiers["review"] / len(conf_rows)) if conf_rows else None,
        **checked_summary(conf_rows),
        "errors": errors, "errors_list": errors_list, "extra": extra_items,
        "hist": hist_svg(seg_conf, len(conf_rows) - len(seg_conf), width=470, height=110, bins=20,
                         label="segment confidence"),
    }


def _levels_ctx(conf_rows: list[dict]) -> list[dict]:
    by_level: dict[Any, list[dict]] = defaultdict(list)
    for r in conf_rows:
        by_level[r["level"]].append(r)
    levels = []
    for lv in sorted(by_level, key=lambda v: (v is None, v if v is not None else 0)):
        rows = by_level[lv]
        vals = [r["confidence"] for r in rows if r["confidence"] is not None]
        levels.append({
            "level": "?" if lv is None else lv, "n": len(rows), "nulls": len(rows) - len(vals), **_stats(vals),
            "tiers": _tier_shares(_tier_counts(rows)),
            "hist": hist_svg(vals, len(rows) - len(vals), width=260, height=54, bins=20, label=f"level {lv}"),
        })
    return levels


def _fault_kinds(truth: list[dict] | None) -> dict[tuple[str, str | None], set[str]]:
    out: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for t in truth or []:
        if isinstance(t, dict) and t.get("type") == "fault":
            sid = t.get("segment_id")
            out[(t.get("video_id"), None if sid is None else str(sid))].add(str(t.get("fault") or "?"))
    return out


def _queue_ctx(data: ReportData, view: _ReportView, review_limit: int) -> tuple[list[dict], dict]:
    """The review queue (lowest confidence first, review/queue.py's plain order) and each queued
    segment's rank."""
    from ..review.queue import KEY_COLUMNS, queue_order

    conf_rows = view.conf_rows
    order: list[int] = []
    if conf_rows:
        t = data.confidence
        order = queue_order(t.select([c for c in KEY_COLUMNS if c in t.column_names]), explore=False)[0].tolist()
    fault_kinds = _fault_kinds(data.truth) if data.truth else {}
    has_sigs = data.confidence is not None and "signals" in data.confidence.column_names
    sig_col = data.confidence.column("signals") if has_sigs else None
    verdict_of = verdict_lookup(data.verdicts)
    rank_of: dict[tuple[str, str], int] = {}
    queue = []
    for rank, i in enumerate(order[: max(review_limit, 0)], start=1):
        r = conf_rows[i]
        key = (r["video_id"], r["segment_id"])
        rank_of[key] = rank
        seg = {}
        if key in view.seg_index and data.segments is not None:
            seg = data.segments.slice(view.seg_index[key], 1).to_pylist()[0]
        sigs = []
        if sig_col is not None:
            parsed = parse_signals(sig_col[i].as_py())
            sigs = sorted(((str(k), num(v)) for k, v in parsed.items()),
                          key=lambda kv: (kv[1] is None, kv[1] if kv[1] is not None else 0.0, kv[0]))
        details = [(f, seg.get(f)) for f in ("summary_detailed", "action_detailed", *S.CAPTION_FIELDS) if seg.get(f)]
        if key in verdict_of:
            details.insert(0, ("verdict", "%s: %s" % verdict_of[key]))
        queue.append({
            "rank": rank, "video_id": r["video_id"], "segment_id": r["segment_id"], "level": r["level"],
            "start": r["start"], "end": r["end"], "confidence": r["confidence"], "tier": r["tier"],
            "reasons": list(r["reasons"] or []),
            "summary_brief": seg.get("summary_brief"), "action_brief": seg.get("action_brief"),
            "actor": seg.get("actor"), "na_fields": list(seg.get("na_fields") or []),
            "details": details, "signals": [{"name": k, "value": v, "color": conf_color(v)} for k, v in sigs],
            "faults": sorted(fault_kinds.get(key, set()) | fault_kinds.get((r["video_id"], None), set())),
            "vdom": view.vdom[r["video_id"]], "sdom": view.sdom.get(key),
        })
    return queue, rank_of


def _transcript_spans(transcript, dur: float) -> list[dict]:
    spans = []
    for e in transcript or []:
        if not isinstance(e, dict):
            continue
        st, en = num(e.get("start")), num(e.get("end"))
        if st is None:
            continue
        en = st if en is None else en
        if st > dur:
            continue
        spans.append({"start": st, "end": min(en, dur), "title": f"[{fmt_time(st)}–{fmt_time(en)}] "
                      + _cap(str(e.get("text") or ""), 600)})
    return spans


def _timeline(data: ReportData, view: _ReportView, vid: str, rank_of: dict) -> dict:
    v = view.video_by_id.get(vid, {})
    vc = view.vconf_by_id.get(vid, {})
    dur = view.duration_of(vid)
    segs = [{**s, "rank": rank_of.get((vid, sid)), "dom_id": view.sdom[(vid, sid)]}
            for sid, s in view.merged.get(vid, {}).items()]
    thumbs = sorted((t for t in (data.thumbnails or {}).get(vid, []) if t and t[1]), key=lambda t: num(t[0]) or 0.0)
    if len(thumbs) > MAX_THUMBS:
        pick = np.linspace(0, len(thumbs) - 1, MAX_THUMBS).round().astype(int)
        thumbs = [thumbs[i] for i in sorted(set(pick.tolist()))]
    tl = {
        "video_id": vid, "dom": view.vdom[vid], "title": v.get("title"), "description": v.get("description"),
        "duration": dur, "confidence": vc.get("confidence"), "tier": vc.get("tier"),
        "n_segments": vc.get("n_segments") if vc.get("n_segments") is not None else len(segs),
        "n_review": vc.get("n_review"), "reasons": list(vc.get("reasons") or []),
        "segments": segs, "events": view.events_by_video.get(vid, []),
        "transcript": _transcript_spans(v.get("transcript"), dur),
        "thumb_times": [num(t) or 0.0 for t, _ in thumbs],
        "queued": sorted((s["rank"], s["segment_id"], s["dom_id"]) for s in segs if s["rank"]),
    }
    tl["svg"] = timeline_svg(tl)
    srcs = sorted({e["source"] for e in tl["events"]})
    tl["sources"] = [(name, EVENT_COLORS[i % len(EVENT_COLORS)]) for i, name in enumerate(srcs)]
    tl["thumbs"] = [{"t": num(t), "uri": data_uri(b)} for t, b in thumbs]
    return tl


def _timelines_ctx(data: ReportData, view: _ReportView, queue: list[dict], rank_of: dict,
                   extra_timelines: int) -> tuple[list[dict], int]:
    """Timelines of every review-queue video, then of the worst of the rest."""
    tl_ids = list(dict.fromkeys(q["video_id"] for q in queue))
    n_queue_videos = len(tl_ids)
    queued = set(tl_ids)
    rest = sorted((v for v in view.all_ids if v not in queued), key=view.vkey)
    tl_ids += rest[: max(extra_timelines, 0)]
    return [_timeline(data, view, vid, rank_of) for vid in tl_ids], n_queue_videos


def _map_ctx(view: _ReportView, tl_doms: dict[str, str]) -> tuple[list[str], list[dict]]:
    """The confidence map: every video, worst first (the first MAX_MAP_ROWS rows)."""
    map_ids = sorted(view.all_ids, key=view.vkey)
    map_rows = []
    for vid in map_ids[:MAX_MAP_ROWS]:
        v = view.video_by_id.get(vid, {})
        vc = view.vconf_by_id.get(vid, {})
        segs = list(view.merged.get(vid, {}).values())
        n_rev = vc.get("n_review")
        if n_rev is None:
            n_rev = sum(1 for s in segs if s["tier"] == "review")
        map_rows.append({
            "video_id": vid, "title": v.get("title"), "confidence": vc.get("confidence"), "tier": vc.get("tier"),
            "n_segments": vc.get("n_segments") if vc.get("n_segments") is not None else len(segs),
            "n_review": n_rev, "reasons": list(vc.get("reasons") or []),
            "strip": strip_svg(segs, view.duration_of(vid)), "timeline": tl_doms.get(vid),
            "search": f"{vid} {v.get('title') or ''}".lower()[:300],
        })
    return map_ids, map_rows


def build_context(data: ReportData, review_limit: int = 50, extra_timelines: int = 30) -> dict:
    """Everything the report template renders, section by section."""
    view = _ReportView.build(data)
    signal_families, n_signal_values, n_signal_names = _signals_ctx(data.signals)
    summary = _summary_ctx(data, view, n_signal_values, n_signal_names)
    queue, rank_of = _queue_ctx(data, view, review_limit)
    timelines, n_queue_videos = _timelines_ctx(data, view, queue, rank_of, extra_timelines)
    map_ids, map_rows = _map_ctx(view, {t["video_id"]: t["dom"] for t in timelines})
    segs_by_video = {vid: list(s.keys()) for vid, s in view.merged.items()}
    return {
        "lens": _lens_ctx(data, view.vconf_by_id),
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "summary": summary, "signal_families": signal_families, "levels": _levels_ctx(view.conf_rows),
        "map_rows": map_rows, "map_total": len(map_ids), "map_cap": MAX_MAP_ROWS,
        "queue": queue, "review_limit": review_limit, "n_candidates": len(view.conf_rows),
        "timelines": timelines, "n_queue_videos": n_queue_videos,
        "faults": _truth_ctx(data.truth, view.conf_rows, segs_by_video),
        "tier_colors": TIER_COLORS,
        "verdicts": verdicts_ctx(data.verdicts, data.cascade),
    }


def _lens_ctx(data: ReportData, vconf_by_id: dict[str, dict]) -> dict | None:
    from .lens import lens_context

    videos = _rows(data.videos, ["video_id", "title", "metadata"])
    ctx = lens_context(data.lens_videos, data.cross_lens, videos, vconf_by_id, data.thumbnails, data.lens_vectors)
    for c in (ctx or {}).get("cross", []):
        c["hist"] = hist_svg(c["values"], label=f"Jaccard {c['a']} vs {c['b']}")
    return ctx


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(conf=fmt_conf, pct=fmt_pct, time=fmt_time, clip=clip, color=conf_color, badge=tier_badge)
    return env


def render_html(data: ReportData, review_limit: int = 50, *, extra_timelines: int = 30) -> str:
    ctx = build_context(data, review_limit=review_limit, extra_timelines=extra_timelines)
    return _env().get_template("report.html.j2").render(**ctx)


def render_report(data: ReportData, out: Path, review_limit: int = 50, *, extra_timelines: int = 30) -> Path:
    """Write the report to ``out`` (a directory gets ``report.html``) and return its path."""
    out = Path(out)
    if out.is_dir():
        out = out / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data, review_limit, extra_timelines=extra_timelines), encoding="utf-8")
    return out
