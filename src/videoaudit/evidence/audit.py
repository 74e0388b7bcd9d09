"""Per video: every audited segment's claims checked against its sources, counted and explained.

Each distinct (text, reading) of the video is read once (``extract_claims`` batches per field),
each source's claims are indexed once, then every claim meets every source of its segment.
Coverage is the share of a segment's claims that at least one INDEPENDENT source could check
(supported or contradicted); tree relatives' verdicts are kept beside, never counted as coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..claims import FIELDS, Claim, extract_claims
from ..models.entailment import Entailment
from .copies import Copy, find_copy
from .match import MIN_COVER, Matcher, Similar, SourceIndex, Verdict
from .sources import Source, VideoSources, is_audited

#: Per-field groups the counts are given for (a user can keep a summary and reject an actor).
FIELD_GROUPS: dict[str, str] = {"summary_brief": "summary", "summary_detailed": "summary",
                                "action_brief": "action", "action_detailed": "action", "actor": "actor"}


@dataclass
class ClaimResult:
    claim: Claim
    verdicts: list[Verdict]  # decisive ones only (a source absent here said nothing on this slot)
    status: str  # over independent sources: supported | contradicted | unchecked
    n_supported: int  # independent sources that support / contradict
    n_contradicted: int
    status_tree: str  # the same over tree relatives (same GPT run: not evidence)


@dataclass
class FieldCounts:
    supported: int = 0
    contradicted: int = 0
    unchecked: int = 0


@dataclass
class SegmentAudit:
    video_id: str
    segment_id: str
    start: float
    end: float
    claims: list[ClaimResult]
    fields: dict[str, FieldCounts]  # summary | action | actor
    coverage: float | None  # share of claims an independent source checked; None = no claims
    sources_checked: tuple[str, ...]  # distinct independent source names that checked a claim
    n_independent_sources: int  # independent source texts available to the segment
    copy: Copy | None = None
    sentence_relations: list[tuple[str, str, str]] = field(default_factory=list)  # (sentence, source, relation)

    @property
    def n_sources_checked(self) -> int:
        return len(self.sources_checked)

    @property
    def independently_covered(self) -> bool:
        """At least one claim was checked by a source outside the annotation's own GPT run."""
        return bool(self.sources_checked)

    def reasons(self, limit: int = 5) -> list[str]:
        """Contradicted claims first, each naming the claim, the source, its window and its words."""
        out = [reason(r.claim, v) for r in self.claims if r.status == "contradicted"
               for v in r.verdicts if v.status == "contradicted" and v.source.independent][:limit]
        if self.copy is not None and len(out) < limit:
            out.append(self.copy.reason())
        return out


def reason(claim: Claim, v: Verdict) -> str:
    """``actor "a woman in a blue T-shirt" contradicted by plm_caption [286-335 s]: "a young man ..."``."""
    return f'{claim.slot} "{claim.span}" {v.status} by {v.source.name} {v.source.window}: "{v.words}"'


def audit_video(video: dict, segments: Sequence[dict], opinions: Iterable[dict] = (), *,
                similar: Similar | None = None, entailment: Entailment | None = None,
                fields: Sequence[str] = FIELDS) -> list[SegmentAudit]:
    """Audit every segment of one video with a GPT annotation (canonical VIDEOS / SEGMENTS / OPINIONS rows)."""
    # sorted, so verdicts and the words they quote never depend on the order rows were stored in
    segments = sorted(segments, key=lambda s: (float(s.get("start") or 0.0), float(s.get("end") or 0.0),
                                               str(s.get("segment_id"))))
    opinions = sorted(opinions, key=lambda o: tuple(str(o.get(k)) for k in ("source", "kind", "start", "end", "text")))
    vs = VideoSources(video, segments, opinions)
    audited = [s for s in vs.segments if is_audited(s)]
    per_seg = [vs.sources(s) for s in audited]
    reads = _read_all(audited, per_seg, fields)
    matcher = Matcher(similar)
    index: dict[tuple[str, str], SourceIndex] = {}
    out = []
    for seg, sources in zip(audited, per_seg):
        claims = [c for f in fields if isinstance(seg.get(f), str) for c in reads[(seg[f], f)]]
        indexed = []
        for src in sources:
            key = (src.text, src.field)
            if key not in index:
                index[key] = SourceIndex.of(reads[key])
            indexed.append((src, index[key], _cover(src, seg)))
        results = [_result(c, _verdicts(matcher, c, indexed)) for c in claims]
        audit = _segment_audit(video["video_id"], seg, results, sources)
        audit.copy = find_copy(seg, vs)
        out.append(audit)
    if entailment is not None:
        from .refine import refine_with_entailment

        refine_with_entailment(out, per_seg, entailment)
    return out


def _verdicts(matcher: Matcher, c: Claim, indexed: list) -> list[Verdict]:
    """Every covering source's verdict, and the first support among the partial ones.

    A source covering less than MIN_COVER of the segment (a descendant's caption) can only
    support; one such witness is enough, and a root has hundreds of them: checking on after
    the first would only count the same support again (per independence class).
    """
    out: list[Verdict] = []
    partial_seen: set[bool] = set()
    for src, ix, cover in indexed:
        partial = cover < MIN_COVER
        if partial and src.independent in partial_seen:
            continue
        v = matcher.check(c, ix, src, cover)
        if v is not None:
            out.append(v)
            if partial:
                partial_seen.add(src.independent)
    return out


def _read_all(audited: list[dict], per_seg: list[list[Source]], fields: Sequence[str]) -> dict:
    """Claims of every distinct (text, reading) the video needs, one extract_claims call per reading."""
    want: dict[str, set[str]] = {}
    for seg, sources in zip(audited, per_seg):
        for f in fields:
            if isinstance(seg.get(f), str):
                want.setdefault(f, set()).add(seg[f])
        for s in sources:
            want.setdefault(s.field, set()).add(s.text)
    reads = {}
    for f, texts in want.items():
        ts = sorted(texts)
        for t, cs in zip(ts, extract_claims(ts, f)):
            reads[(t, f)] = cs
    return reads


def _cover(src: Source, seg: dict) -> float:
    """Share of the segment's window inside the source's window."""
    st, en = float(seg["start"]), float(seg["end"])
    return max(0.0, min(en, src.end) - max(st, src.start)) / max(en - st, 1e-9)


def _result(c: Claim, verdicts: list[Verdict]) -> ClaimResult:
    ind = [v for v in verdicts if v.source.independent]
    tree = [v for v in verdicts if not v.source.independent]
    n_sup = len({_who(v) for v in ind if v.status == "supported"})
    n_con = len({_who(v) for v in ind if v.status == "contradicted"})
    return ClaimResult(c, verdicts, _status(n_sup, n_con), n_sup, n_con,
                       _status(sum(v.status == "supported" for v in tree), sum(v.status == "contradicted" for v in tree)))


def _who(v: Verdict) -> tuple:
    return (v.source.name, v.source.segment_id, v.source.start)


def _status(n_sup: int, n_con: int) -> str:
    if n_con > n_sup:
        return "contradicted"
    return "supported" if n_sup else "unchecked"


def _segment_audit(video_id: str, seg: dict, results: list[ClaimResult], sources: list[Source]) -> SegmentAudit:
    audit = SegmentAudit(video_id=video_id, segment_id=seg["segment_id"], start=float(seg["start"]),
                         end=float(seg["end"]), claims=results, fields={}, coverage=None, sources_checked=(),
                         n_independent_sources=sum(s.independent for s in sources))
    recount_segment(audit)
    return audit


def recount_segment(audit: SegmentAudit) -> None:
    """Per-field counts, coverage and the independent sources that checked a claim, from the claims."""
    counts = {g: FieldCounts() for g in dict.fromkeys(FIELD_GROUPS.values())}
    for r in audit.claims:
        fc = counts.setdefault(FIELD_GROUPS.get(r.claim.field, r.claim.field), FieldCounts())
        setattr(fc, r.status, getattr(fc, r.status) + 1)
    checked = sum(r.status != "unchecked" for r in audit.claims)
    audit.fields = counts
    audit.coverage = checked / len(audit.claims) if audit.claims else None
    audit.sources_checked = tuple(sorted({v.source.name for r in audit.claims for v in r.verdicts
                                          if v.source.independent}))
