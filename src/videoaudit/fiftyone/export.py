"""Export an audit into a FiftyOne dataset (``export --format fiftyone --dataset NAME``).

What lands where (docs/fiftyone.md has the full table):

* annotation TemporalDetections (the Voxel51 Action100M fields by default): every detection of an
  audited segment gets ``va_confidence``, ``va_tier``, ``va_reasons``, ``va_verdict`` and one
  ``va_<signal>`` attribute per signal; detections that are not there yet are created in the
  Voxel51 schema (node_id, parent_id, level, tier);
* opinions: ``va_<source>_events`` TemporalDetections, ``va_<source>_description`` strings and
  frame-level ``va_<source>_points`` Keypoints; ``transcript_segments`` TemporalDetections;
* per video: ``va_confidence``, ``va_tier``, ``va_reasons``, ``va_verdict``, cross-lens agreement,
  uniqueness, representativeness, zero-shot class per lens;
* per lens: ``va_<lens>_embedding`` vectors, a visualization brain run with the lens's own 2-D map
  and an sklearn similarity index (``brain.py``); saved views (``views.py``).

Writes are bulk (``set_values`` over the ordered sample ids, ``add_samples`` for new videos),
never per-sample saves. Re-export updates in place: samples are matched by ``va_video_id``
(else ``video_uid`` / ``video_id`` / the file name), detections by ``node_id`` (else by span),
and fields, attributes and samples the user added are left as they are.
"""

from __future__ import annotations

import gc
import math
import re
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

try:  # bson comes with FiftyOne (pymongo); without it, export_fiftyone's require() says how to install
    from bson import ObjectId
except ImportError:  # pragma: no cover - exercised by test_fiftyone_support
    ObjectId = None

from ..signal_values import parse_signals
from ..schema import LENSES, NA
from . import require
from .ingest import TRANSCRIPT_FIELD, parse_fields, video_ids_of
from .support import seconds_to_frames

#: frame rate used for the supports of videos without media (recorded in dataset.info)
NOMINAL_FPS = 30.0
INFO_KEY = "videoaudit"


def slug(text: str) -> str:
    """A FiftyOne-safe field name part: lower-case letters, digits and underscores (no dots)."""
    s = re.sub(r"[^0-9a-zA-Z]+", "_", str(text)).strip("_").lower()
    return s or "x"


def _tier_of(level, is_leaf) -> str:
    return "root" if level == 0 else ("leaf" if is_leaf else "mid")


def _f(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


class _Timing:
    """Seconds -> 1-based frames per video: the dataset's metadata, else our media probe, else nominal."""

    def __init__(self, convention: str):
        self.convention = convention
        self.by_video: dict[str, dict] = {}

    def set(self, vid: str, fps, duration, frame_count) -> None:
        self.by_video[vid] = {"fps": fps, "duration": duration, "frame_count": frame_count}

    def frames(self, vid: str, times) -> np.ndarray:
        t = self.by_video[vid]
        if self.convention == "fiftyone" and t["duration"] and (t["frame_count"] or 0) > 1:
            return seconds_to_frames(times, "fiftyone", duration=t["duration"], frame_count=t["frame_count"])
        return seconds_to_frames(times, "action100m", fps=t["fps"] or NOMINAL_FPS)


def _group(table: pa.Table, key: str = "video_id") -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if table.num_rows:
        for r in table.to_pylist():
            out.setdefault(r[key], []).append(r)
    return out


def workspace_fingerprint(ws) -> str:
    """Changes whenever a table the export reads changes (LanceDB table versions)."""
    db = ws.store.db
    parts = []
    for name in sorted(ws.store.names()):
        if name in ("progress", "errors", "thumbnails"):
            continue
        try:
            parts.append(f"{name}@{db.open_table(name).version}")
        except Exception:
            parts.append(name)
    return ";".join(parts)


def export_fiftyone(ws, dataset: str, fields=None, convention: str = "action100m",
                    views: bool = True, brain: bool = True, apply_reviews: bool = False) -> dict:
    """Create or update FiftyOne dataset ``dataset`` with everything the workspace holds; returns a summary.

    Review decisions made in the App since the last export (``review:ok`` / ``review:wrong``
    tags, ``va_fix`` attributes: fiftyone/decisions.py) are read into the workspace first.
    ``apply_reviews``: a fixed text becomes the detection's label (the original kept in
    ``va_original``), a detection decided wrong gets ``va_removed`` and the tag ``va:removed``
    (nothing in the dataset is deleted) and the view ``va-corrected`` leaves them out.
    """
    fo = require()
    t0 = time.perf_counter()
    fmap = parse_fields(fields)
    created = not fo.dataset_exists(dataset)
    ds = fo.Dataset(dataset, persistent=True) if created else fo.load_dataset(dataset)
    if not created and ds.media_type not in (None, "video"):
        raise ValueError(f"FiftyOne dataset {dataset!r} holds {ds.media_type} samples, not videos")
    info = dict(ds.info.get(INFO_KEY) or {})
    owned: set[str] = set(info.get("owned_fields") or [])
    from_app = {"found": 0, "stored": 0, "errors": []}
    if not created and len(ds):
        from .decisions import import_app_decisions

        from_app = import_app_decisions(ws, ds, fmap)
    decided = {}
    if apply_reviews:
        from ..export.reviewed import decisions as review_decisions

        decided = review_decisions(ws)

    videos = ws.store.read("videos")
    if videos.num_rows == 0:
        raise ValueError(f"workspace {ws.path} holds no videos: ingest something first")
    vids = videos.column("video_id").to_pylist()
    vrows = {r["video_id"]: r for r in videos.to_pylist()}
    media = {r["video_id"]: r for r in ws.store.read("media").to_pylist()}

    # -- samples: match existing ones, add the missing in one add_samples ------------------
    schema = ds.get_field_schema()
    existing: dict[str, str] = {}
    if len(ds):
        # the same ids ingest gives: va_video_id, video_uid, video_id, else the file name
        for key, sid in zip(video_ids_of(ds), ds.values("id")):
            existing.setdefault(key, sid)
    placeholder = Path(ws.path).resolve() / "no-media"
    new = []
    for vid in vids:
        if vid in existing:
            continue
        v = vrows[vid]
        fp = v["media_path"] or str(placeholder / f"{vid}.mp4")
        s = fo.Sample(filepath=str(Path(fp).resolve()), va_video_id=vid)
        m = media.get(vid)
        if m and m["fps"]:
            s.metadata = fo.VideoMetadata(frame_rate=m["fps"], total_frame_count=m["frame_count"],
                                          duration=m["duration"], frame_width=m["width"],
                                          frame_height=m["height"], encoding_str=m["codec"])
        new.append(s)
    n_added = len(new)
    if new:
        new_vids = [s["va_video_id"] for s in new]
        added = ds.add_samples(new, progress=False)
        existing.update(dict(zip(new_vids, added)))
        # in-memory Sample objects are reloaded from the database after EVERY set_values below
        # (FiftyOne keeps them in sync): holding them would make each bulk write O(all labels)
        del new[:]
        s = None  # noqa: F841 (the loop variable holds the last Sample)
        gc.collect()  # Samples sit in reference cycles; collect them before the bulk writes
    sample_ids = [existing[v] for v in vids]
    view = ds.select(sample_ids, ordered=True)
    view.set_values("va_video_id", vids)

    timing = _Timing(convention)
    for vid, meta in zip(vids, view.values("metadata")):
        m = media.get(vid)
        fps = getattr(meta, "frame_rate", None) or (m or {}).get("fps") or vrows[vid]["fps"]
        dur = getattr(meta, "duration", None) or (m or {}).get("duration") or vrows[vid]["duration"]
        n = getattr(meta, "total_frame_count", None) or (m or {}).get("frame_count")
        timing.set(vid, fps, dur, n)
    nominal = sorted(v for v, t in timing.by_video.items() if not t["fps"])

    written: list[str] = []

    def put(field: str, values, owned_field: bool = True, key_field: str | None = None, raw: bool = False):
        if raw:  # BSON dicts built here, schema declared beforehand (_declare_detections)
            view.set_values(field, values, expand_schema=False, validate=False)
        elif key_field:
            ds.set_values(field, values, key_field=key_field)
        else:
            view.set_values(field, values)
        written.append(field)
        if owned_field:
            owned.add(field)

    # -- annotations with their audit attributes ----------------------------------------
    segs = _group(ws.store.read("segments"))
    conf = {(r["video_id"], r["segment_id"]): r for r in ws.store.read("confidence").to_pylist()}
    verdicts_all = ws.store.read("verdicts")
    seg_verdict = {(r["video_id"], r["segment_id"]): r for r in verdicts_all.to_pylist() if r["segment_id"]}
    vid_verdict = {r["video_id"]: r for r in verdicts_all.to_pylist() if not r["segment_id"]}
    schema = ds.get_field_schema()
    n_dets = 0
    for canon, field in fmap.items():
        was_there = field in schema
        current = view.values(field, _raw=True) if was_there else [None] * len(vids)
        out = []
        for vid, cur in zip(vids, current):
            rows = segs.get(vid, [])
            dets = list(cur.get("detections") or []) if cur else []
            by_node = {}
            for d in dets:
                nid = d.get("node_id")
                by_node[str(nid) if nid is not None else str(d.get("_id"))] = d
                by_node.setdefault(("span", tuple(d.get("support") or ())), d)
            starts = timing.frames(vid, [r["start"] for r in rows]) if rows else []
            ends = timing.frames(vid, [r["end"] for r in rows]) if rows else []
            for r, f1, f2 in zip(rows, starts, ends):
                text = r[canon]
                if text is None and canon in r["na_fields"] and canon == "actor":
                    text = NA  # Voxel51 keeps N/A actors and drops N/A actions
                support = [int(f1), int(max(f1, f2))]
                d = by_node.get(r["segment_id"]) or by_node.get(r["segment_id"].split(":", 1)[-1]) \
                    or by_node.get(("span", tuple(support)))
                if d is None:
                    if text is None:
                        continue
                    d = _raw_detection(text, support, node_id=r["segment_id"], parent_id=r["parent_id"],
                                       level=r["level"], tier=_tier_of(r["level"], r["is_leaf"]))
                    dets.append(d)
                _audit_attributes(d, conf.get((vid, r["segment_id"])), seg_verdict.get((vid, r["segment_id"])))
                if apply_reviews:
                    _apply_review(d, decided.get((vid, r["segment_id"])), canon)
                n_dets += 1
            out.append({"_cls": "TemporalDetections", "detections": dets} if (dets or cur) else None)
        _declare_detections(fo, ds, field)
        put(field, out, owned_field=not was_there or field in owned, raw=True)
        _declare_attributes(ds, field)

    # -- transcript ---------------------------------------------------------------------
    schema = ds.get_field_schema()
    if TRANSCRIPT_FIELD not in schema or TRANSCRIPT_FIELD in owned:
        vals = []
        for vid in vids:
            tr = vrows[vid]["transcript"] or []
            if tr:
                f1 = timing.frames(vid, [e["start"] for e in tr])
                f2 = timing.frames(vid, [e["end"] for e in tr])
                vals.append({"_cls": "TemporalDetections", "detections": [
                    _raw_detection(e["text"], [int(a), int(max(a, b))]) for e, a, b in zip(tr, f1, f2)]})
            else:
                vals.append(None)
        _declare_detections(fo, ds, TRANSCRIPT_FIELD)
        put(TRANSCRIPT_FIELD, vals, raw=True)

    # -- opinions -------------------------------------------------------------------------
    n_points = _export_opinions(fo, ds, vids, sample_ids, _group(ws.store.read("opinions")), timing, put)

    # -- per-video audit fields -----------------------------------------------------------
    vconf = {r["video_id"]: r for r in ws.store.read("video_confidence").to_pylist()}
    put("va_confidence", [_f((vconf.get(v) or {}).get("confidence")) for v in vids])
    put("va_tier", [(vconf.get(v) or {}).get("tier") for v in vids])
    put("va_reasons", [(vconf.get(v) or {}).get("reasons") for v in vids])
    put("va_n_review", [(vconf.get(v) or {}).get("n_review") for v in vids])
    if vid_verdict or "va_verdict" in owned:
        put("va_verdict", [(vid_verdict.get(v) or {}).get("verdict") for v in vids])
        put("va_verdict_reason", [(vid_verdict.get(v) or {}).get("reason") for v in vids])
    lens_rows = ws.store.read("lens_videos")
    lens_by = {}
    for r in lens_rows.to_pylist():
        lens_by.setdefault(r["lens"], {})[r["video_id"]] = r
    for lens, rows in sorted(lens_by.items()):
        p = f"va_{slug(lens)}"
        put(f"{p}_uniqueness", [_f((rows.get(v) or {}).get("uniqueness")) for v in vids])
        put(f"{p}_uniqueness_pct", [_f((rows.get(v) or {}).get("uniqueness_pct")) for v in vids])
        put(f"{p}_representativeness", [_f((rows.get(v) or {}).get("representativeness")) for v in vids])
        put(f"{p}_near_duplicates", [(rows.get(v) or {}).get("near_duplicates") for v in vids])
        if any((rows.get(v) or {}).get("zero_shot_label") for v in vids):
            put(f"{p}_zero_shot", [fo.Classification(label=r["zero_shot_label"], confidence=_f(r["zero_shot_prob"]))
                                   if r and r.get("zero_shot_label") else None
                                   for r in (rows.get(v) for v in vids)])
    cross = ws.store.read("cross_lens")
    if cross.num_rows:
        pairs: dict[tuple, dict[str, float]] = {}
        for r in cross.to_pylist():
            pairs.setdefault((r["lens_a"], r["lens_b"]), {})[r["video_id"]] = r["jaccard"]
        for (a, b), m in sorted(pairs.items()):
            put(f"va_agreement_{slug(a)}_{slug(b)}", [_f(m.get(v)) for v in vids])
        put("va_cross_lens_agreement", [
            (float(np.mean(x)) if (x := [m[v] for m in pairs.values() if _f(m.get(v)) is not None]) else None)
            for v in vids])

    # -- embeddings + brain runs ------------------------------------------------------------
    brain_keys: list[str] = []
    if brain:
        from .brain import export_lens

        for lens in LENSES:
            emb = ws.store.read(f"embeddings_{lens}")
            if emb.num_rows == 0:
                continue
            brain_keys += export_lens(ds, view, vids, lens, emb, lens_by.get(lens, {}), put)

    # -- saved views, bookkeeping --------------------------------------------------------------
    saved: list[str] = []
    if views:
        from .views import save_views

        saved = save_views(ds, fmap, verdicts_all, corrected=apply_reviews)
        from .views import color_by_tier

        color_by_tier(fo, ds, fmap)
    info.update({"workspace": str(Path(ws.path).resolve()), "fingerprint": workspace_fingerprint(ws),
                 "owned_fields": sorted(owned), "fields": fmap, "convention": convention,
                 "nominal_fps": NOMINAL_FPS, "nominal_fps_videos": len(nominal),
                 "brain_keys": brain_keys, "saved_views": saved,
                 "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    ds.info[INFO_KEY] = info
    ds.save()
    return {"dataset": dataset, "created": created, "samples": len(vids), "added": n_added,
            "detections": n_dets, "points": n_points, "fields": sorted(set(written)), "brain_keys": brain_keys,
            "saved_views": saved, "decisions_from_app": from_app["stored"],
            "decision_errors": from_app["errors"], "seconds": round(time.perf_counter() - t0, 3)}


def _raw_detection(label, support, **attrs) -> dict:
    """A TemporalDetection as the BSON document FiftyOne stores (what ``to_mongo`` would give).

    Built directly because constructing ~100k label objects with ~25 dynamic attributes each
    costs minutes in mongoengine (a ``dir()`` per attribute); the schema is declared apart.
    """
    return {"_id": ObjectId(), "_cls": "TemporalDetection", "tags": [], "label": label,
            "support": [int(support[0]), int(support[1])], "confidence": None, **attrs}


def _declare_detections(fo, ds, field: str) -> None:
    """Declare a TemporalDetections field before its raw values are written."""
    if field not in ds.get_field_schema():
        ds.add_sample_field(field, fo.EmbeddedDocumentField, embedded_doc_type=fo.TemporalDetections)


def _declare_attributes(ds, field: str) -> None:
    """Declare the detections' attributes just written, in one schema scan of the database.

    (One ``add_sample_field`` per attribute costs a dataset reload each: 83 s of a 100-video export.)
    """
    ds.add_dynamic_sample_fields(fields=f"{field}.detections")


def _audit_attributes(d: dict, c: dict | None, v: dict | None) -> None:
    """The audit of one segment as attributes of its (raw) detection; signal names: dots -> underscores."""
    if c is not None:
        d["va_confidence"] = _f(c["confidence"])
        d["confidence"] = d["va_confidence"]  # the App shows a label's confidence on the tile
        d["va_tier"] = c["tier"]
        # the tier as a tag too (filterable in the App's tag bar); the user's own tags stay
        d["tags"] = [t for t in d.get("tags") or [] if not t.startswith(TIER_TAG)] + [TIER_TAG + str(c["tier"])]
        d["va_reasons"] = list(c["reasons"] or [])
        for name, value in parse_signals(c["signals"]).items():
            key = _SIGNAL_KEYS.get(name) or _SIGNAL_KEYS.setdefault(name, f"va_{slug(name)}")
            d[key] = None if value is None else float(value)
    if v is not None or "va_verdict" in d:  # a verdict withdrawn since the last export is cleared
        d["va_verdict"] = v["verdict"] if v else None
        d["va_verdict_reason"] = v["reason"] if v else None


_SIGNAL_KEYS: dict[str, str] = {}
TIER_TAG = "va:"  # tier tags: va:trusted, va:uncertain, va:review, va:reviewed-ok, va:reviewed-wrong
REMOVED_TAG = "va:removed"


def _apply_review(d: dict, verdict, canon: str) -> None:
    """A decision applied to one detection: fixed text as its label, wrong ones marked removed."""
    if verdict is None:
        return
    from ..schema import REVIEW_ALL_FIELDS

    fix = verdict.fixes.get(canon)
    if fix is not None:
        d.setdefault("va_original", d.get("label"))
        d["label"] = fix
    removed = canon in verdict.removed or REVIEW_ALL_FIELDS in verdict.removed
    d["va_removed"] = removed
    if removed and REMOVED_TAG not in (d.get("tags") or []):
        d["tags"] = list(d.get("tags") or []) + [REMOVED_TAG]


def _export_opinions(fo, ds, vids, sample_ids, ops: dict, timing: _Timing, put) -> int:
    sources = sorted({r["source"] for rows in ops.values() for r in rows})
    n_points = 0
    for src in sources:
        p = f"va_{slug(src)}"
        events, descs, points = [], [], {}
        n_src = 0
        for vid, sid in zip(vids, sample_ids):
            rows = [r for r in ops.get(vid, []) if r["source"] == src]
            ev = [r for r in rows if r["kind"] == "event" and r["start"] is not None]
            if ev:
                f1 = timing.frames(vid, [r["start"] for r in ev])
                f2 = timing.frames(vid, [r["end"] if r["end"] is not None else r["start"] for r in ev])
                events.append({"_cls": "TemporalDetections", "detections": [
                    _raw_detection(r["text"], [int(a), int(max(a, b))]) for r, a, b in zip(ev, f1, f2)]})
            else:
                events.append(None)
            d = [r["text"] for r in rows if r["kind"] == "description" and r["text"]]
            descs.append("\n\n".join(d) if d else None)
            pts = [r for r in rows if r["kind"] == "point"]
            frames: dict[int, list] = {}
            if pts:
                for r, fn in zip(pts, timing.frames(vid, [r["t"] for r in pts])):
                    frames.setdefault(int(fn), []).append(
                        fo.Keypoint(label=r["text"] or "point", points=[(float(r["x"]), float(r["y"]))]))
            if frames:
                points[sid] = {fn: fo.Keypoints(keypoints=kps) for fn, kps in frames.items()}
            n_src += len(pts)
        n_points += n_src
        if any(e is not None for e in events):
            _declare_detections(fo, ds, f"{p}_events")
            put(f"{p}_events", events, raw=True)
        if any(descs):
            put(f"{p}_description", descs)
        if points:
            # frame-level, dict syntax: {sample id: {frame_number: Keypoints}} (frames need not exist yet)
            put(f"frames.{p}_points", points, key_field="id")
    return n_points
