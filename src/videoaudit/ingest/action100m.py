"""Action100M release rows -> canonical VIDEOS / SEGMENTS rows.

The helpers here (timed transcript, N/A handling, the segment-table builder) are shared
with the generic JSONL ingest, so both formats obey the same rules (docs/formats.md).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Iterable, Iterator

from ..schema import CAPTION_FIELDS, GPT_FIELDS, NA
from . import IngestedVideo, RowError, SourceError
from .validate import find_cycles, structure_issues, unique_ids

SOURCE = "action100m"

#: Seconds given to the last transcript entry (or to one whose end is unknown and has no successor).
LAST_ENTRY_SECONDS = 5.0

_GPT_PATHS = {
    "summary_brief": ("summary", "brief"),
    "summary_detailed": ("summary", "detailed"),
    "action_brief": ("action", "brief"),
    "action_detailed": ("action", "detailed"),
    "actor": ("action", "actor"),
}


# ---------------------------------------------------------------- shared helpers


def parse_seconds(x) -> float | None:
    """A finite number of seconds from a number or a numeric string; None if unparseable."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x.strip()) if isinstance(x, str) else float(x)
    except (TypeError, ValueError, AttributeError):
        return None
    return v if math.isfinite(v) else None


def normalise_text(text) -> str | None:
    """Collapse runs of whitespace (YouTube's double spaces, newlines) to one space."""
    if text is None:
        return None
    return " ".join(str(text).split())


def is_na(value) -> bool:
    return isinstance(value, str) and value.strip().upper() == NA


def split_na(fields: dict) -> tuple[dict, list[str]]:
    """Replace "N/A" values (stripped, case-insensitive) by None; return them by name."""
    out, na = {}, []
    for name in GPT_FIELDS:
        v = fields.get(name)
        if is_na(v):
            out[name] = None
            na.append(name)
        else:
            out[name] = v
    return out, na


def timed_transcript(
    entries: Iterable[tuple[object, object, object]] | None,
    duration: float,
    video_id: str,
    warnings: list[str],
    clipped: bool = False,
) -> list[dict] | None:
    """Timed transcript rows ``{start, end, text}`` from ``(start, end_or_None, text)`` tuples.

    Entries with an unparseable start are skipped with a warning; entries are ordered by
    start; an entry without an end lasts until the next entry's start (the last one:
    ``min(5 s, what remains of the duration)``); ends are clipped to ``duration``.
    Entries starting at or after ``duration`` are dropped (silently when ``clipped``,
    with a warning otherwise). Text is whitespace-normalised.
    """
    if entries is None:
        return None
    parsed: list[tuple[float, float | None, str | None]] = []
    for i, (st, en, text) in enumerate(entries):
        s = parse_seconds(st)
        if s is None:
            warnings.append(f"video {video_id}: transcript entry {i} skipped: unparseable time {st!r}")
            continue
        e = parse_seconds(en) if en is not None else None
        if en is not None and e is None:
            warnings.append(f"video {video_id}: transcript entry {i}: unparseable end {en!r}, derived instead")
        parsed.append((s, e, normalise_text(text)))
    parsed.sort(key=lambda t: t[0])
    out: list[dict] = []
    dropped = 0
    for j, (s, e, text) in enumerate(parsed):
        if s >= duration:
            dropped += 1
            continue
        if e is None or e <= s:
            if j + 1 < len(parsed) and parsed[j + 1][0] > s:
                e = parsed[j + 1][0]
            else:
                e = s + min(LAST_ENTRY_SECONDS, duration - s)
        out.append({"start": round(s, 3), "end": round(min(e, duration), 3), "text": text})
    if dropped and not clipped:
        warnings.append(
            f"video {video_id}: {dropped} transcript entries start at or after the annotated duration "
            f"{duration:g} s and were dropped"
        )
    return out


def contained(path: Path, folder: Path) -> bool:
    """Whether ``path``, resolved (``..`` and symlinks followed), lies inside ``folder`` resolved."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the name
        return False


def resolve_media(candidates: list[Path | tuple[Path, Path]], video_id: str, warnings: list[str]) -> str | None:
    """The first existing candidate path as a string; a warning naming them if none exists.

    A candidate built from data (a video id, a relative ``media`` field) is given as
    ``(path, folder)``: it is used only if it resolves inside ``folder``; one that escapes
    (``video_uid = "../outside/x"``) is refused with a warning naming the video (recorded).
    """
    plain: list[Path] = []
    for c in candidates:
        p, folder = c if isinstance(c, tuple) else (c, None)
        if folder is not None and not contained(p, folder):
            warnings.append(f"video {video_id}: media path {p} escapes the media folder {folder}; not used")
            return None
        plain.append(p)
        if p.is_file():
            return str(p)
    candidates = plain
    if candidates:
        warnings.append(f"video {video_id}: media not found: {', '.join(str(p) for p in candidates)}")
    return None


def _normalise_nodes(video_id: str, nodes: list[dict], warnings: list[str]) -> None:
    """Ids as text, times as rounded seconds, levels as int (or None: derived); in place."""
    for i, n in enumerate(nodes):
        sid = n.get("segment_id")
        if sid is None or (isinstance(sid, str) and not sid.strip()):
            raise RowError(video_id, f"node {i} has no id")
        n["segment_id"] = str(sid)
        if n.get("parent_id") is not None:
            n["parent_id"] = str(n["parent_id"])
        for key in ("start", "end"):
            v = parse_seconds(n.get(key))
            if v is None:
                raise RowError(video_id, f"node {n['segment_id']}: unparseable {key} {n.get(key)!r}")
            n[key] = round(v, 3)
        lv = n.get("level")
        if lv is not None:
            try:
                n["level"] = int(lv)
            except (TypeError, ValueError):
                warnings.append(f"video {video_id}: node {n['segment_id']}: unparseable level {lv!r}, derived")
                n["level"] = None


def _root_end(video_id: str, nodes: list[dict], require_single_root: bool) -> float:
    """The latest root end; RowError for a cycle, no root, or several where one is required."""
    cycles = find_cycles(nodes)
    if cycles:
        shown = " -> ".join(cycles[0][:5]) + (" ..." if len(cycles[0]) > 5 else "")
        raise RowError(video_id, f"cycle in parent links: {shown}")
    roots = [n for n in nodes if n.get("parent_id") is None]
    if not roots:
        raise RowError(video_id, "no root (no node without a parent)")
    if require_single_root and len(roots) > 1:
        raise RowError(video_id, f"{len(roots)} roots (nodes without a parent); expected exactly one")
    return max(n["end"] for n in roots)


def _derive_levels(nodes: list[dict]) -> None:
    """Missing levels: the parent's level (given or derived) + 1; first copy of a duplicated id wins."""
    if not any(n.get("level") is None for n in nodes):
        return
    by_id: dict[str, dict] = {}
    for n in nodes:
        by_id.setdefault(n["segment_id"], n)
    depth: dict[str, int | None] = {sid: n["level"] for sid, n in by_id.items() if n.get("level") is not None}

    def depth_of(sid: str) -> int | None:
        chain = []
        cur: str | None = sid
        while cur is not None and cur not in depth:
            node = by_id.get(cur)
            if node is None:  # orphan: unknown depth
                break
            chain.append(cur)
            cur = node.get("parent_id")
        base: int | None = -1 if cur is None else depth.get(cur)  # None for an unknown parent
        for c in reversed(chain):
            base = None if base is None else base + 1
            depth[c] = base
        return depth.get(sid)

    for n in nodes:
        if n.get("level") is None:
            n["level"] = depth_of(n["segment_id"])


def _clip_nodes(nodes: list[dict], clip: float) -> list[dict]:
    """Drop nodes starting at/after the clip, shorten the others (``beyond_clip``)."""
    kept = []
    for n in nodes:
        if n["start"] >= clip:
            continue
        n["beyond_clip"] = n["end"] > clip
        if n["beyond_clip"]:
            n["end"] = float(clip)
        kept.append(n)
    return kept


def _segment_rows(video_id: str, nodes: list[dict]) -> list[dict]:
    parents = {n.get("parent_id") for n in nodes}
    issues = structure_issues(nodes)
    uids = unique_ids([n["segment_id"] for n in nodes])
    rows: list[dict] = []
    for uid, n in zip(uids, nodes):
        gpt = n.get("gpt")
        fields, na = split_na(gpt or {})
        caps = n.get("captions") or {}
        rows.append({
            "video_id": video_id,
            "segment_id": uid,
            "parent_id": n.get("parent_id"),
            "level": n.get("level"),
            "start": n["start"],
            "end": n["end"],
            "is_leaf": n["segment_id"] not in parents,
            "has_gpt": gpt is not None,
            **fields,
            "na_fields": na,
            **{c: caps.get(c) for c in CAPTION_FIELDS},
            "beyond_clip": bool(n.get("beyond_clip", False)),
            "structure_issues": issues.get(uid, []),
        })
    return rows


def build_segments(
    video_id: str,
    nodes: list[dict],
    clip: float | None,
    warnings: list[str],
    require_single_root: bool,
) -> tuple[list[dict], float | None]:
    """Canonical SEGMENTS rows from normalised nodes; returns (rows, root end or None).

    Each node: ``segment_id, parent_id, level (or None: derived), start, end, gpt (dict of
    the five GPT fields or None), captions (dict of CAPTION_FIELDS)``. Raises RowError for
    an unusable tree (ids missing, times unparseable, cycles, root count).
    """
    _normalise_nodes(video_id, nodes, warnings)
    root_end = _root_end(video_id, nodes, require_single_root)
    _derive_levels(nodes)
    if clip is not None:
        nodes = _clip_nodes(nodes, clip)
    return _segment_rows(video_id, nodes), root_end


def transcript_entries(raw, video_id: str, warnings: list[str], entry) -> list[tuple] | None:
    """``(start, end, text)`` of each object of a raw transcript list, by ``entry(dict)``; None
    when there is no list (a non-list and every non-object entry is warned about)."""
    if isinstance(raw, list):
        entries = []
        for i, e in enumerate(raw):
            if isinstance(e, dict):
                entries.append(entry(e))
            else:
                warnings.append(f"video {video_id}: transcript entry {i} is not an object; skipped")
        return entries
    if raw is not None:
        warnings.append(f"video {video_id}: transcript is {type(raw).__name__}, not a list; ignored")
    return None


def metadata_json(meta: dict) -> str:
    return json.dumps(meta, ensure_ascii=False, default=str, sort_keys=True)


# ---------------------------------------------------------------- Action100M


def _gpt_fields(gpt) -> dict | None:
    if gpt is None:
        return None
    if not isinstance(gpt, dict):
        raise TypeError(f"gpt is a {type(gpt).__name__}, not a struct")
    out = {}
    for name, (a, b) in _GPT_PATHS.items():
        part = gpt.get(a) or {}
        out[name] = part.get(b) if isinstance(part, dict) else None
    return out


def _release_nodes(uid: str, raw_nodes) -> list[dict]:
    """A release row's ``nodes`` as build_segments' normalised nodes."""
    if not isinstance(raw_nodes, list):
        raise RowError(uid, f"nodes is {type(raw_nodes).__name__}, not a list")
    nodes = []
    for i, rn in enumerate(raw_nodes):
        if not isinstance(rn, dict):
            raise RowError(uid, f"node {i} is {type(rn).__name__}, not an object")
        try:
            gpt = _gpt_fields(rn.get("gpt"))
        except TypeError as e:
            raise RowError(uid, f"node {rn.get('node_id')}: {e}") from None
        nodes.append({
            "segment_id": rn.get("node_id"),
            "parent_id": rn.get("parent_id"),
            "level": rn.get("level"),
            "start": rn.get("start"),
            "end": rn.get("end"),
            "gpt": gpt,
            "captions": {c: rn.get(c) for c in CAPTION_FIELDS},
        })
    return nodes


def convert_release_row(row: dict, media_dir=None, clip: float | None = None) -> IngestedVideo:
    """One Action100M release row (a dict) -> IngestedVideo; raises RowError if unusable."""
    if not isinstance(row, dict):
        raise RowError(None, f"row is a {type(row).__name__}, not an object")
    uid = row.get("video_uid")
    if uid is None or not str(uid).strip():
        raise RowError(None, "missing video_uid")
    uid = str(uid)
    warnings: list[str] = []
    segments, root_end = build_segments(uid, _release_nodes(uid, row.get("nodes")), clip, warnings,
                                        require_single_root=True)

    meta = row.get("metadata") or {}
    if not isinstance(meta, dict):
        warnings.append(f"video {uid}: metadata is {type(meta).__name__}, not an object; ignored")
        meta = {}
    full = parse_seconds(meta.get("duration"))
    if full is None:
        if meta.get("duration") is not None:
            warnings.append(f"video {uid}: unparseable metadata.duration {meta.get('duration')!r}; root end used")
        full = root_end
    duration = root_end if clip is None else min(root_end, float(clip))
    entries = transcript_entries(meta.get("transcript"), uid, warnings, lambda e: (e.get("time"), None, e.get("text")))
    transcript = timed_transcript(entries, duration, uid, warnings, clipped=clip is not None)

    media_path = None
    if media_dir is not None:
        media_path = resolve_media([(Path(media_dir) / f"{uid}.mp4", Path(media_dir))], uid, warnings)

    rest = {k: v for k, v in meta.items() if k not in {"title", "description", "duration", "transcript"}}
    rest.update({k: v for k, v in row.items() if k not in {"video_uid", "metadata", "nodes"}})
    rest["clip"] = clip
    video = {
        "video_id": uid,
        "media_path": media_path,
        "duration": duration,
        "full_duration": float(full),
        "fps": None,
        "title": meta.get("title"),
        "description": meta.get("description"),
        "transcript": transcript,
        "metadata": metadata_json(rest),
        "source": SOURCE,
    }
    return IngestedVideo(video=video, segments=segments, warnings=warnings)


def _guess_id(row) -> str | None:
    if isinstance(row, dict):
        for key in ("video_uid", "video_id"):
            if row.get(key) is not None:
                return str(row[key])
    return None


def convert_or_error(convert, row, *args, **kwargs) -> IngestedVideo | RowError:
    """Run a converter; any failure becomes a RowError naming the video (never raises)."""
    try:
        return convert(row, *args, **kwargs)
    except RowError as e:
        return e
    except Exception as e:  # a malformed row must not stop the file
        return RowError(_guess_id(row), f"unexpected {type(e).__name__}: {e}")


_ID_IN_LINE = re.compile(rb'"video_(?:uid|id)"\s*:\s*"((?:[^"\\]|\\.){1,200})"')


def peek_id(raw: bytes) -> str | None:
    """The video id written near the start of an unparseable line, if one can be seen (for the message)."""
    m = _ID_IN_LINE.search(raw[:10_000])
    return m.group(1).decode("utf-8", errors="backslashreplace") if m else None


def iter_json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """``(line number, parsed value or RowError)`` per non-blank line, each line decoded and parsed alone.

    The file is read as bytes: an invalid UTF-8 line, a line nested too deep for the parser
    (RecursionError) or any other unparseable line is a RowError naming its line (and the
    video id it shows, if any); the lines around it are unaffected.
    """
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    with f:
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield lineno, RowError(peek_id(raw), f"line {lineno}: invalid UTF-8 at byte {e.start}")
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as e:
                yield lineno, RowError(peek_id(raw), f"line {lineno}: invalid JSON ({e.msg} at column {e.colno})")
            except RecursionError:
                yield lineno, RowError(peek_id(raw), f"line {lineno}: JSON nested too deeply to read")
            except (ValueError, MemoryError) as e:
                yield lineno, RowError(peek_id(raw), f"line {lineno}: unreadable JSON ({type(e).__name__}: {e})")


def _raw_id(table, i: int) -> str | None:
    """The video_uid of row ``i`` as text, undecodable bytes shown escaped (for the rejection message)."""
    import pyarrow as pa

    if "video_uid" not in table.column_names:
        return None
    try:
        v = table.column("video_uid").slice(i, 1).cast(pa.binary()).to_pylist()[0]
    except Exception:
        return None
    return None if v is None else v.decode("utf-8", errors="backslashreplace")


def iter_parquet_rows(path: Path) -> Iterator[tuple[int, object]]:
    """``(row number, row dict or RowError)``, one row group in memory at a time, each row converted alone.

    A file that is not parquet is a SourceError (one line naming the file); an unreadable row
    group rejects its rows only; a row that does not convert to Python (invalid UTF-8, ...) is
    a RowError naming its row and, where it can be read, its video_uid.
    """
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise SourceError(f"{path} is not a readable parquet file: {type(exc).__name__}: {exc}") from None
    row = 0
    for g in range(pf.num_row_groups):
        n = pf.metadata.row_group(g).num_rows
        try:
            table = pf.read_row_group(g)
        except Exception as exc:
            yield row + 1, RowError(None, f"rows {row + 1}-{row + n}: row group {g} unreadable: "
                                          f"{type(exc).__name__}: {exc}")
            row += n
            continue
        try:
            rows = table.to_pylist()
        except Exception:
            rows = None  # one bad row: find it, keep the others
        for i in range(table.num_rows):
            if rows is not None:
                yield row + i + 1, rows[i]
                continue
            try:
                yield row + i + 1, table.slice(i, 1).to_pylist()[0]
            except Exception as exc:
                yield row + i + 1, RowError(_raw_id(table, i), f"row {row + i + 1}: unreadable: "
                                                               f"{type(exc).__name__}: {exc}")
        row += table.num_rows


def _iter_json_file(path: Path) -> Iterator[tuple[int, object]]:
    """The one-row JSON form: one object, or an array of them (all or nothing: it is one JSON value)."""
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"{path} is not readable JSON: {type(exc).__name__}: {exc}") from None
    for i, row in enumerate(data if isinstance(data, list) else [data], 1):
        yield i, row


def numbered(out, where: str):
    """``out`` (IngestedVideo or RowError) with the source position recorded / named."""
    if isinstance(out, RowError):
        return out if where in out.cause else RowError(out.video_id, f"{out.cause} ({where})")
    out.where = where
    return out


def iter_action100m(path, media_dir=None, clip: float | None = None) -> Iterator[IngestedVideo | RowError]:
    """Stream an Action100M release (parquet by row group, or JSON lines by line); every row alone."""
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be a positive number of seconds, got {clip!r}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows, unit = iter_json_lines(path), "line"
    elif suffix == ".json":
        rows, unit = _iter_json_file(path), "row"
    else:
        rows, unit = iter_parquet_rows(path), "row"
    for n, row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        yield numbered(convert_or_error(convert_release_row, row, media_dir=media_dir, clip=clip), f"{unit} {n}")
