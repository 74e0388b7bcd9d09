"""Sentence-level refinement with an entailment model (optional; off unless one is passed).

For each annotation sentence and each independent source covering the segment's own window
(its own captions, overlapping opinions and transcript), the model is run both ways. A source
that entails the sentence (source -> sentence) supports the claims of that sentence it had left
unchecked; a contradiction either way marks them contradicted (when the source kind may contradict). The
relation (paraphrase / omission / contradiction / neutral) is kept on the segment.
"""

from __future__ import annotations

from ..models.entailment import Entailment, both_ways, relation
from .match import Verdict
from .sources import Source


def refine_with_entailment(audits: list, per_seg: list[list[Source]], model: Entailment,
                           threshold: float = 0.5) -> None:
    pairs: list[tuple[int, str, Source]] = []
    for k, (audit, sources) in enumerate(zip(audits, per_seg)):
        own = [s for s in sources if s.independent and s.kind != "title" and s.kind != "description"
               and (s.segment_id in (None, audit.segment_id))]
        sentences = sorted({r.claim.sentence for r in audit.claims if r.claim.sentence})
        pairs += [(k, sent, s) for sent in sentences for s in own]
    src_to_sent, sent_to_src = both_ways(model, [p[2].text for p in pairs], [p[1] for p in pairs])
    for (k, sent, src), ab, ba in zip(pairs, src_to_sent, sent_to_src):
        audit = audits[k]
        r = relation(ab, ba, threshold)
        audit.sentence_relations.append((sent, src.name, r))
        if r == "contradiction":
            status = "contradicted" if src.can_contradict else None
        else:
            status = "supported" if ab[0] >= threshold else None  # the source says at least this much
        if status is None:
            continue
        for res in audit.claims:
            if res.claim.sentence != sent or any(v.source is src for v in res.verdicts):
                continue
            res.verdicts.append(Verdict(status, src, src.text[:200], f"entailment:{r}"))
            _recount(res)
    from .audit import recount_segment

    for audit in audits:
        recount_segment(audit)


def _recount(res) -> None:
    from .audit import _status, _who

    ind = [v for v in res.verdicts if v.source.independent]
    res.n_supported = len({_who(v) for v in ind if v.status == "supported"})
    res.n_contradicted = len({_who(v) for v in ind if v.status == "contradicted"})
    res.status = _status(res.n_supported, res.n_contradicted)
