"""Evidence: each annotation claim checked against the segment's independent sources.

    from videoaudit.evidence import audit_video, claim_rows
    audits = audit_video(video_row, segment_rows, opinion_rows)   # canonical table rows (dicts)
    audits[0].coverage, audits[0].fields["actor"], audits[0].reasons()
    table = claim_rows(audits)                                    # pyarrow, schema CLAIM_ROWS

docs/evidence.md describes the slots, the sources, the independence rule and the matching rules.
"""

from .audit import FIELD_GROUPS, ClaimResult, FieldCounts, SegmentAudit, audit_video, reason
from .copies import Copy, find_copy
from .match import WEAK_RULES, Matcher, SourceIndex, Verdict
from .rows import CLAIM_ROWS, claim_rows
from .sources import KINDS, Kind, Source, VideoSources, is_audited

__all__ = ["CLAIM_ROWS", "FIELD_GROUPS", "KINDS", "ClaimResult", "Copy", "FieldCounts", "Kind", "Matcher",
           "SegmentAudit", "Source", "SourceIndex", "Verdict", "WEAK_RULES", "VideoSources", "audit_video", "claim_rows",
           "find_copy", "is_audited", "reason"]
