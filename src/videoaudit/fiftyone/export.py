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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

try:  # bson comes with FiftyOne (pymongo); without it, export_fiftyone's require() says how to install
    from bson import ObjectId
except ImportError:  # pragma: no cover - exercised by test_fiftyone_support
    ObjectId = None

from ..schema import NA
from ..signal_values import parse_signals
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


#: videos per batch of the export: the segments, confidence, opinions and transcripts of one batch
#: are in memory at once, never the whole workspace's (megabyte captions, 100k opinions)
EXPORT_BATCH = 64


@dataclass
class _Export:
    """What the steps of one export share: the dataset, the workspace, the fields written and owned."""

    fo: object
    ds: object
    ws: object
    fmap: dict[str, str]
    owned: set[str]
    convention: str
    apply_reviews: bool
    decided: dict = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    pending: dict[str, list] = field(default_factory=dict)  # field -> views of all-None batches (put)

    def put(self, view, name: str, values, owned_field: bool = True, key_field: str | None = None,
            raw: bool = False) -> None:
        """Write ``values`` (one per sample of ``view``, in order) to field ``name``.

        A batch whose values are all None cannot declare a new field (FiftyOne infers the type
        from a value): it is written once a later batch has declared it, as the whole-dataset
        write would have been."""
        if raw:  # BSON dicts built here, schema declared beforehand (_declare_detections)
            view.set_values(name, values, expand_schema=False, validate=False)
        elif key_field:
            self.ds.set_values(name, values, key_field=key_field)
        elif not self.ds.has_field(name) and all(v is None for v in values):
            self.pending.setdefault(name, []).append(view)
            return
        else:
            view.set_values(name, values)
            for earlier in self.pending.pop(name, []):
                earlier.set_values(name, [None] * len(earlier))
        self.written.append(name)
        if owned_field:
            self.owned.add(name)


@dataclass
class _Plan:
    """What is decided once for the whole dataset, before the first batch is written."""

    annotations: dict[str, bool]  # field -> whether it existed before this export
    transcript: bool  # write transcript_segments (new, or ours)
    sources: list[str]  # opinion sources, and which of them have events / descriptions anywhere
    with_events: set[str]
    with_descriptions: set[str]
    video_verdicts: bool


def export_fiftyone(ws, dataset: str, fields=None, convention: str = "action100m",
                    views: bool = True, brain: bool = True, apply_reviews: bool = False) -> dict:
    """Create or update FiftyOne dataset ``dataset`` with everything the workspace holds; returns a summary.

    Review decisions made in the App since the last export (``review:ok`` / ``review:wrong``
    tags, ``va_fix`` attributes: fiftyone/decisions.py) are read into the workspace first.
    ``apply_reviews``: a fixed text becomes the detection's label (the original kept in
    ``va_original``), a detection decided wrong gets ``va_removed`` and the tag ``va:removed``
    (nothing in the dataset is deleted) and the view ``va-corrected`` leaves them out.
    Written batch by batch of videos (``EXPORT_BATCH``), the lens numbers and vectors too
    (brain.py); the brain runs come last, over every video with a vector.
    """
    fo = require()
    t0 = time.perf_counter()
    fmap = parse_fields(fields)
    ds, created, info = _open_dataset(fo, dataset)
    from_app = {"found": 0, "stored": 0, "errors": []}
    if not created and len(ds):
        from .decisions import import_app_decisions

        from_app = import_app_decisions(ws, ds, fmap)
    run = _Export(fo, ds, ws, fmap, set(info.get("owned_fields") or []), convention, apply_reviews)
    if apply_reviews:
        from ..export.reviewed import decisions as review_decisions

        run.decided = review_decisions(ws)
    vids = _video_ids(ws)
    sample_ids, n_added = _add_samples(run, vids)
    plan = _plan(run)
    from .brain import export_brain_runs, export_lens_batch, plan_lenses

    lenses = plan_lenses(ws.store, vids, vectors=brain)
    n_dets = n_points = n_nominal = 0
    for i in range(0, len(vids), EXPORT_BATCH):
        part, sids = vids[i:i + EXPORT_BATCH], sample_ids[i:i + EXPORT_BATCH]
        view = ds.select(sids, ordered=True)
        view.set_values("va_video_id", part)
        timing = _batch_timing(run, view, part)
        n_nominal += sum(1 for t in timing.by_video.values() if not t["fps"])
        n_dets += _export_annotations(run, plan, view, part, timing)
        if plan.transcript:
            _export_transcript(run, view, part, timing)
        n_points += _export_opinions(run, plan, view, part, sids, timing)
        _export_video_audit(run, plan, view, part)
        export_lens_batch(run, lenses, view, part, sids)
    for name in plan.annotations:
        _declare_attributes(ds, name)
    brain_keys = export_brain_runs(ds, ds.select(sample_ids, ordered=True), lenses) if brain else []
    saved = _save_views(run, views)
    info.update({"workspace": str(Path(ws.path).resolve()), "fingerprint": workspace_fingerprint(ws),
                 "owned_fields": sorted(run.owned), "fields": fmap, "convention": convention,
                 "nominal_fps": NOMINAL_FPS, "nominal_fps_videos": n_nominal,
                 "brain_keys": brain_keys, "saved_views": saved,
                 "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    ds.info[INFO_KEY] = info
    ds.save()
    return {"dataset": dataset, "created": created, "samples": len(vids), "added": n_added,
            "detections": n_dets, "points": n_points, "fields": sorted(set(run.written)), "brain_keys": brain_keys,
            "saved_views": saved, "decisions_from_app": from_app["stored"],
            "decision_errors": from_app["errors"], "seconds": round(time.perf_counter() - t0, 3)}


def _open_dataset(fo, dataset: str):
    """The dataset (created if new), whether it was created, and the info this export keeps in it."""
    created = not fo.dataset_exists(dataset)
    ds = fo.Dataset(dataset, persistent=True) if created else fo.load_dataset(dataset)
    if not created and ds.media_type not in (None, "video"):
        raise ValueError(f"FiftyOne dataset {dataset!r} holds {ds.media_type} samples, not videos")
    return ds, created, dict(ds.info.get(INFO_KEY) or {})


def _video_ids(ws) -> list[str]:
    vids = [v for rb in ws.store.iter_batches("videos", columns=["video_id"]) for v in rb.column(0).to_pylist()]
    if not vids:
        raise ValueError(f"workspace {ws.path} holds no videos: ingest something first")
    return vids


def _add_samples(run: _Export, vids: list[str]) -> tuple[list[str], int]:
    """Sample ids in ``vids`` order: existing samples matched, the missing added (one add_samples a batch)."""
    fo, ds = run.fo, run.ds
    existing: dict[str, str] = {}
    if len(ds):
        # the same ids ingest gives: va_video_id, video_uid, video_id, else the file name
        for key, sid in zip(video_ids_of(ds), ds.values("id")):
            existing.setdefault(key, sid)
    placeholder = Path(run.ws.path).resolve() / "no-media"
    n_added = 0
    missing = [v for v in vids if v not in existing]
    for i in range(0, len(missing), EXPORT_BATCH):
        part = missing[i:i + EXPORT_BATCH]
        paths = _by_video(run.ws.store.read("videos", part, columns=["video_id", "media_path"]))
        media = _by_video(run.ws.store.read("media", part))
        new = []
        for vid in part:
            fp = paths[vid]["media_path"] or str(placeholder / f"{vid}.mp4")
            s = fo.Sample(filepath=str(Path(fp).resolve()), va_video_id=vid)
            m = media.get(vid)
            if m and m["fps"]:
                s.metadata = fo.VideoMetadata(frame_rate=m["fps"], total_frame_count=m["frame_count"],
                                              duration=m["duration"], frame_width=m["width"],
                                              frame_height=m["height"], encoding_str=m["codec"])
            new.append(s)
        existing.update(dict(zip(part, ds.add_samples(new, progress=False))))
        n_added += len(new)
        # in-memory Sample objects are reloaded from the database after EVERY set_values below
        # (FiftyOne keeps them in sync): holding them would make each bulk write O(all labels)
        del new[:]
        s = None
        gc.collect()  # Samples sit in reference cycles; collect them before the bulk writes
    return [existing[v] for v in vids], n_added


def _by_video(t: pa.Table) -> dict[str, dict]:
    return {r["video_id"]: r for r in t.to_pylist()}


def _plan(run: _Export) -> _Plan:
    """Whole-dataset choices, from the schema before this export wrote anything and a streamed look
    at the opinions (which sources, which have events or descriptions anywhere)."""
    schema = run.ds.get_field_schema()
    store = run.ws.store
    sources: set[str] = set()
    for rb in store.iter_batches("opinions", columns=["source"]):
        sources.update(pc.unique(rb.column(0)).to_pylist())

    def having(where: str) -> set[str]:
        return set(store.read("opinions", where=where, columns=["source"]).column("source").unique().to_pylist())

    has_ops = bool(sources)
    return _Plan(
        annotations={f: f in schema for f in run.fmap.values()},
        # ours to (re)write: absent before, or written by an earlier export
        transcript=TRANSCRIPT_FIELD not in schema or TRANSCRIPT_FIELD in run.owned,
        sources=sorted(s for s in sources if s is not None),
        with_events=having("kind = 'event' AND start IS NOT NULL") if has_ops else set(),
        with_descriptions=having("kind = 'description' AND text IS NOT NULL AND text != ''") if has_ops else set(),
        video_verdicts=store.count("verdicts") > 0 and store.read(
            "verdicts", where="segment_id IS NULL", columns=["video_id"]).num_rows > 0,
    )


def _batch_timing(run: _Export, view, part: list[str]) -> _Timing:
    """Frames of each video of the batch: the dataset's metadata, else our media probe, else the ingest."""
    media = _by_video(run.ws.store.read("media", part))
    vrows = _by_video(run.ws.store.read("videos", part, columns=["video_id", "fps", "duration"]))
    timing = _Timing(run.convention)
    for vid, meta in zip(part, view.values("metadata")):
        m = media.get(vid)
        fps = getattr(meta, "frame_rate", None) or (m or {}).get("fps") or vrows[vid]["fps"]
        dur = getattr(meta, "duration", None) or (m or {}).get("duration") or vrows[vid]["duration"]
        n = getattr(meta, "total_frame_count", None) or (m or {}).get("frame_count")
        timing.set(vid, fps, dur, n)
    return timing


def _export_annotations(run: _Export, plan: _Plan, view, part: list[str], timing: _Timing) -> int:
    """The batch's annotation detections, each with its audit attributes; returns how many."""
    store = run.ws.store
    segs = _group(store.read("segments", part))
    conf = {(r["video_id"], r["segment_id"]): r for r in store.read("confidence", part).to_pylist()}
    seg_verdict = {(r["video_id"], r["segment_id"]): r for r in store.read("verdicts", part).to_pylist()
                   if r["segment_id"]}
    n_dets = 0
    for canon, name in run.fmap.items():
        was_there = plan.annotations[name]
        current = view.values(name, _raw=True) if was_there else [None] * len(part)
        out = []
        for vid, cur in zip(part, current):
            dets, n = _video_detections(run, canon, vid, cur, segs.get(vid, []), timing, conf, seg_verdict)
            n_dets += n
            out.append({"_cls": "TemporalDetections", "detections": dets} if (dets or cur) else None)
        _declare_detections(run.fo, run.ds, name)
        run.put(view, name, out, owned_field=not was_there or name in run.owned, raw=True)
    return n_dets


def _video_detections(run: _Export, canon: str, vid: str, cur, rows: list[dict], timing: _Timing,
                      conf: dict, seg_verdict: dict) -> tuple[list[dict], int]:
    """One video's detections of field ``canon``: the existing ones matched by node id (else span) and
    updated, the missing ones created; returns them and how many segments were audited."""
    dets = list(cur.get("detections") or []) if cur else []
    by_node = {}
    for d in dets:
        nid = d.get("node_id")
        by_node[str(nid) if nid is not None else str(d.get("_id"))] = d
        by_node.setdefault(("span", tuple(d.get("support") or ())), d)
    starts = timing.frames(vid, [r["start"] for r in rows]) if rows else []
    ends = timing.frames(vid, [r["end"] for r in rows]) if rows else []
    n = 0
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
        if run.apply_reviews:
            _apply_review(d, run.decided.get((vid, r["segment_id"])), canon)
        n += 1
    return dets, n


def _export_transcript(run: _Export, view, part: list[str], timing: _Timing) -> None:
    """The batch's transcript entries as TemporalDetections."""
    rows = _by_video(run.ws.store.read("videos", part, columns=["video_id", "transcript"]))
    vals = []
    for vid in part:
        tr = rows[vid]["transcript"] or []
        if tr:
            f1 = timing.frames(vid, [e["start"] for e in tr])
            f2 = timing.frames(vid, [e["end"] for e in tr])
            vals.append({"_cls": "TemporalDetections", "detections": [
                _raw_detection(e["text"], [int(a), int(max(a, b))]) for e, a, b in zip(tr, f1, f2)]})
        else:
            vals.append(None)
    _declare_detections(run.fo, run.ds, TRANSCRIPT_FIELD)
    run.put(view, TRANSCRIPT_FIELD, vals, raw=True)


def _export_video_audit(run: _Export, plan: _Plan, view, part: list[str]) -> None:
    """Per-video confidence, tier, reasons, review count and verdict of the batch."""
    store = run.ws.store
    vconf = _by_video(store.read("video_confidence", part))
    run.put(view, "va_confidence", [_f((vconf.get(v) or {}).get("confidence")) for v in part])
    run.put(view, "va_tier", [(vconf.get(v) or {}).get("tier") for v in part])
    run.put(view, "va_reasons", [(vconf.get(v) or {}).get("reasons") for v in part])
    run.put(view, "va_n_review", [(vconf.get(v) or {}).get("n_review") for v in part])
    if plan.video_verdicts or "va_verdict" in run.owned:
        vid_verdict = {r["video_id"]: r for r in store.read("verdicts", part).to_pylist() if not r["segment_id"]}
        run.put(view, "va_verdict", [(vid_verdict.get(v) or {}).get("verdict") for v in part])
        run.put(view, "va_verdict_reason", [(vid_verdict.get(v) or {}).get("reason") for v in part])


def _save_views(run: _Export, views: bool) -> list[str]:
    if not views:
        return []
    from .views import color_by_tier, save_views

    saved = save_views(run.ds, run.fmap, _verdict_kinds(run.ws.store), corrected=run.apply_reviews)
    color_by_tier(run.fo, run.ds, run.fmap)
    return saved


def _verdict_kinds(store) -> pa.Table:
    """The distinct (per segment or per video, verdict) pairs of the verdicts table, streamed: what
    save_views needs to name a view per verdict (segment_id "*" stands for any segment)."""
    kinds: set[tuple[str | None, str]] = set()
    for rb in store.iter_batches("verdicts", columns=["segment_id", "verdict"]):
        segs, verdicts = rb.column(0).to_pylist(), rb.column(1).to_pylist()
        kinds.update(("*" if s else None, v) for s, v in zip(segs, verdicts))
    rows = sorted(kinds, key=lambda k: (k[0] is None, str(k[1])))
    return pa.table({"segment_id": pa.array([k[0] for k in rows], pa.string()),
                     "verdict": pa.array([k[1] for k in rows], pa.string())})


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


def _export_opinions(run: _Export, plan: _Plan, view, part: list[str], sids: list[str], timing: _Timing) -> int:
    """The batch's opinions per source: events, descriptions and frame-level points; returns the points."""
    ops = _group(run.ws.store.read("opinions", part))
    n_points = 0
    for src in plan.sources:
        p = f"va_{slug(src)}"
        events, descs, points = [], [], {}
        for vid, sid in zip(part, sids):
            rows = [r for r in ops.get(vid, []) if r["source"] == src]
            events.append(_events(rows, vid, timing))
            d = [r["text"] for r in rows if r["kind"] == "description" and r["text"]]
            descs.append("\n\n".join(d) if d else None)
            pts = [r for r in rows if r["kind"] == "point"]
            frames = _points(run.fo, pts, vid, timing)
            if frames:
                points[sid] = frames
            n_points += len(pts)
        if src in plan.with_events:
            _declare_detections(run.fo, run.ds, f"{p}_events")
            run.put(view, f"{p}_events", events, raw=True)
        if src in plan.with_descriptions:
            run.put(view, f"{p}_description", descs)
        if points:
            # frame-level, dict syntax: {sample id: {frame_number: Keypoints}} (frames need not exist yet)
            run.put(view, f"frames.{p}_points", points, key_field="id")
    return n_points


def _events(rows: list[dict], vid: str, timing: _Timing) -> dict | None:
    ev = [r for r in rows if r["kind"] == "event" and r["start"] is not None]
    if not ev:
        return None
    f1 = timing.frames(vid, [r["start"] for r in ev])
    f2 = timing.frames(vid, [r["end"] if r["end"] is not None else r["start"] for r in ev])
    return {"_cls": "TemporalDetections", "detections": [
        _raw_detection(r["text"], [int(a), int(max(a, b))]) for r, a, b in zip(ev, f1, f2)]}


def _points(fo, pts: list[dict], vid: str, timing: _Timing) -> dict:
    """{frame number: Keypoints} of one video's point opinions."""
    frames: dict[int, list] = {}
    if pts:
        for r, fn in zip(pts, timing.frames(vid, [r["t"] for r in pts])):
            frames.setdefault(int(fn), []).append(
                fo.Keypoint(label=r["text"] or "point", points=[(float(r["x"]), float(r["y"]))]))
    return {fn: fo.Keypoints(keypoints=kps) for fn, kps in frames.items()}
