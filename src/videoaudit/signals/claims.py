"""Claim-level evidence: each annotation claim checked against the segment's independent sources.

The embedding signals say how close a text is to its evidence; they cannot see one wrong word
(a man called a woman, red for blue, open for close). The evidence library (``evidence/``)
splits every field into claims and checks each slot against upstream captions, the transcript,
title / description and opinions in the segment's window; these signals carry its verdicts into
the fusion:

- ``evidence.claims_<group>`` (summary / action / actor), a rule: no checked claim of that
  field group -> null; checked and none contradicted -> 1; a claim contradicted by one
  independent witness -> ``ONE_WITNESS``; by two or more -> 0; only by a weak rule (another
  object for the same verb, another setting: ``evidence.WEAK_RULES``) -> ``WEAK``. One
  captioner can be wrong itself, so one witness alone (weight 0.8: confidence x 0.52) leaves
  an otherwise clean segment uncertain; two witnesses, or one with any other doubt, send it
  to review.
- ``evidence.claims_coverage`` (kind ``coverage``): the share of the segment's claims that at
  least one independent source checked; it replaces the field-group coverage.
- ``consistency.copied``, a rule: 0 when the segment's fields repeat its parent's or a
  neighbour's while their own captions differ.

The audit runs once per video (``_audits``) and every spec reads it from the view's cache.
"""

from __future__ import annotations

import numpy as np

from .base import COVERAGE, RULE, Signal, SignalSpec
from .context import VideoView
from .registry import register

#: the value of a field group one independent witness contradicts (two or more: 0)
ONE_WITNESS = 0.4
#: the value when only weak rules contradict it (evidence.WEAK_RULES: another object, a setting):
#: a tie-break in the ranking (risk 0.08), too weak to move a segment's tier on its own
WEAK = 0.9


def _audits(view: VideoView) -> dict:
    """``{segment_id: SegmentAudit}`` of the view's video, computed once."""
    if "claims" not in view.cache:
        from ..evidence import audit_video

        rows = view.rows
        if not rows:
            view.cache["claims"] = {}
        else:
            audits = audit_video(rows["video"], rows["segments"], rows["opinions"],
                                 entailment=view.cache.get("entailment"))
            view.cache["claims"] = {a.segment_id: a for a in audits}
    return view.cache["claims"]


def _per_segment(view: VideoView, value_of) -> tuple[np.ndarray, list[str | None]]:
    """One value and explanation per segment of the view, from its audit (absent -> null)."""
    audits = _audits(view)
    n = len(view.seg)
    vals = np.full(n, np.nan)
    expl: list[str | None] = [None] * n
    for i, sid in enumerate(view.seg.segment_id.tolist() if n else []):
        a = audits.get(sid)
        if a is not None:
            v, e = value_of(a)
            vals[i] = np.nan if v is None else v
            expl[i] = e
    return vals, expl


class _FieldClaims(SignalSpec):
    """The verdicts on one field group's claims (the class attribute ``group``)."""

    group: str
    kind, weight, independent = RULE, 0.8, True
    aggregates = True  # its witnesses are the sources the other signals name
    needs = ("upstream captions, transcript, title/description or opinions in the window",)

    def compute(self, view: VideoView) -> Signal:
        vals, expl = _per_segment(view, self.judge)
        return Signal(self.name, vals, expl)

    def judge(self, audit) -> tuple[float | None, str | None]:
        from ..evidence import FIELD_GROUPS, WEAK_RULES, reason

        mine = [r for r in audit.claims if FIELD_GROUPS.get(r.claim.field, r.claim.field) == self.group]
        checked = [r for r in mine if r.status != "unchecked"]
        if not checked:
            return None, None
        wrong = [(r, v) for r in checked if r.status == "contradicted" for v in r.verdicts
                 if v.status == "contradicted" and v.source.independent]
        if not wrong:
            who = sorted({v.source.name for r in checked for v in r.verdicts
                          if v.source.independent and v.status == "supported"})
            return 1.0, f"{len(checked)} of {len(mine)} {self.group} claims supported by {', '.join(who)}"
        wrong.sort(key=_quoted_first)  # the reason quoted must not depend on the order rows were stored in
        strong = [(r, v) for r, v in wrong if v.rule not in WEAK_RULES]
        if strong:
            witnesses = {(v.source.name, v.source.segment_id, v.source.start) for _, v in strong}
            value = ONE_WITNESS if len(witnesses) == 1 else 0.0
            r, v = strong[0]
        else:
            value = WEAK
            r, v = wrong[0]
        n_claims = len({id(x) for x, _ in wrong})
        more = f" (+{n_claims - 1} more contradicted)" if n_claims > 1 else ""
        return value, reason(r.claim, v) + more


def _quoted_first(pair) -> tuple:
    r, v = pair
    return (r.claim.start, r.claim.span, v.source.name, v.source.start, v.source.segment_id or "", v.words)


@register
class SummaryClaims(_FieldClaims):
    name, group, fields = "evidence.claims_summary", "summary", ("summary",)


@register
class ActionClaims(_FieldClaims):
    name, group, fields = "evidence.claims_action", "action", ("action",)


@register
class ActorClaims(_FieldClaims):
    name, group, fields = "evidence.claims_actor", "actor", ("actor",)


@register
class ClaimsCoverage(SignalSpec):
    """Not fused: the share of the segment's claims an independent source checked."""

    name, kind, weight, independent, aggregates = "evidence.claims_coverage", COVERAGE, 0.0, True, True
    needs = ("upstream captions, transcript, title/description or opinions in the window",)

    def compute(self, view: VideoView) -> Signal:
        def cov(a):
            if a.coverage is None:
                return None, None
            checked = round(a.coverage * len(a.claims))
            by = f" by {', '.join(a.sources_checked)}" if a.sources_checked else ""
            return a.coverage, f"{checked} of {len(a.claims)} claims checked{by}"

        vals, expl = _per_segment(view, cov)
        return Signal(self.name, vals, expl)


@register
class Copied(SignalSpec):
    """Fields repeated from a parent or neighbour while their own evidence differs."""

    name, kind, weight = "consistency.copied", RULE, 0.8
    needs = ("the tree's other annotations and their upstream captions",)

    def compute(self, view: VideoView) -> Signal:
        vals, expl = _per_segment(view, lambda a: (0.0, a.copy.reason()) if a.copy is not None else (1.0, None))
        return Signal(self.name, vals, expl)
