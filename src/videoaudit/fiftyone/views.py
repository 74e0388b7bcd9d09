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


#: label colours by tier (the App's colour scheme, colour by the ``va_tier`` attribute)
TIER_COLORS = {"trusted": "#2ca02c", "uncertain": "#ffbf00", "review": "#d62728",
               "reviewed-ok": "#1f77b4", "reviewed-wrong": "#7f7f7f"}


def _filter_all(view, fields, expr):
    """``filter_labels`` on every annotation field (a video stays when any field keeps a label)."""
    for f in fields:
        view = view.filter_labels(f, expr, only_matches=False)
    return view


def save_views(ds, fmap: dict[str, str], verdicts: pa.Table, corrected: bool = False) -> list[str]:
    from fiftyone import ViewField as F

    primary = fmap.get("summary_brief") or next(iter(fmap.values()))
    schema = ds.get_field_schema()
    fields = [f for f in fmap.values() if f in schema]
    # an attribute may be missing on some detections: compare only where it exists
    tier = F("va_tier")
    views = {
        "va-trusted": _filter_all(ds.match(F("va_tier") == "trusted"), fields, tier.is_in(["trusted", "reviewed-ok"])),
        "va-review-queue": _filter_all(ds.exists("va_confidence").sort_by("va_confidence"), fields, tier == "review"),
    }
    if corrected:
        views["va-corrected"] = _filter_all(ds.view(), fields, F("va_removed") != True)  # noqa: E712
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
    if not corrected and "va-corrected" in ds.list_saved_views():
        ds.delete_saved_view("va-corrected")
    for name, view in views.items():
        ds.save_view(name, view, overwrite=True)
        saved.append(name)
    return saved


def color_by_tier(fo, ds, fmap: dict[str, str]) -> None:
    """Colour every annotation field's labels by their tier in the App (the user's other fields keep theirs)."""
    schema = ds.get_field_schema()
    scheme = ds.app_config.color_scheme or fo.ColorScheme()
    keep = [f for f in (scheme.fields or []) if f.get("path") not in fmap.values()]
    ours = [{"path": f, "colorByAttribute": "va_tier",
             "valueColors": [{"value": k, "color": c} for k, c in TIER_COLORS.items()]}
            for f in fmap.values() if f in schema]
    scheme.fields = keep + ours
    scheme.color_by = scheme.color_by or "value"
    ds.app_config.color_scheme = scheme
    ds.save()
