"""Ingest: Action100M release and generic JSONL -> canonical videos / segments rows."""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videoaudit.formats.action100m import write_release
from videoaudit.ingest import IngestedVideo, RowError, iter_source
from videoaudit.ingest.action100m import convert_release_row
from videoaudit.ingest.jsonl import to_record
from videoaudit.ingest.validate import find_cycles, structure_issues, unique_ids
from videoaudit.schema import SEGMENTS, VIDEOS

from conftest import REAL_PARQUET as REAL
real_only = pytest.mark.usefixtures("real_data")  # skipped locally, failed in CI, without the file

EXPECTED = {  # video_uid: (nodes, action_brief N/A)
    "8JOpXDtraZI": (355, 4),
    "0Rtv7y3jTBo": (311, 2),
    "PDmUmo5EOGw": (117, 4),
    "HNvan8Fg9M4": (731, 3),
    "30PLZNxHuUo": (325, 11),
}


def _ok(items) -> list[IngestedVideo]:
    items = list(items)
    errors = [x for x in items if isinstance(x, RowError)]
    assert not errors, errors
    return items


def _check_schema(v: IngestedVideo) -> None:
    assert set(v.video) == set(VIDEOS.names)
    for r in v.segments:
        assert set(r) == set(SEGMENTS.names)
    # the rows build real Arrow tables of the canonical schemas
    pa.Table.from_pylist([v.video], schema=VIDEOS)
    pa.Table.from_pylist(v.segments, schema=SEGMENTS)


# ------------------------------------------------------------------ real data


@real_only
def test_real_release_ingests():
    videos = _ok(iter_source(REAL, "action100m"))
    assert [v.video["video_id"] for v in videos] == list(EXPECTED)
    for v in videos:
        _check_schema(v)
        n_nodes, n_na = EXPECTED[v.video["video_id"]]
        assert len(v.segments) == n_nodes
        assert sum("action_brief" in r["na_fields"] for r in v.segments) == n_na
        assert all(r["action_brief"] is None for r in v.segments if "action_brief" in r["na_fields"])
        assert not any(r["structure_issues"] for r in v.segments), "real data has no structure issues"
        assert v.warnings == []
        ids = [r["segment_id"] for r in v.segments]
        assert len(set(ids)) == len(ids)
        roots = [r for r in v.segments if r["parent_id"] is None]
        assert len(roots) == 1 and roots[0]["level"] == 0 and roots[0]["start"] == 0.0
        assert v.video["duration"] == roots[0]["end"]
        assert abs(v.video["full_duration"] - v.video["duration"]) < 1.0
        assert not any(r["beyond_clip"] for r in v.segments)
        # float32 noise removed
        assert all(r["end"] == round(r["end"], 3) for r in v.segments)
        # gpt only on internal nodes, leaves carry llama3 captions
        assert not any(r["has_gpt"] for r in v.segments if r["is_leaf"])
        assert any(r["llama3_caption"] for r in v.segments if r["is_leaf"])
        # timed transcript, whitespace normalised, ordered, inside the video
        tr = v.video["transcript"]
        assert tr
        for a, b in zip(tr, tr[1:]):
            assert a["start"] <= b["start"] and a["end"] <= b["start"] + 1e-9
        for e in tr:
            assert 0 <= e["start"] < e["end"] <= v.video["duration"]
            assert "  " not in e["text"] and "\n" not in e["text"]
        meta = json.loads(v.video["metadata"])
        assert {"view_count", "like_count", "upload_date"} <= set(meta) and meta["clip"] is None
        assert v.video["source"] == "action100m" and v.video["media_path"] is None


@real_only
def test_real_release_clip_90():
    videos = _ok(iter_source(REAL, "action100m", clip=90))
    assert len(videos) == 5
    for v in videos:
        _check_schema(v)
        assert v.video["duration"] <= 90
        assert v.video["full_duration"] > 90
        root = next(r for r in v.segments if r["parent_id"] is None)
        assert root["beyond_clip"] is True and root["end"] == 90
        assert all(r["start"] < 90 and r["end"] <= 90 for r in v.segments)
        assert not any(r["structure_issues"] for r in v.segments)
        assert all(e["start"] < 90 and e["end"] <= 90 for e in v.video["transcript"])
        assert json.loads(v.video["metadata"])["clip"] == 90
        # leaves inside the clip are complete, not beyond it
        assert not all(r["beyond_clip"] for r in v.segments)


@real_only
def test_media_dir(tmp_path):
    (tmp_path / "8JOpXDtraZI.mp4").write_bytes(b"\0")
    videos = _ok(iter_source(REAL, "action100m", media_dir=tmp_path))
    by_id = {v.video["video_id"]: v for v in videos}
    assert by_id["8JOpXDtraZI"].video["media_path"] == str(tmp_path / "8JOpXDtraZI.mp4")
    other = by_id["0Rtv7y3jTBo"]
    assert other.video["media_path"] is None
    assert any("0Rtv7y3jTBo.mp4" in w and w.startswith("video 0Rtv7y3jTBo") for w in other.warnings)


# ------------------------------------------------------------------ synthetic release rows


def _node(nid, pid, level, start, end, gpt=True, **kw):
    g = None
    if gpt:
        g = {
            "summary": {"brief": f"brief {nid}", "detailed": f"detailed {nid}"},
            "action": {"brief": kw.pop("action_brief", "cut onions"), "detailed": "detail", "actor": kw.pop("actor", "a cook")},
        }
    return {
        "node_id": nid,
        "parent_id": pid,
        "level": level,
        "start": start,
        "end": end,
        "plm_action": kw.get("plm_action", "cutting"),
        "plm_caption": kw.get("plm_caption", "a person cuts"),
        "llama3_caption": None if gpt else kw.get("llama3_caption", "leaf caption"),
        "gpt": g,
    }


def _row(uid, nodes=None, transcript=None, duration=10, **meta):
    if nodes is None:
        nodes = [
            _node("r", None, 0, 0.0, 10.0),
            _node("a", "r", 1, 0.0, 6.0),
            _node("b", "r", 1, 6.0, 10.0, gpt=False),
            _node("a1", "a", 2, 0.0, 3.0, gpt=False),
            _node("a2", "a", 2, 3.0, 6.0, gpt=False),
        ]
    m = {
        "title": f"title {uid}",
        "description": "desc",
        "view_count": 1,
        "like_count": 2,
        "duration": duration,
        "upload_date": "20200101",
        "transcript": [{"time": "0.5", "text": "hello  world"}, {"time": "4", "text": "next"}]
        if transcript is None
        else transcript,
    }
    m.update(meta)
    return {"video_uid": uid, "metadata": m, "nodes": nodes}


def test_convert_row_basics():
    v = convert_release_row(_row("v1"))
    _check_schema(v)
    by = {r["segment_id"]: r for r in v.segments}
    assert [r["segment_id"] for r in v.segments] == ["r", "a", "b", "a1", "a2"]  # source order
    assert by["r"]["is_leaf"] is False and by["b"]["is_leaf"] is True and by["a1"]["is_leaf"] is True
    assert by["a"]["summary_brief"] == "brief a" and by["a"]["actor"] == "a cook" and by["a"]["has_gpt"]
    assert by["b"]["has_gpt"] is False and by["b"]["summary_brief"] is None and by["b"]["na_fields"] == []
    assert v.video["transcript"] == [
        {"start": 0.5, "end": 4.0, "text": "hello world"},
        {"start": 4.0, "end": 9.0, "text": "next"},
    ]
    assert not any(r["structure_issues"] for r in v.segments)


def test_na_fields_case_insensitive():
    nodes = [
        _node("r", None, 0, 0.0, 10.0, action_brief=" n/a ", actor="N/A"),
        _node("x", "r", 1, 0.0, 5.0, gpt=False),
        _node("y", "r", 1, 5.0, 10.0, actor="N/A"),
    ]
    v = convert_release_row(_row("na", nodes=nodes))
    r, _, y = v.segments
    assert r["na_fields"] == ["action_brief", "actor"] and r["action_brief"] is None and r["actor"] is None
    assert r["action_detailed"] == "detail" and r["has_gpt"]
    assert y["na_fields"] == ["actor"] and y["action_brief"] == "cut onions"


def test_transcript_rules():
    tr = [
        {"time": "2.0", "text": "  b  "},
        {"time": "abc", "text": "bad"},
        {"time": "0.25", "text": "a\n  a"},
        {"time": "9.0", "text": "last"},
        {"time": "12", "text": "after the end"},
    ]
    v = convert_release_row(_row("tr", transcript=tr))
    assert v.video["transcript"] == [
        {"start": 0.25, "end": 2.0, "text": "a a"},
        {"start": 2.0, "end": 9.0, "text": "b"},
        {"start": 9.0, "end": 10.0, "text": "last"},
    ]
    assert any("'abc'" in w and w.startswith("video tr:") for w in v.warnings)
    assert any("dropped" in w for w in v.warnings)
    clipped = convert_release_row(_row("tr", transcript=tr), clip=5)
    assert [e["start"] for e in clipped.video["transcript"]] == [0.25, 2.0]
    assert clipped.video["transcript"][-1]["end"] == 5.0
    assert convert_release_row(_row("e", transcript=[])).video["transcript"] == []


def test_clip_rules():
    v = convert_release_row(_row("c"), clip=5)
    by = {r["segment_id"]: r for r in v.segments}
    assert set(by) == {"r", "a", "a1", "a2"}  # b starts at 6 >= 5: dropped
    assert by["r"]["end"] == 5 and by["r"]["beyond_clip"]
    assert by["a"]["end"] == 5 and by["a"]["beyond_clip"] and by["a2"]["beyond_clip"]
    assert not by["a1"]["beyond_clip"] and by["a1"]["end"] == 3
    assert by["a"]["is_leaf"] is False and by["r"]["is_leaf"] is False
    assert v.video["duration"] == 5 and v.video["full_duration"] == 10
    assert not any(r["structure_issues"] for r in v.segments)


def _malformed_rows():
    """(row, expected: 'error' | set of (segment_id, issue))"""
    big = "é漢🙂 " * 250_000  # ~1 MB of unicode
    rows = [
        (_row("good1"), set()),
        (_row("noroot", nodes=[_node("a", "x", 1, 0, 5), _node("b", "a", 2, 0, 5, gpt=False)]), "error"),
        (_row("tworoots", nodes=[_node("a", None, 0, 0, 5), _node("b", None, 0, 5, 10)]), "error"),
        (
            _row(
                "cycle",
                nodes=[_node("r", None, 0, 0, 10), _node("a", "b", 1, 0, 5), _node("b", "a", 1, 5, 10)],
            ),
            "error",
        ),
        (_row("badend", nodes=[_node("r", None, 0, 0, "abc")]), "error"),
        (_row("nanstart", nodes=[_node("r", None, 0, float("nan"), 10)]), "error"),
        (_row("nullend", nodes=[_node("r", None, 0, 0, None)]), "error"),
        ({"video_uid": None, "metadata": {}, "nodes": []}, "error"),
        ({"video_uid": "notalist", "metadata": {}, "nodes": "oops"}, "error"),
        (
            _row(
                "dup",
                nodes=[
                    _node("r", None, 0, 0, 10),
                    _node("a", "r", 1, 0, 5, gpt=False),
                    _node("a", "r", 1, 5, 10, gpt=False),
                ],
            ),
            {("a", "duplicate_id"), ("a#2", "duplicate_id")},
        ),
        (
            _row(
                "outside",
                nodes=[_node("r", None, 0, 0, 10), _node("a", "r", 1, 0, 5, gpt=False), _node("b", "r", 1, 5, 12, gpt=False)],
            ),
            {("b", "outside_parent")},
        ),
        (
            _row(
                "overlap",
                nodes=[_node("r", None, 0, 0, 10), _node("a", "r", 1, 0, 6, gpt=False), _node("b", "r", 1, 5, 10, gpt=False)],
            ),
            {("a", "overlapping_siblings"), ("b", "overlapping_siblings")},
        ),
        (
            _row(
                "nonpos",
                nodes=[_node("r", None, 0, 0, 10), _node("a", "r", 1, 0, 10, gpt=False), _node("b", "r", 1, 10, 9.5, gpt=False)],
            ),
            {("b", "nonpositive_duration")},
        ),
        (
            _row(
                "gap",
                nodes=[_node("r", None, 0, 0, 10), _node("a", "r", 1, 0, 4, gpt=False), _node("b", "r", 1, 6, 10, gpt=False)],
            ),
            {("r", "children_gap")},
        ),
        (
            _row(
                "orphan_level",
                nodes=[_node("r", None, 0, 0, 10), _node("a", "r", 2, 0, 10, gpt=False), _node("z", "nope", 1, 0, 1, gpt=False)],
            ),
            {("a", "level_mismatch"), ("z", "orphan")},
        ),
        (
            _row(
                "ternary",
                nodes=[
                    _node("r", None, 0, 0, 9),
                    _node("a", "r", 1, 0, 3, gpt=False),
                    _node("b", "r", 1, 3, 6, gpt=False),
                    _node("c", "r", 1, 6, 9, gpt=False),
                ],
            ),
            {("r", "non_binary")},
        ),
        (
            _row(
                "unicode",
                nodes=[_node("r", None, 0, 0, 10, gpt=False, plm_caption=big, llama3_caption="ça va 🙂")],
                transcript=[{"time": "1", "text": big}],
                title="标题 🎬",
            ),
            set(),
        ),
        (_row("emptytr", transcript=[]), set()),
        (_row("good2"), set()),
    ]
    return rows


def _check_malformed(results, rows):
    assert len(results) == len(rows)
    for (row, expected), got in zip(rows, results):
        uid = row.get("video_uid")
        if expected == "error":
            assert isinstance(got, RowError), (uid, got)
            assert got.video_id == uid and str(got) == f"video {uid}: {got.cause}"
            continue
        assert isinstance(got, IngestedVideo), (uid, got)
        _check_schema(got)
        found = {(r["segment_id"], code) for r in got.segments for code in r["structure_issues"]}
        assert found == expected, uid
    by = {g.video["video_id"]: g for g in results if isinstance(g, IngestedVideo)}
    uni = by["unicode"]
    assert len(uni.segments[0]["plm_caption"]) == 1_000_000 and uni.segments[0]["llama3_caption"] == "ça va 🙂"
    assert uni.video["title"] == "标题 🎬" and uni.video["transcript"][0]["text"] == " ".join(("é漢🙂 " * 250_000).split())
    assert by["emptytr"].video["transcript"] == []
    assert [r["segment_id"] for r in by["dup"].segments] == ["r", "a", "a#2"]


def test_malformed_rows_jsonl_release(tmp_path):
    rows = _malformed_rows()
    path = tmp_path / "release.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for row, _ in rows:
            f.write(json.dumps(row, allow_nan=True) + "\n")
        f.write("{not json\n")
        f.write(json.dumps(_row("after_bad_line")) + "\n")
    results = list(iter_source(path, "action100m"))
    _check_malformed(results[: len(rows)], rows)
    bad = results[len(rows)]
    assert isinstance(bad, RowError) and f"line {len(rows) + 1}" in bad.cause
    assert isinstance(results[-1], IngestedVideo) and results[-1].video["video_id"] == "after_bad_line"


def test_malformed_rows_parquet(tmp_path):
    # only rows the release's Arrow schema can hold (string times cannot be written)
    rows = [
        (r, e)
        for r, e in _malformed_rows()
        if r.get("video_uid") not in {"badend", "notalist"}
    ]
    path = tmp_path / "release.parquet"
    write_release([r for r, _ in rows], path, row_group_size=3)
    results = list(iter_source(path, "action100m"))
    _check_malformed(results, rows)


# ------------------------------------------------------------------ streaming


def _gen_rows(n):
    words = "the cook slices onions on a wooden board then fries them slowly in butter".split()

    def text(i, k):
        return " ".join(words[(i + j) % len(words)] for j in range(k)) + f" {i}"

    for v in range(n):
        nodes = [_node(f"{v}-r", None, 0, 0.0, 20.0)]
        for c, (s, e) in enumerate([(0.0, 8.0), (8.0, 20.0)]):
            nodes.append(_node(f"{v}-{c}", f"{v}-r", 1, s, e, gpt=False, plm_caption=text(v + c, 60)))
        nodes[0]["gpt"]["summary"]["detailed"] = text(v, 90)
        yield _row(f"vid{v:06d}", nodes=nodes, duration=20, description=text(v, 120))


def test_streaming_memory(tmp_path):
    path = tmp_path / "big.parquet"
    assert write_release(_gen_rows(2000), path, row_group_size=64) == 2000
    decoded = pq.read_table(path).nbytes
    tracemalloc.start()
    try:
        n = n_seg = 0
        for item in iter_source(path, "action100m"):
            assert isinstance(item, IngestedVideo)
            n += 1
            n_seg += len(item.segments)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 2000 and n_seg == 6000
    assert peak < decoded / 5, (peak, decoded)


# ------------------------------------------------------------------ generic JSONL


def _write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")


@real_only
def test_jsonl_round_trip_real(tmp_path):
    originals = _ok(iter_source(REAL, "action100m"))
    path = tmp_path / "videos.jsonl"
    _write_jsonl(path, [to_record(v.video, v.segments) for v in originals])
    back = _ok(iter_source(path, "jsonl"))
    assert len(back) == 5
    for a, b in zip(originals, back):
        _check_schema(b)
        assert b.warnings == []
        assert b.segments == a.segments
        va, vb = dict(a.video), dict(b.video)
        assert vb.pop("source") == "jsonl" and va.pop("source") == "action100m"
        assert json.loads(vb.pop("metadata")) == json.loads(va.pop("metadata"))
        assert va == vb


def test_jsonl_flat_media_levels_and_errors(tmp_path):
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.mp4").write_bytes(b"\0")
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    (media_dir / "c.mp4").write_bytes(b"\0")
    records = [
        {  # flat: three overlapping parentless events, no levels, no duration
            "video_id": "a",
            "media": "clips/a.mp4",
            "title": "flat",
            "transcript": [{"start": 0, "end": 1.5, "text": "hi  there"}, {"start": "2", "text": "x"}],
            "segments": [
                {"start": 0, "end": 4, "summary_brief": "one"},
                {"start": 3, "end": 6, "action_brief": "n/a"},
                {"start": 5, "end": 8, "captions": {"plm_caption": "pc"}},
            ],
            "extra": 1,
        },
        "not json at all",
        {"video_id": "b", "segments": [{"id": "x", "parent": "y", "start": 0, "end": 1}, {"id": "y", "parent": "x", "start": 0, "end": 1}]},
        {  # hierarchical, levels derived, media found in media_dir by id
            "video_id": "c",
            "duration": 10,
            "metadata": {"split": "val"},
            "segments": [
                {"id": "root", "parent": None, "start": 0, "end": 10},
                {"id": "k1", "parent": "root", "start": 0, "end": 5},
                {"id": "k2", "parent": "root", "start": 5, "end": 10, "level": 3},
                {"id": "g", "parent": "k1", "start": 0, "end": 5},
            ],
        },
        {"video_id": "d", "segments": []},
        {"video_id": "e", "segments": [{"id": "s", "start": "soon", "end": 3}]},
        {"segments": [{"start": 0, "end": 1}]},
        [1, 2],
        {"video_id": "f", "media": "missing.mp4", "segments": [{"start": 0, "end": 1}]},
    ]
    path = tmp_path / "data.jsonl"
    _write_jsonl(path, records)
    out = list(iter_source(path, "jsonl", media_dir=media_dir))
    assert len(out) == len(records)
    a, bad, b, c, d, e, noid, arr, f = out
    assert isinstance(a, IngestedVideo)
    _check_schema(a)
    assert a.video["media_path"] == str(tmp_path / "clips" / "a.mp4")
    assert a.video["duration"] == 8.0 and a.video["source"] == "jsonl"
    assert [r["segment_id"] for r in a.segments] == ["0", "1", "2"]
    assert all(r["level"] == 0 and r["parent_id"] is None and r["is_leaf"] for r in a.segments)
    assert not any(r["structure_issues"] for r in a.segments)  # flat datasets are not rejected
    assert a.segments[1]["na_fields"] == ["action_brief"] and a.segments[1]["has_gpt"]
    assert a.segments[2]["plm_caption"] == "pc" and not a.segments[2]["has_gpt"]
    assert a.video["transcript"] == [{"start": 0.0, "end": 1.5, "text": "hi there"}, {"start": 2.0, "end": 7.0, "text": "x"}]
    assert json.loads(a.video["metadata"])["extra"] == 1 and any("extra" in w for w in a.warnings)
    assert isinstance(bad, RowError) and "line 2" in bad.cause and bad.video_id is None
    assert isinstance(b, RowError) and b.video_id == "b" and "cycle" in b.cause and "line 3" in b.cause
    assert isinstance(c, IngestedVideo)
    assert c.video["media_path"] == str(media_dir / "c.mp4")
    levels = {r["segment_id"]: r["level"] for r in c.segments}
    assert levels == {"root": 0, "k1": 1, "k2": 3, "g": 2}
    issues = {r["segment_id"]: r["structure_issues"] for r in c.segments}
    assert issues == {"root": [], "k1": [], "k2": ["level_mismatch"], "g": []}
    assert json.loads(c.video["metadata"]) == {"split": "val", "clip": None}
    assert isinstance(d, RowError) and d.video_id == "d"
    assert isinstance(e, RowError) and "'soon'" in e.cause and str(e).startswith("video e: ")
    assert isinstance(noid, RowError) and "video_id" in noid.cause
    assert isinstance(arr, RowError) and "line 8" in arr.cause
    assert isinstance(f, IngestedVideo) and f.video["media_path"] is None
    assert any("missing.mp4" in w for w in f.warnings)


def test_jsonl_clip(tmp_path):
    rec = {
        "video_id": "long",
        "duration": 200,
        "segments": [
            {"id": "r", "start": 0, "end": 200, "summary_brief": "whole video"},
            {"id": "a", "parent": "r", "start": 0, "end": 80},
            {"id": "b", "parent": "r", "start": 80, "end": 200},
            {"id": "b1", "parent": "b", "start": 80, "end": 95},
            {"id": "b2", "parent": "b", "start": 95, "end": 200},
        ],
    }
    path = tmp_path / "one.jsonl"
    _write_jsonl(path, [rec])
    (v,) = _ok(iter_source(path, "jsonl", clip=90))
    assert v.video["duration"] == 90 and v.video["full_duration"] == 200
    by = {r["segment_id"]: r for r in v.segments}
    assert set(by) == {"r", "a", "b", "b1"}
    assert by["r"]["beyond_clip"] and by["b"]["beyond_clip"] and by["b1"]["beyond_clip"]
    assert not by["a"]["beyond_clip"] and by["b1"]["end"] == 90
    assert not any(r["structure_issues"] for r in v.segments)


def test_bad_format_and_clip():
    with pytest.raises(ValueError):
        iter_source("x", "csv")
    with pytest.raises(ValueError):
        list(iter_source("x.jsonl", "jsonl", clip=0))


# ------------------------------------------------------------------ validate


def test_unique_ids_and_cycles():
    assert unique_ids(["a", "b", "a", "a", "a#2"]) == ["a", "b", "a#3", "a#4", "a#2"]
    assert len(set(unique_ids(["a", "a", "a#2"]))) == 3
    segs = [
        {"segment_id": "r", "parent_id": None},
        {"segment_id": "s", "parent_id": "s"},
        {"segment_id": "x", "parent_id": "y"},
        {"segment_id": "y", "parent_id": "z"},
        {"segment_id": "z", "parent_id": "x"},
        {"segment_id": "o", "parent_id": "missing"},
    ]
    cycles = find_cycles(segs)
    assert sorted(sorted(c) for c in cycles) == [["s"], ["x", "y", "z"]]
    assert find_cycles(segs[:1] + segs[-1:]) == []


@st.composite
def tilings(draw, max_depth=5):
    """A valid binary tiling: every internal node has two children that tile it exactly."""
    duration = draw(st.floats(min_value=4.0, max_value=600.0)).__round__(3)
    segs: list[dict] = []
    counter = [0]

    def rec(parent, level, s, e):
        sid = f"n{counter[0]}"
        counter[0] += 1
        segs.append({"segment_id": sid, "parent_id": parent, "level": level, "start": s, "end": e})
        if level < max_depth and e - s >= 1.0 and draw(st.integers(0, 3)) > 0:
            frac = draw(st.floats(min_value=0.2, max_value=0.8))
            m = round(s + (e - s) * frac, 3)
            if s + 0.5 <= m <= e - 0.5:
                rec(sid, level + 1, s, m)
                rec(sid, level + 1, m, e)

    rec(None, 0, 0.0, duration)
    # breadth-first like the release
    segs.sort(key=lambda x: (x["level"], x["start"]))
    return segs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tilings())
def test_valid_tilings_have_no_issues(segs):
    assert structure_issues(segs) == {}
    assert find_cycles(segs) == []


PERTURBATIONS = [
    "nonpositive_duration",
    "outside_parent",
    "overlapping_siblings",
    "children_gap",
    "duplicate_id",
    "orphan",
    "level_mismatch",
    "non_binary",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tilings(), st.sampled_from(PERTURBATIONS), st.data())
def test_perturbed_tilings_are_flagged(segs, kind, data):
    children = {}
    for s in segs:
        children.setdefault(s["parent_id"], []).append(s)
    internal = [s for s in segs if s["segment_id"] in children]
    nonroot = [s for s in segs if s["parent_id"] is not None]
    if not nonroot:
        # a lone root: only a few perturbations apply
        kind = data.draw(st.sampled_from(["nonpositive_duration", "duplicate_id", "level_mismatch"]))
    segs = [dict(s) for s in segs]
    idx = {s["segment_id"]: i for i, s in enumerate(segs)}
    expect_on: str
    if kind == "nonpositive_duration":
        t = segs[data.draw(st.integers(0, len(segs) - 1))]
        t["end"] = t["start"] - data.draw(st.sampled_from([0.0, 0.5]))
        expect_on = t["segment_id"]
    elif kind == "outside_parent":
        t = segs[idx[data.draw(st.sampled_from(nonroot))["segment_id"]]]
        t["end"] = t["end"] + data.draw(st.floats(min_value=0.2, max_value=50))
        p = segs[idx[t["parent_id"]]]
        if t["end"] <= p["end"] + 0.05:
            t["end"] = p["end"] + 1.0
        expect_on = t["segment_id"]
    elif kind == "overlapping_siblings":
        p = data.draw(st.sampled_from(internal))
        first = segs[idx[children[p["segment_id"]][0]["segment_id"]]]
        first["end"] = first["end"] + 0.2  # into its sibling (and outside nothing: parent still contains it)
        expect_on = first["segment_id"]
    elif kind == "children_gap":
        p = data.draw(st.sampled_from(internal))
        last = segs[idx[children[p["segment_id"]][-1]["segment_id"]]]
        last["start"] = last["start"] + 0.2  # leaves a hole between the two children
        expect_on = p["segment_id"]
    elif kind == "duplicate_id":
        t = data.draw(st.sampled_from(segs))
        segs.append(dict(t))
        expect_on = t["segment_id"] + "#2"
    elif kind == "orphan":
        t = segs[idx[data.draw(st.sampled_from(nonroot))["segment_id"]]]
        t["parent_id"] = "no-such-node"
        expect_on = t["segment_id"]
    elif kind == "level_mismatch":
        t = data.draw(st.sampled_from(segs))
        segs[idx[t["segment_id"]]]["level"] = t["level"] + data.draw(st.sampled_from([1, 2, -1]))
        expect_on = t["segment_id"]
    else:  # non_binary
        p = data.draw(st.sampled_from(internal))
        segs.append({"segment_id": "extra", "parent_id": p["segment_id"], "level": p["level"] + 1,
                     "start": p["start"], "end": p["start"]})
        expect_on = p["segment_id"]
    issues = structure_issues(segs)
    assert kind in issues.get(expect_on, []), (kind, expect_on, issues)
    assert all(code in PERTURBATIONS for codes in issues.values() for code in codes)


def test_docs_cover_canonical_columns():
    root = Path(__file__).resolve().parents[1] / "docs"
    model = (root / "data-model.md").read_text(encoding="utf-8")
    for name in (*VIDEOS.names, *SEGMENTS.names):
        assert f"`{name}`" in model or f"`{name}`," in model or f" `{name}`" in model, name
    from videoaudit.ingest.validate import ISSUE_CODES

    for code in ISSUE_CODES:
        assert f"`{code}`" in model
    formats = (root / "formats.md").read_text(encoding="utf-8")
    for word in ("clip", "beyond_clip", "jsonl", "One-row JSON", "Opinions import"):
        assert word in formats
