"""Tables and explanations for a notebook user: the confidence map made wide, one segment explained.

``wide_confidence`` joins the annotation texts into the confidence map and turns every signal
into its own column. ``explain`` says, for one segment, what each signal contributed: its
contribution is measured by leaving it out of the fusion, as ``ln(confidence without it /
confidence with it)`` (confidences floored at 1e-6): the fusion is a product of factors, so
these add up, and the measure holds for whatever the fusion does inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from .schema import GPT_FIELDS
from .signal_values import FUSED_KEY, parse_signals

#: evidence families: the share of their signals that had an input is ``evidence_coverage``
EVIDENCE_FAMILIES = ("evidence", "neighbours")
FLOOR = 1e-6  # confidences below this count as this, so a zeroing signal has a finite contribution


def wide_confidence(store) -> pa.Table:
    """The confidence map with texts joined in, each signal a float column, the fusion's own value
    (``fused_confidence``: differs from ``confidence`` after a refit from review decisions) and
    ``evidence_coverage``. The stored ``signals`` column stays, last."""
    conf = store.read("confidence")
    segs = store.read("segments", columns=["video_id", "segment_id", *GPT_FIELDS, "na_fields"])
    text = {(r["video_id"], r["segment_id"]): r for r in segs.to_pylist()}
    keys = list(zip(conf.column("video_id").to_pylist(), conf.column("segment_id").to_pylist()))
    out = conf.drop_columns(["signals"])
    for name in GPT_FIELDS:
        vals = [("N/A" if name in (text.get(k, {}).get("na_fields") or []) else text.get(k, {}).get(name))
                for k in keys]
        out = out.append_column(name, pa.array(vals, pa.string()))
    parsed = [parse_signals(s) for s in conf.column("signals").to_pylist()]
    fused = [p.pop(FUSED_KEY, None) for p in parsed]
    own = conf.column("confidence").to_pylist()
    out = out.append_column("fused_confidence", pa.array([f if f is not None else c for f, c in zip(fused, own)],
                                                         pa.float64()))
    names = sorted({n for p in parsed for n in p})
    evidence = [n for n in names if n.split(".", 1)[0] in EVIDENCE_FAMILIES]
    cov = [(sum(p.get(n) is not None for n in evidence) / len(evidence)) if evidence else None for p in parsed]
    out = out.append_column("evidence_coverage", pa.array(cov, pa.float64()))
    for n in names:
        out = out.append_column(n, pa.array([p.get(n) for p in parsed], pa.float64()))
    return out.append_column("signals", conf.column("signals"))


@dataclass
class SignalExplanation:
    name: str
    value: float | None
    weight: float
    contribution: float  # ln(confidence without it / with it): adds up over signals; 0 = no effect
    is_reason: bool
    why: str
    evidence: str | None = None


@dataclass
class Explanation:
    """One segment's confidence, signal by signal; ``print`` it (rich) or read ``signals``."""

    video_id: str
    segment_id: str
    confidence: float
    fused_confidence: float
    tier: str
    reasons: list[str]
    texts: dict[str, str | None]
    signals: list[SignalExplanation] = field(default_factory=list)
    review: str | None = None

    def __rich__(self):
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        head = Text.assemble((f"{self.video_id} / {self.segment_id}", "bold"),
                             f"  confidence {self.confidence:.3f} ({self.tier})")
        if self.fused_confidence is not None and abs(self.confidence - self.fused_confidence) > 1e-9:
            head.append(f", fusion alone {self.fused_confidence:.3f}")
        parts = [head]
        if self.review:
            parts.append(Text(f"review: {self.review}"))
        for name, t in self.texts.items():
            if t is not None:
                parts.append(Text(f"{name}: {t}", style="dim"))
        tab = Table(show_lines=False, expand=False)
        for col, kw in (("signal", {}), ("value", {"justify": "right"}), ("weight", {"justify": "right"}),
                        ("contribution (ln)", {"justify": "right"}), ("reason?", {}), ("why / evidence", {"ratio": 1})):
            tab.add_column(col, overflow="fold", **kw)
        for s in self.signals:
            why = s.why + (f' - "{s.evidence}"' if s.evidence else "")
            tab.add_row(s.name, "-" if s.value is None else f"{s.value:.3f}", f"{s.weight:.2f}",
                        f"{s.contribution:+.3f}", "yes" if s.is_reason else "no", why)
        parts.append(tab)
        return Group(*parts)

    def __str__(self) -> str:
        from rich.console import Console

        console = Console(width=160, record=True, file=__import__("io").StringIO())
        console.print(self)
        return console.export_text()


def _stats(store, min_scale: float) -> dict:
    from .confidence import Calibration

    calib = Calibration()
    for name in ("signals", "lens_signals"):
        for rb in store.iter_batches(name, columns=["signal", "value"]):
            calib.update(pa.Table.from_batches([rb]))
    return calib.stats(min_scale)


def _evidence_quote(name: str, seg: dict, video: dict) -> str | None:
    """The text a segment's evidence signal compared with, shortened."""
    def short(t):
        return None if not t else (t if len(t) <= 140 else t[:137] + "...")

    if name == "evidence.captions":
        return short(seg.get("plm_caption") or seg.get("llama3_caption"))
    if name == "evidence.transcript":
        said = [e["text"] for e in (video.get("transcript") or []) if e["end"] >= seg["start"] and e["start"] <= seg["end"]]
        return short(" ".join(said).strip())
    if name == "evidence.metadata":
        return short(video.get("title"))
    return None


def explain(store, video_id: str, segment_id: str) -> Explanation:
    """Each signal's value, weight, leave-one-out contribution, whether it is a reason and why."""
    from .confidence import FusionConfig, fuse
    from .review import by_segment

    where = f"segment_id = '{segment_id.replace(chr(39), chr(39) * 2)}'"
    row = store.read("confidence", [video_id], where=where).to_pylist()
    if not row:
        raise KeyError(f"segment {segment_id} of video {video_id} has no confidence (unknown, or not audited)")
    row = row[0]
    seg_t = store.read("segments", [video_id], where=where)
    seg, video = seg_t.to_pylist()[0], store.read("videos", [video_id]).to_pylist()[0]
    sig = pa.concat_tables([store.read("signals", [video_id], where=where),
                            store.read("lens_signals", [video_id], where=where)])
    cfg = FusionConfig()
    stats = _stats(store, cfg.min_scale)
    base = fuse(sig, seg_t, stats, cfg)["confidence"].column("confidence")[0].as_py()
    reason_names = {r.split(" ", 1)[0] for r in row["reasons"] or []}
    out = []
    for name, value, expl in zip(*(sig.column(c).to_pylist() for c in ("signal", "value", "explanation"))):
        rest = sig.filter(pc.not_equal(sig.column("signal"), name))
        without = fuse(rest, seg_t, stats, cfg)["confidence"].column("confidence")[0].as_py() if rest.num_rows else 1.0
        w = cfg.weights.get(name, 0.0)
        contribution = math.log(max(without, FLOOR)) - math.log(max(base, FLOOR))
        out.append(SignalExplanation(name, value, w, contribution, name in reason_names,
                                     _why(name, value, w, contribution, expl, name in reason_names, cfg),
                                     _evidence_quote(name, seg, video)))
    out.sort(key=lambda s: (not s.is_reason, -round(s.contribution, 6), s.name))
    verdict = by_segment(store.read("reviews", [video_id], where=where)).get((video_id, segment_id))
    review = None if verdict is None else (f"wrong: {', '.join(verdict.removed)}" if verdict.removed else "ok") + (
        f"; fixed {', '.join(sorted(verdict.fixes))}" if verdict.fixes else "")
    fused = parse_signals(row["signals"]).get(FUSED_KEY, row["confidence"])
    texts = {n: ("N/A" if n in (seg.get("na_fields") or []) else seg.get(n)) for n in GPT_FIELDS}
    return Explanation(video_id, segment_id, row["confidence"], fused, row["tier"], row["reasons"] or [], texts,
                       out, review)


def _why(name, value, weight, contribution, expl, is_reason, cfg) -> str:
    if value is None:
        return "no input for this segment (null): it neither supports nor doubts"
    if weight == 0:
        return f"shown, not fused (weight 0): {expl}" if expl else "shown, not fused (weight 0)"
    if is_reason:
        return f"a reason: {expl}" if expl else "a reason"
    if contribution <= 1e-4:
        return f"normal for this run, no doubt: {expl}" if expl else "normal for this run, no doubt"
    return (f"lowers the confidence by {contribution:.3f}, less than the strongest reasons "
            f"(shown from w*p >= {cfg.reason_from}): {expl}")


def summary(ws) -> str:
    """``repr(ws)``: what the workspace holds, in a few lines."""
    st = ws.store
    lines = [f"Workspace({str(ws.path)!r})"]
    counts = {n: st.count(n) for n in ("videos", "segments", "opinions", "confidence", "reviews")}
    lines.append("  " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if counts["confidence"]:
        tiers = st.read("confidence", columns=["tier"]).column("tier").value_counts().to_pylist()
        lines.append("  tiers: " + ", ".join(f"{t['values']} {t['counts']}" for t in
                                             sorted(tiers, key=lambda t: str(t["values"]))))
    done = st.status()["stages"]
    if done:
        lines.append("  stages: " + ", ".join(f"{k} {v.get('ok', 0)}" + (f" ({v['error']} failed)" if v.get("error")
                                                                          else "") for k, v in sorted(done.items())))
    lenses = sorted(n[len("embeddings_"):] for n in st.names() if n.startswith("embeddings_"))
    if lenses:
        lines.append("  lenses: " + ", ".join(lenses))
    return "\n".join(lines)


__all__ = ["wide_confidence", "explain", "Explanation", "SignalExplanation", "summary"]
