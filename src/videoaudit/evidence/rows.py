"""The per-claim verdicts as an Arrow table the lead can store (one row per decisive verdict).

A claim that no source could check gets ONE row with ``source`` null and status ``unchecked``;
the (claim, source) pairs where a source said nothing are not stored (they would outnumber the
rest a hundredfold: a root segment has every caption of the video as a source).
"""

from __future__ import annotations

from typing import Iterable

import pyarrow as pa

CLAIM_ROWS = pa.schema([
    pa.field("video_id", pa.string(), nullable=False),
    pa.field("segment_id", pa.string(), nullable=False),
    pa.field("field", pa.string(), nullable=False),  # the annotation field the claim is from
    pa.field("slot", pa.string(), nullable=False),  # actor | action | object | attribute | place | order
    pa.field("value", pa.string()),  # Claim.value, e.g. "woman (female, adult, 1)"
    pa.field("span", pa.string()),  # the annotation's words
    pa.field("claim_status", pa.string()),  # over independent sources: supported | contradicted | unchecked
    pa.field("source", pa.string()),  # plm_caption | transcript | parent | opinion:<source> | ... (null: none)
    pa.field("independent", pa.bool_()),
    pa.field("source_segment_id", pa.string()),
    pa.field("source_start", pa.float64()),
    pa.field("source_end", pa.float64()),
    pa.field("status", pa.string(), nullable=False),  # this source's verdict: supported | contradicted | unchecked
    pa.field("rule", pa.string()),  # which rule decided: gender, antonym, colour, entailment:paraphrase, ...
    pa.field("source_words", pa.string()),
])


def claim_rows(audits: Iterable) -> pa.Table:
    """Rows of CLAIM_ROWS for SegmentAudits (evidence.audit_video's result, any number of videos)."""
    rows = []
    for a in audits:
        for r in a.claims:
            base = {"video_id": a.video_id, "segment_id": a.segment_id, "field": r.claim.field,
                    "slot": r.claim.slot, "value": r.claim.value, "span": r.claim.span, "claim_status": r.status}
            if not r.verdicts:
                rows.append({**base, "status": "unchecked"})
            for v in r.verdicts:
                s = v.source
                rows.append({**base, "source": s.name, "independent": s.independent,
                             "source_segment_id": s.segment_id, "source_start": s.start, "source_end": s.end,
                             "status": v.status, "rule": v.rule, "source_words": v.words})
    return pa.Table.from_pylist(rows, schema=CLAIM_ROWS)
