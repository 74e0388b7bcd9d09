"""Saved views of an exported audit, named ``va-...`` so they sort together in the App.

* ``va-trusted``: videos whose audit tier is trusted, only their trusted segments shown;
* ``va-review-queue``: every audited video, lowest confidence first, only segments tiered review;
* ``va-paraphrases``: segments whose verdict is "paraphrase" (the annotation and the second
  opinion say the same thing in other words: what lexical metrics wrongly flag);
* ``va-verdict-<verdict>``: one per verdict present, segment- or video-level.

Views are re-saved (overwritten) on every export; views the user saved are not touched.
"""

from __future__ import annotations

import pyarrow as pa


def save_views(ds, fmap: dict[str, str], verdicts: pa.Table) -> list[str]:
    from fiftyone import ViewField as F

    primary = fmap.get("summary_brief") or next(iter(fmap.values()))
    # an attribute may be missing on some detections: compare only where it exists
    tier = F("va_tier")
    views = {
        "va-trusted": ds.match(F("va_tier") == "trusted").filter_labels(primary, tier == "trusted", only_matches=False),
        "va-review-queue": ds.exists("va_confidence").sort_by("va_confidence")
                             .filter_labels(primary, tier == "review", only_matches=False),
    }
    seg_verdicts, vid_verdicts = set(), set()
    if verdicts.num_rows:
        for seg, v in zip(verdicts.column("segment_id").to_pylist(), verdicts.column("verdict").to_pylist()):
            (seg_verdicts if seg else vid_verdicts).add(v)
    views["va-paraphrases"] = ds.filter_labels(primary, F("va_verdict") == "paraphrase")
    for v in sorted(seg_verdicts | vid_verdicts):
        if v in seg_verdicts:
            views[f"va-verdict-{v}"] = ds.filter_labels(primary, F("va_verdict") == v)
        else:
            views[f"va-verdict-{v}"] = ds.match(F("va_verdict") == v)
    saved = []
    for name, view in views.items():
        ds.save_view(name, view, overwrite=True)
        saved.append(name)
    return saved
