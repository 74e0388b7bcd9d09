"""Review decisions made in the FiftyOne App, read back into the workspace's ``reviews`` table.

In the App a reviewer tags an annotation detection ``review:ok`` or ``review:wrong`` (the
App's "tag labels", or the plugin's ``mark_segments`` operator), or gives it a ``va_fix``
attribute (the corrected text: verdict ``fixed``). Each export (and the operator) reads
them back: a detection's ``node_id`` is the segment, its field the GPT field. Decisions
equal to the one already counting are not stored again.
"""

from __future__ import annotations

from ..review.decisions import Decision, current, store_decisions

TAGS = {"review:ok": "ok", "review:wrong": "wrong"}
FIX_ATTRIBUTE = "va_fix"
REVIEWER = "fiftyone-app"


def app_decisions(ds, fmap: dict[str, str]) -> list[Decision]:
    """Decisions found on the dataset's annotation detections (``fmap``: GPT field -> FiftyOne field)."""
    from .ingest import video_ids_of

    schema = ds.get_field_schema()
    vids = video_ids_of(ds)
    out = []
    for canon, field in fmap.items():
        if field not in schema:
            continue
        for vid, tv in zip(vids, ds.values(field, _raw=True)):
            for d in (tv or {}).get("detections") or []:
                nid = d.get("node_id")
                if nid is None:
                    continue
                fix = d.get(FIX_ATTRIBUTE)
                verdicts = [TAGS[t] for t in d.get("tags") or [] if t in TAGS]
                if isinstance(fix, str) and fix.strip():
                    out.append(Decision(vid, str(nid), "fixed", canon, fix.strip(), REVIEWER))
                elif verdicts:
                    out.append(Decision(vid, str(nid), verdicts[-1], canon, None, REVIEWER))
    return out


def import_app_decisions(ws, ds, fmap: dict[str, str]) -> dict:
    """Store the App's new decisions in ``ws`` and show them in its confidence map."""
    from ..review.learn import apply_decisions

    found = app_decisions(ds, fmap)
    have = {(r["video_id"], r["segment_id"], r["field"]): (r["verdict"], r["text"])
            for r in current(ws.store.read("reviews")).to_pylist()}
    new = [d for d in found if have.get((d.video_id, d.segment_id, d.field)) != (d.verdict, d.text)]
    res = store_decisions(ws.store, new) if new else {"stored": 0, "errors": [], "video_ids": []}
    if res["video_ids"]:
        apply_decisions(ws.store, res["video_ids"])
    return {"found": len(found), **res}
