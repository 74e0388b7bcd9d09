"""Temporal agreement between the annotation's segments and the opinion's timed events.

Per segment: the best single event by tIoU (shown; a parent spanning five events cannot
match any one of them, so it is not fused) and whether the segment's boundaries fall on
event boundaries, allowing about one sampling stride (Action100M boundaries are visual
cuts, an opinion's are its own). Per video and tree level: each event's top-1 segment by
text similarity, R@1 at tIoU 0.3/0.5/0.7 and the mean tIoU (the dense-captioning metrics).
"""

from __future__ import annotations

import numpy as np

from .base import Signal, SignalSpec, describe, similarities
from .context import VideoView, overlap_matrix
from .registry import register

THRESHOLDS = (0.3, 0.5, 0.7)


def tiou(a_start, a_end, b_start, b_end) -> np.ndarray:
    """tIoU of every a interval (rows) with every b interval (columns)."""
    inter = overlap_matrix(a_start, a_end, b_start, b_end)
    la = (np.asarray(a_end, float) - np.asarray(a_start, float))[:, None]
    lb = (np.asarray(b_end, float) - np.asarray(b_start, float))[None, :]
    union = np.maximum(la + lb - inter, 1e-9)
    return inter / union


def paired_tiou(a_start, a_end, b_start, b_end) -> np.ndarray:
    """tIoU of a[i] with b[i] only: O(n), where the diagonal of :func:`tiou` is an n x n matrix
    (25,000 events of one video made 5 GB per temporary: the 10.7 GB peak of issue 11)."""
    a_s, a_e, b_s, b_e = (np.asarray(x, float) for x in (a_start, a_end, b_start, b_end))
    inter = np.clip(np.minimum(a_e, b_e) - np.maximum(a_s, b_s), 0.0, None)
    return inter / np.maximum((a_e - a_s) + (b_e - b_s) - inter, 1e-9)


def _boundary_and_tiou(view: VideoView) -> tuple[Signal, Signal]:
    """Both per-segment temporal signals (one tIoU matrix), computed once per view."""
    if "temporal" in view.cache:
        return view.cache["temporal"]
    seg, ev = view.seg, view.events
    n = len(seg)
    best = np.full(n, np.nan)
    bound = np.full(n, np.nan)
    bexpl: list[str | None] = [None] * n
    if len(ev) >= 2:
        st, en = seg.start.to_numpy(float), seg.end.to_numpy(float)
        es, ee = ev.start.to_numpy(float), ev.end.to_numpy(float)
        iou = tiou(st, en, es, ee)
        best = np.where(view.audited, iou.max(1), np.nan)
        video_end = float(np.nanmax(en)) if n else 0.0
        edges = np.unique(np.concatenate([es, ee]))
        edges = edges[(edges > 0.5) & (edges < video_end - 0.5)]
        med_event = float(np.median(ee - es))
        for i in np.flatnonzero(view.audited):
            dur = en[i] - st[i]
            if dur < 0.5 * med_event or not len(edges):
                continue  # finer than the opinion's events: no boundary of theirs to compare with
            tau = max(1.0, 0.1 * dur)
            scores, worst = [], None
            for b in (st[i], en[i]):
                if b <= 0.5 or b >= video_end - 0.5:
                    continue  # the video's own start and end match trivially
                d = float(np.min(np.abs(edges - b)))
                scores.append(np.exp(-d / tau))
                if worst is None or d > worst:
                    worst = d
            if scores:
                bound[i] = float(np.mean(scores))
                bexpl[i] = f"boundaries {worst:.1f}s from the nearest opinion event boundary"
    view.cache["temporal"] = (Signal("temporal.boundaries", bound, bexpl),
                              Signal("temporal.best_tiou", best, describe(best, lambda i, x: f"best single-event tIoU {x:.2f}")))
    return view.cache["temporal"]


@register
class Boundaries(SignalSpec):
    """One opinion's event boundaries are noisy, and structure catches moved nodes: a modest weight."""

    name, weight, needs = "temporal.boundaries", 0.4, ("opinion events",)
    independent, source, fields = True, "opinion", ("summary", "action")

    def compute(self, view: VideoView) -> Signal:
        return _boundary_and_tiou(view)[0]


@register
class BestTIoU(SignalSpec):
    """Shown, not fused: a parent spanning five events cannot match any one of them."""

    name, weight, needs = "temporal.best_tiou", 0.0, ("opinion events",)
    independent, source, fields = True, "opinion", ("summary", "action")

    def compute(self, view: VideoView) -> Signal:
        return _boundary_and_tiou(view)[1]


def video_temporal_metrics(view: VideoView) -> list[tuple[str, float | None, str]]:
    """Per video, at the tree level whose segments match the events best: R@1 at 0.3/0.5/0.7 and mIoU."""
    seg, ev = view.seg, view.events
    if not len(ev):
        return []
    es, ee = ev.start.to_numpy(float), ev.end.to_numpy(float)
    best_level, best = None, None
    for level in sorted(set(seg.level[view.audited & view.has["annotation"]])):
        idx = np.flatnonzero((seg.level.to_numpy() == level) & view.audited & view.has["annotation"])
        if not len(idx):
            continue
        text = similarities(view.event_vec, view.vec["annotation"][idx])  # events x segments
        top = idx[np.argmax(text, axis=1)]
        ious = paired_tiou(es, ee, seg.start.to_numpy(float)[top], seg.end.to_numpy(float)[top])
        miou = float(np.mean(ious))
        if best is None or miou > best[0]:
            best_level, best = level, (miou, ious)
    if best is None:
        return []
    miou, ious = best
    rows = [("temporal.miou", miou, f"mean tIoU of each event's top-1 segment at level {best_level}")]
    for th in THRESHOLDS:
        rows.append((f"temporal.r1@{th}", float(np.mean(ious >= th)),
                     f"share of events whose top-1 segment at level {best_level} has tIoU >= {th}"))
    return rows
