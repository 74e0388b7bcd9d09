"""A FiftyOne video dataset -> canonical VIDEOS / SEGMENTS rows (``ingest --format fiftyone``).

Two layouts are read:

* the Voxel51 Action100M schema (FACTS.md section 2, the default): five TemporalDetections
  fields ``gpt_summary_brief``, ``gpt_summary_detailed``, ``gpt_action_brief``,
  ``gpt_action_detailed``, ``gpt_action_actor``, each holding ALL tree levels mixed, every
  detection carrying ``node_id``, ``parent_id``, ``level`` and ``tier`` attributes; plus
  ``transcript_segments`` and the sample fields ``title``, ``description``,
  ``full_video_duration``...
* any video dataset whose TemporalDetections fields the user names (``fields``): detections of
  the named fields that share a span are one segment; without ``parent_id`` attributes the
  parent is the shortest other segment containing it, and levels follow from the parents.

Frame supports become seconds with the dataset's own video metadata (``frame_rate``,
``total_frame_count``, ``duration``; when a sample has none, its media file is probed,
never written back) under one of the two conventions in ``support.py``.

The Voxel51 conversion drops nodes without GPT text and "N/A" actions: a node with GPT text
but no action detection gets action fields "N/A" again (so ``na_fields`` survives a round
trip); nodes without any GPT text are simply not in such a dataset.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from ..ingest import IngestedVideo, RowError
from ..ingest.action100m import build_segments, metadata_json, timed_transcript
from ..schema import GPT_FIELDS
from . import require
from .support import CONVENTIONS, frames_to_seconds

SOURCE = "fiftyone"

#: canonical GPT field -> field of the Voxel51 Action100M dataset
VOXEL51_FIELDS: dict[str, str] = {
    "summary_brief": "gpt_summary_brief",
    "summary_detailed": "gpt_summary_detailed",
    "action_brief": "gpt_action_brief",
    "action_detailed": "gpt_action_detailed",
    "actor": "gpt_action_actor",
}
ACTION_FIELDS = ("action_brief", "action_detailed")
TRANSCRIPT_FIELD = "transcript_segments"
ID_FIELDS = ("va_video_id", "video_uid", "video_id")
#: sample fields that have a home in the VIDEOS row (everything else goes to metadata JSON)
_KNOWN = {"id", "filepath", "metadata", "tags", "created_at", "last_modified_at", "title", "description",
          "full_video_duration", "frames"}


def parse_fields(fields) -> dict[str, str]:
    """``fields`` -> {canonical GPT field: dataset field}.

    Accepts None (the Voxel51 names), a dict, or a list / comma-separated string of
    ``canonical=dataset_field`` pairs and bare names; bare names fill the GPT fields in order
    (summary_brief, summary_detailed, action_brief, action_detailed, actor).
    """
    if fields is None:
        return dict(VOXEL51_FIELDS)
    if isinstance(fields, dict):
        items = list(fields.items())
    else:
        parts = [p.strip() for p in (fields.split(",") if isinstance(fields, str) else fields) if p and p.strip()]
        items, bare = [], []
        for p in parts:
            if "=" in p:
                k, v = (s.strip() for s in p.split("=", 1))
                items.append((k, v))
            else:
                bare.append(p)
        free = [g for g in GPT_FIELDS if g not in {k for k, _ in items}]
        if len(bare) > len(free):
            raise ValueError(f"{len(bare)} unnamed fields but only {len(free)} GPT fields left to fill: {bare}")
        items += list(zip(free, bare))
    out = {}
    for k, v in items:
        if k not in GPT_FIELDS:
            raise ValueError(f"unknown annotation field {k!r} in --fields; one of {', '.join(GPT_FIELDS)}")
        out[k] = v
    if not out:
        raise ValueError("--fields names no field")
    return out


def _timing(meta, filepath: str | None) -> dict:
    """fps / duration / frame count from the sample's VideoMetadata, else by probing its file."""
    t = {"fps": None, "duration": None, "frame_count": None}
    if meta is not None:
        t = {"fps": getattr(meta, "frame_rate", None), "duration": getattr(meta, "duration", None),
             "frame_count": getattr(meta, "total_frame_count", None)}
    if (not t["fps"] or not t["frame_count"]) and filepath and Path(filepath).is_file():
        from ..media import probe

        info = probe(filepath)
        t = {"fps": t["fps"] or info.fps, "duration": t["duration"] or info.duration,
             "frame_count": t["frame_count"] or info.frame_count}
    return t


def _attr(det, name):
    try:
        v = det[name]
    except (KeyError, AttributeError):
        return None
    return v


def _parent_by_containment(nodes: list[dict]) -> None:
    """Parent = the shortest other segment that contains this one (for datasets without parent_id)."""
    for n in nodes:
        best = None
        for m in nodes:
            if m is n or not (m["start"] <= n["start"] and n["end"] <= m["end"]):
                continue
            if (m["end"] - m["start"]) <= (n["end"] - n["start"]):
                continue
            if best is None or (m["end"] - m["start"]) < (best["end"] - best["start"]):
                best = m
        n["parent_id"] = best["segment_id"] if best is not None else None


def _detection_nodes(values: dict, fields: dict[str, str], vid, to_s, warnings: list[str]) -> list[dict]:
    """One node per distinct detection (by ``node_id``, else by support) of the mapped fields."""
    nodes: dict = {}
    order: list = []
    have_ids = False
    for canon, fname in fields.items():
        dets = values.get(fname)
        for det in (getattr(dets, "detections", None) or []):
            support = getattr(det, "support", None)
            if not support or len(support) != 2:
                warnings.append(f"video {vid}: a detection of {fname} has no support; skipped")
                continue
            node_id = _attr(det, "node_id")
            key = str(node_id) if node_id is not None else ("span", int(support[0]), int(support[1]))
            have_ids = have_ids or node_id is not None
            n = nodes.get(key)
            if n is None:
                start, end = (float(x) for x in to_s([support[0], support[1]]))
                parent = _attr(det, "parent_id")
                n = {"segment_id": key if isinstance(key, str) else f"{fname}:{det.id}",
                     "parent_id": None if parent is None else str(parent), "level": _attr(det, "level"),
                     "start": start, "end": end, "gpt": {}, "captions": {}}
                nodes[key] = n
                order.append(key)
            n["gpt"][canon] = det.label
    rows = [nodes[k] for k in order]
    if not rows:
        raise RowError(vid, f"no temporal detections in {', '.join(fields.values())}")
    if not have_ids:
        _parent_by_containment(rows)
    return rows


def _media_path(values: dict, vid, media_dir, warnings: list[str]) -> str | None:
    """The sample's filepath if it exists, else its file name (or ``<id>.mp4``) in ``media_dir``."""
    fp = values.get("filepath")
    media_path = fp if fp and Path(fp).is_file() else None
    if media_path is None and media_dir is not None:
        cand = Path(media_dir) / (Path(fp).name if fp else f"{vid}.mp4")
        media_path = str(cand) if cand.is_file() else None
    if media_path is None:
        warnings.append(f"video {vid}: media not found ({fp})")
    return media_path


def convert_sample(values: dict, fields: dict[str, str], convention: str, media_dir=None,
                   clip: float | None = None, transcript_field: str | None = TRANSCRIPT_FIELD,
                   voxel51_na: bool = True) -> IngestedVideo:
    """One sample's values (field -> value, from ``dataset.values``) -> IngestedVideo, or RowError."""
    vid = values.get("_video_id")
    warnings: list[str] = []
    timing = _timing(values.get("metadata"), values.get("filepath"))
    try:
        to_s = lambda fr: frames_to_seconds(fr, convention, **timing)  # noqa: E731
        to_s([1])
    except ValueError as e:
        raise RowError(vid, f"cannot turn frame supports into seconds: {e}; run dataset.compute_metadata() "
                            f"or give the media") from None
    rows = _detection_nodes(values, fields, vid, to_s, warnings)
    for n in rows:
        if voxel51_na:  # the Voxel51 conversion drops N/A actions; a node with text lost only those
            for a in ACTION_FIELDS:
                if a in fields and a not in n["gpt"]:
                    n["gpt"][a] = "N/A"
        n["gpt"] = {g: n["gpt"].get(g) for g in GPT_FIELDS}
    # the Voxel51 subset drops GPT-less nodes: their children become roots, so one root is not required
    segments, root_end = build_segments(vid, rows, clip, warnings, require_single_root=False)

    media_duration = timing["duration"]
    duration = float(media_duration) if media_duration else float(root_end)
    if clip is not None:
        duration = min(duration, float(clip))
    full = values.get("full_video_duration")
    entries = None
    if transcript_field and values.get(transcript_field) is not None:
        entries = []
        for det in values[transcript_field].detections or []:
            s, e = (float(x) for x in to_s(det.support))
            entries.append((s, e, det.label))
    transcript = timed_transcript(entries, duration, vid, warnings, clipped=clip is not None)
    media_path = _media_path(values, vid, media_dir, warnings)
    rest = {k: v for k, v in values.items() if not k.startswith("_") and k not in _KNOWN
            and k not in fields.values() and k != transcript_field}
    rest.update({"clip": clip, "frame_convention": convention, "fiftyone_sample_id": values.get("id")})
    video = {
        "video_id": vid, "media_path": media_path, "duration": duration,
        "full_duration": float(full) if full is not None else duration, "fps": timing["fps"],
        "title": values.get("title"), "description": values.get("description"),
        "transcript": transcript, "metadata": metadata_json(_jsonable(rest)), "source": SOURCE,
    }
    return IngestedVideo(video=video, segments=segments, warnings=warnings)


def _jsonable(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        try:
            json.dumps(v, default=str)
            out[k] = v if not hasattr(v, "to_dict") else v.to_dict()
        except Exception:
            out[k] = str(v)
    return out


def _id_fields(schema, id_field: str | None) -> list[str]:
    return [id_field] if id_field else [f for f in ID_FIELDS if f in schema]


def _pick_id(values: dict, id_fields: list[str]) -> str:
    """The first non-null id field, else the file name without extension, else the sample id."""
    for f in id_fields:
        if values.get(f) is not None:
            return str(values[f])
    fp = values.get("filepath")
    return Path(fp).stem if fp else str(values["id"])


def video_ids_of(collection, id_field: str | None = None) -> list[str]:
    """The workspace video ids that ingesting ``collection`` (a Dataset or view) gives its samples."""
    fields = _id_fields(collection.get_field_schema(), id_field)
    cols = dict(zip(["id", "filepath", *fields], collection.values(["id", "filepath", *fields])))
    return [_pick_id({k: v[i] for k, v in cols.items()}, fields) for i in range(len(cols["id"]))]


def iter_fiftyone(name, media_dir=None, clip: float | None = None, fields=None,
                  convention: str = "action100m", id_field: str | None = None,
                  transcript_field: str | None = TRANSCRIPT_FIELD, batch_size: int = 256
                  ) -> Iterator[IngestedVideo | RowError]:
    """Stream the samples of FiftyOne dataset ``name`` (or of a Dataset / DatasetView object),
    ``batch_size`` at a time with bulk ``values`` calls."""
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown frame convention {convention!r}; one of {', '.join(CONVENTIONS)}")
    fo = require()
    if isinstance(name, (str, Path)):
        name = str(name)
        if not fo.dataset_exists(name):
            raise ValueError(f"no FiftyOne dataset named {name!r} "
                             f"(FiftyOne datasets here: {', '.join(fo.list_datasets()) or 'none'})")
        ds = fo.load_dataset(name)
    else:  # a Dataset or DatasetView (the plugin audits the App's current view)
        ds = name
        name = ds.dataset_name
    if ds.media_type != "video":
        raise ValueError(f"FiftyOne dataset {name!r} holds {ds.media_type} samples, not videos")
    fmap = parse_fields(fields)
    schema = ds.get_field_schema()
    missing = [f for f in fmap.values() if f not in schema]
    if missing:
        raise ValueError(f"FiftyOne dataset {name!r} has no field {', '.join(missing)} "
                         f"(its fields: {', '.join(sorted(schema))}); name them with --fields")
    id_fields = _id_fields(schema, id_field)
    if transcript_field and transcript_field not in schema:
        transcript_field = None
    scalar = [f for f in schema if f not in fmap.values() and f != transcript_field and f != "frames"]
    wanted = sorted(set(scalar) | set(fmap.values()) | ({transcript_field} if transcript_field else set()))
    voxel51_na = fmap == VOXEL51_FIELDS
    ids = ds.values("id")
    for i in range(0, len(ids), batch_size):
        view = ds.select(ids[i:i + batch_size], ordered=True)
        cols = dict(zip(wanted, view.values(wanted)))
        for j in range(len(cols["id"])):
            values = {f: cols[f][j] for f in wanted}
            values["_video_id"] = _pick_id(values, id_fields)
            try:
                yield convert_sample(values, fmap, convention, media_dir=media_dir, clip=clip,
                                     transcript_field=transcript_field, voxel51_na=voxel51_na)
            except RowError as e:
                yield e
            except Exception as e:  # a malformed sample must not stop the dataset
                yield RowError(values["_video_id"], f"unexpected {type(e).__name__}: {e}")
