"""Bad input never stops an audit: broken media, malformed annotation rows, odd text, bad opinion lines.

One workspace (module-scoped, embedded once) holds all of it: the 3 good sample videos,
3 copies of a good annotation row whose media files are broken, 3 malformed rows, a
unicode row with a 1 MB text field and a row with an empty transcript.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import write_jsonl
from videoaudit.formats.action100m import iter_release, write_release

BAD_MEDIA = ("bad_zero", "bad_truncated", "bad_textfile")
MALFORMED = ("mal_noroot", "mal_cycle", "mal_badend")
BIG = "长文本 🎬 שלום " * 90_910  # 1 000 010 characters (~2.5 MB of UTF-8): CJK, emoji, RTL
UNI_TITLE = "🎬 Готовим 饺子 — مرحبا بالعالم"
UNI_BRIEF = "A cook 👩‍🍳 folds 饺子 dumplings while saying שלום"


def _gpt(brief, detailed, action="fold dumplings", actor="a cook"):
    return {"summary": {"brief": brief, "detailed": detailed},
            "action": {"brief": action, "detailed": f"{actor} {action} on the board", "actor": actor}}


def _node(nid, pid, level, start, end, gpt=None, caption="a person at a table"):
    return {"node_id": nid, "parent_id": pid, "level": level, "start": start, "end": end,
            "plm_action": "folding", "plm_caption": caption, "llama3_caption": None, "gpt": gpt}


def _row(uid, nodes, transcript=None, title=None):
    return {"video_uid": uid, "nodes": nodes, "metadata": {
        "title": title or f"video {uid}", "description": "making dumplings at home", "view_count": 1,
        "like_count": 1, "duration": 20, "upload_date": "20240101",
        "transcript": [{"time": "1.0", "text": "first we fold"}] if transcript is None else transcript}}


def _small_tree(uid):
    return [
        _node("r", None, 0, 0.0, 20.0, _gpt("making dumplings", "a cook makes dumplings in a kitchen")),
        _node("a", "r", 1, 0.0, 10.0, _gpt("rolling dough", "a cook rolls the dough flat", "roll dough")),
        _node("b", "r", 1, 10.0, 20.0, _gpt("folding dumplings", "a cook folds the filled dumplings")),
    ]


@pytest.fixture(scope="module")
def bad(sample_media, tmp_path_factory):
    from videoaudit.api import Workspace

    root = tmp_path_factory.mktemp("bad_input")
    media = root / "videos"
    shutil.copytree(sample_media["paths"]["videos"], media)
    real = sorted(media.glob("*.mp4"))[0].read_bytes()
    (media / "bad_zero.mp4").write_bytes(b"")
    (media / "bad_truncated.mp4").write_bytes(real[: int(len(real) * 0.3)])
    (media / "bad_textfile.mp4").write_text("this is not a video, just text\n" * 50, encoding="utf-8")

    good = list(iter_release(sample_media["paths"]["annotations"]))
    rows = list(good)
    for uid in BAD_MEDIA:  # good annotations, broken media
        clone = copy.deepcopy(good[0])
        clone["video_uid"] = uid
        rows.append(clone)
    rows += [
        _row("mal_noroot", [_node("a", "x", 1, 0.0, 5.0, _gpt("b", "d")), _node("b", "a", 2, 0.0, 5.0)]),
        _row("mal_cycle", [_node("r", None, 0, 0.0, 10.0, _gpt("b", "d")), _node("a", "b", 1, 0.0, 5.0),
                           _node("b", "a", 1, 5.0, 10.0)]),
        # the release stores times as float32: NaN is what an unparseable end looks like there
        _row("mal_badend", [_node("r", None, 0, 0.0, float("nan"), _gpt("b", "d"))]),
    ]
    uni_nodes = _small_tree("uni")
    uni_nodes[1]["gpt"] = _gpt(UNI_BRIEF, BIG, "fold 饺子", "a cook 👩‍🍳")
    uni_nodes[2]["plm_caption"] = BIG
    rows.append(_row("uni", uni_nodes, title=UNI_TITLE,
                     transcript=[{"time": "0.5", "text": "مرحبا 你好 👋"}, {"time": "3", "text": BIG}]))
    rows.append(_row("empty_transcript", _small_tree("empty_transcript"), transcript=[]))
    ann = root / "annotations.parquet"
    write_release(rows, ann)

    ws = Workspace(root / "ws")
    summary = ws.ingest(ann, format="action100m", media=media)

    lines = [
        json.dumps({"video_id": "uni", "kind": "description", "text": "someone makes 饺子 🥟"}),  # 1 ok
        json.dumps({"video_id": "uni", "kind": "event", "start": 1.0, "end": 9.0, "text": "rolls dough"}),  # 2 ok
        json.dumps({"video_id": "no_such_video", "kind": "description", "text": "hello"}),  # 3 unknown video
        '{"video_id": "uni", "kind": "event", "start": 1.0,',  # 4 bad JSON
        json.dumps({"video_id": "uni", "kind": "event", "start": 8.0, "end": 2.0, "text": "backwards"}),  # 5
        json.dumps({"video_id": "uni", "kind": "point", "t": 2.0, "x": 1.5, "y": 0.5, "text": "the cook"}),  # 6
        "",  # blank lines are skipped, not errors
        json.dumps({"video_id": "uni", "kind": "point", "t": 2.0, "x": 0.5, "y": 0.5, "text": "the cook"}),  # 8 ok
    ]
    ops = write_jsonl(root / "opinions.jsonl", lines)
    imported = ws.import_opinions(ops, source="test-annotator")
    reports = ws.run()
    return {"ws": ws, "summary": summary, "imported": imported, "reports": reports, "good": good, "root": root}


# ----------------------------------------------------------------------------- media


def test_run_completes_and_bad_media_are_recorded(bad):
    ws, reports = bad["ws"], bad["reports"]
    good_ids = [r["video_uid"] for r in bad["good"]]
    media = reports["pixels"]  # the media stage became the pixels stage
    assert media.done == len(good_ids)
    assert sorted(media.failed) == sorted(BAD_MEDIA)
    for vid, msg in media.failed.items():
        assert vid in msg
    prog = [r for r in ws.table("progress").to_pylist() if r["stage"] == "pixels"]
    status = {r["video_id"]: r["status"] for r in prog}
    assert len(prog) == len(status), "one progress row per (stage, video)"
    for vid in BAD_MEDIA:
        assert status[vid] == "error"
        row = next(r for r in prog if r["video_id"] == vid)
        assert row["error"] and vid in row["error"]
    for vid in good_ids:
        assert status[vid] == "ok"
    errs = [r for r in ws.errors().to_pylist() if r["stage"] == "pixels"]
    assert {r["video_id"] for r in errs} == set(BAD_MEDIA)
    for r in errs:
        assert r["video_id"] in r["error"]
    # probe rows and thumbnails only for the videos that decode
    assert sorted(ws.table("media").column("video_id").to_pylist()) == sorted(good_ids)
    assert set(ws.table("thumbnails").column("video_id").to_pylist()) == set(good_ids)


def test_every_ingested_video_still_gets_confidence(bad):
    ws, reports = bad["ws"], bad["reports"]
    ids = set(ws.video_ids())
    assert reports["signals"].failed == {} and reports["confidence"].failed == {}
    assert reports["signals"].done == reports["confidence"].done == len(ids)
    conf_ids = set(ws.confidence_map().column("video_id").to_pylist())
    assert conf_ids == ids  # good media, bad media (annotations are fine), unicode, empty transcript
    for r in ws.confidence_map().to_pylist():
        assert 0.0 <= r["confidence"] <= 1.0


def test_rerun_retries_only_failed_media(bad):
    """Store.finished() counts only status "ok": a re-run retries the failures (and records them again)."""
    ws = bad["ws"]
    n_err = sum(1 for e in ws.errors().to_pylist() if e["stage"] == "pixels")
    rep = ws.run(stages=["media"])["pixels"]  # "media" still names it
    assert rep.done == 0 and rep.skipped == len(bad["good"])
    assert sorted(rep.failed) == sorted(BAD_MEDIA)
    prog = [(r["video_id"], r["status"]) for r in ws.table("progress").to_pylist() if r["stage"] == "pixels"]
    assert len(prog) == len(bad["good"]) + len(BAD_MEDIA)  # still one ledger row per video
    assert sorted(v for v, st in prog if st == "error") == sorted(BAD_MEDIA)
    assert sum(1 for e in ws.errors().to_pylist() if e["stage"] == "pixels") == n_err + len(BAD_MEDIA)
    assert ws.table("media").num_rows == len(bad["good"])  # the good videos' rows were not touched


# ----------------------------------------------------------------------------- annotation rows


def test_malformed_rows_rejected_others_ingest(bad):
    s, ws = bad["summary"], bad["ws"]
    assert len(s.rejected) == len(MALFORMED)
    for uid in MALFORMED:
        assert sum(msg.startswith(f"video {uid}: ") for msg in s.rejected) == 1, (uid, s.rejected)
    by = {uid: next(m for m in s.rejected if m.startswith(f"video {uid}:")) for uid in MALFORMED}
    assert "root" in by["mal_noroot"]
    assert "cycle" in by["mal_cycle"]
    assert "end" in by["mal_badend"]
    good_ids = [r["video_uid"] for r in bad["good"]]
    expected = sorted(good_ids + list(BAD_MEDIA) + ["uni", "empty_transcript"])
    assert sorted(ws.video_ids()) == expected and s.videos == len(expected)
    assert not set(MALFORMED) & set(ws.table("segments").column("video_id").to_pylist())
    errs = [r for r in ws.errors().to_pylist() if r["stage"] == "ingest" and r["video_id"] in MALFORMED]
    assert sorted(r["video_id"] for r in errs) == sorted(MALFORMED)
    for r in errs:
        assert r["video_id"] in r["error"]


def test_unicode_and_1mb_text_survive(bad):
    ws = bad["ws"]
    v = ws.store.read("videos", ["uni"]).to_pylist()[0]
    assert v["title"] == UNI_TITLE
    assert v["transcript"][0]["text"] == "مرحبا 你好 👋"
    assert v["transcript"][1]["text"] == " ".join(BIG.split())
    segs = {s["segment_id"]: s for s in ws.store.read("segments", ["uni"]).to_pylist()}
    assert segs["a"]["summary_brief"] == UNI_BRIEF
    assert segs["a"]["summary_detailed"] == BIG and len(BIG) >= 1_000_000
    assert segs["a"]["action_brief"] == "fold 饺子" and segs["a"]["actor"] == "a cook 👩‍🍳"
    assert segs["b"]["plm_caption"] == BIG
    conf = {r["segment_id"]: r for r in ws.store.read("confidence", ["uni"]).to_pylist()}
    assert set(conf) == {"r", "a", "b"}
    assert all(0.0 <= r["confidence"] <= 1.0 for r in conf.values())


def test_empty_transcript(bad):
    ws = bad["ws"]
    v = ws.store.read("videos", ["empty_transcript"]).to_pylist()[0]
    assert v["transcript"] == []
    sig = [r for r in ws.store.read("signals", ["empty_transcript"]).to_pylist() if r["signal"] == "evidence.transcript"]
    assert sig and all(r["value"] is None for r in sig)  # no transcript: no evidence, not evidence against
    assert ws.store.read("confidence", ["empty_transcript"]).num_rows == 3


# ----------------------------------------------------------------------------- opinions


def test_opinion_errors_name_line_and_video(bad):
    r, ws = bad["imported"], bad["ws"]
    assert r["imported"] == 3 and r["videos"] == 1
    assert r["errors"] == 4
    msgs = r["error_messages"]
    assert len(msgs) == 4
    by_line = {}
    for m in msgs:
        assert m.startswith("opinions.jsonl line "), m
        by_line[int(m.split("line ", 1)[1].split(":")[0].split(" ")[0])] = m
    assert sorted(by_line) == [3, 4, 5, 6]
    assert "no_such_video" in by_line[3] and "not in the workspace" in by_line[3]
    assert "JSON" in by_line[4] or "Expecting" in by_line[4] or "delimiter" in by_line[4]
    assert "video uni" in by_line[5] and "end" in by_line[5]
    assert "video uni" in by_line[6] and "x=1.5" in by_line[6]
    ops = ws.table("opinions").to_pylist()
    assert sorted(o["kind"] for o in ops) == ["description", "event", "point"]
    assert all(o["video_id"] == "uni" and o["source"] == "test-annotator" for o in ops)
    errs = [e for e in ws.errors().to_pylist() if e["stage"] == "opinions"]
    assert len(errs) == 4
    assert {e["video_id"] for e in errs} == {"no_such_video", None, "uni"}


def test_opinions_reach_the_signals(bad):
    ws = bad["ws"]
    sem = {r["segment_id"]: r["value"] for r in ws.store.read("signals", ["uni"]).to_pylist()
           if r["signal"] == "semantic.opinion"}
    assert sem["r"] is not None  # the root is compared with the description
    assert sem["a"] is not None  # the event 1-9 s lies inside segment a (0-10 s)
    assert sem["b"] is None  # nothing was said about 10-20 s


# ----------------------------------------------------------------------------- classes of bad input (issue 11)
# Each test below is one class of failure: the input, and what must happen (docs/reliability.md).

from typer.testing import CliRunner  # noqa: E402

from videoaudit.cli import app as cli_app  # noqa: E402

cli = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def _cli(*args, code: int | None = None):
    res = cli.invoke(cli_app, [str(a) for a in args])
    if code is not None:
        assert res.exit_code == code, f"{args}: exit {res.exit_code}\n{res.output}\n{res.exception!r}"
    return res


def _one_line_error(res, *needles):
    """Exit 1, one line on stderr starting with 'error:', naming every needle, no traceback."""
    assert res.exit_code == 1, (res.exit_code, res.output, res.exception)
    err = res.stderr.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert "Traceback" not in res.output and ".rs:" not in err, res.output
    for n in needles:
        assert str(n) in err, (n, err)
    return err


def _tree(uid):
    return [{"id": "r", "start": 0, "end": 10, "summary_brief": f"{uid} cooks", "summary_detailed": "a cook cooks"},
            {"id": "a", "parent": "r", "start": 0, "end": 5, "summary_brief": "chops"},
            {"id": "b", "parent": "r", "start": 5, "end": 10, "summary_brief": "stirs"}]


def test_jsonl_lines_are_converted_in_isolation(tmp_path):
    """Deep nesting (RecursionError), invalid UTF-8, a wrong type, a non-object line, a duplicate id:
    each rejects its own line only, naming line and video; the good lines around them are stored."""
    from videoaudit.api import Workspace

    good = lambda uid, **kw: json.dumps({"video_id": uid, "segments": _tree(uid), **kw}).encode()  # noqa: E731
    lines = [good("g1"),
             b'{"video_id": "deep", "segments": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
             b'{"video_id": "badutf\xff\xfe", "segments": []}',
             good("wrongtype", title={"not": "a string"}),
             b"[1, 2, 3]",
             good("g2"),
             good("g1", title="second copy, never merged"),
             good("g3")]
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    ws = Workspace(tmp_path / "ws")
    s = ws.ingest(src, format="jsonl")
    assert sorted(ws.video_ids()) == ["g1", "g2", "g3"] and s.videos == 3
    by_line = {int(re.findall(r"line (\d+)", m)[0]): m for m in s.rejected}
    assert sorted(by_line) == [2, 3, 4, 5, 7], s.rejected
    assert by_line[2].startswith("video deep: ") and "nested too deep" in by_line[2]
    assert "badutf" in by_line[3] and "UTF-8" in by_line[3]
    assert by_line[4].startswith("video wrongtype: ") and "wrong type" in by_line[4]
    assert "not an object" in by_line[5]
    assert by_line[7].startswith("video g1: ") and "duplicate" in by_line[7] and "line 1" in by_line[7]
    g1 = ws.store.read("videos", ["g1"]).to_pylist()
    assert len(g1) == 1 and g1[0]["title"] is None  # the first copy, not the second's title
    assert ws.store.read("segments", ["g1"]).num_rows == 3  # 3 segments, not 3 + 3 merged
    recorded = [e["error"] for e in ws.errors().to_pylist() if e["stage"] == "ingest"]
    assert sorted(recorded) == sorted(s.rejected)


def _release_with_bad_utf8(path: Path, rows: list[dict], bad_index: int) -> None:
    """Write release rows where row ``bad_index``'s video_uid holds invalid UTF-8 bytes (as a foreign writer can)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from videoaudit.formats.action100m import RELEASE_SCHEMA

    t = pa.Table.from_pylist(rows, schema=RELEASE_SCHEMA)
    uid = t.column("video_uid").combine_chunks()
    marker = rows[bad_index]["video_uid"].encode()
    offsets, data = uid.buffers()[1], bytearray(uid.buffers()[2].to_pybytes())
    i = data.index(marker)
    data[i:i + 2] = b"\xff\xfe"
    bad = pa.Array.from_buffers(pa.string(), len(uid), [None, offsets, pa.py_buffer(bytes(data))])
    pq.write_table(t.set_column(0, "video_uid", bad), path)


def test_parquet_rows_are_converted_in_isolation(sample6, tmp_path):
    """An invalid UTF-8 video_uid rejects its row (row number, id shown escaped), a duplicate video_uid
    is reported and the first kept; every other row of the same row group is stored."""
    from videoaudit.api import Workspace

    rows = list(iter_release(sample6["paths"]["annotations"]))
    dup = copy.deepcopy(rows[0])
    dup["nodes"] = dup["nodes"][:1]  # a second copy with one node: merging would show
    rows.insert(3, dup)
    src = tmp_path / "bad.parquet"
    _release_with_bad_utf8(src, rows, bad_index=1)
    ws = Workspace(tmp_path / "ws")
    s = ws.ingest(src)
    want = {r["video_uid"] for i, r in enumerate(rows) if i != 1}
    assert set(ws.video_ids()) == want and s.videos == len(want)
    assert len(s.rejected) == 2, s.rejected
    utf, dupmsg = sorted(s.rejected, key=lambda m: "duplicate" in m)
    assert "row 2" in utf and "\\xff\\xfe" in utf and "UnicodeDecodeError" in utf
    assert dupmsg.startswith(f"video {rows[0]['video_uid']}: duplicate") and "row 4" in dupmsg and "row 1" in dupmsg
    first = ws.store.read("segments", [rows[0]["video_uid"]])
    assert first.num_rows == len(rows[0]["nodes"])


def test_unreadable_sources_are_one_line(tmp_path):
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"PAR1 this is not parquet at all" * 10)
    _one_line_error(_cli("ingest", garbage, "-w", tmp_path / "ws"), garbage, "not a readable parquet file")
    assert not (tmp_path / "ws").exists()  # the workspace it would have created is not left behind
    bad_json = tmp_path / "one.json"
    bad_json.write_text('{"video_uid": ', encoding="utf-8")
    _one_line_error(_cli("ingest", bad_json, "-w", tmp_path / "ws"), bad_json, "not readable JSON")


@pytest.fixture
def small_ws(sample6, tmp_path):
    from videoaudit.api import Workspace

    ws = Workspace(tmp_path / "ws")
    ws.ingest(sample6["paths"]["annotations"])
    return ws


def test_workspace_path_that_is_a_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    for args in (("status", "-w", f), ("ingest", f, "-w", f)):
        _one_line_error(_cli(*args), f, "is a file")


def test_workspace_of_another_format_version_is_refused(small_ws):
    from videoaudit.manifest import FORMAT_VERSION, read_manifest, write_manifest

    root = small_ws.path
    assert read_manifest(root)["format_version"] == FORMAT_VERSION  # written by the first writer
    write_manifest(root, {"format_version": FORMAT_VERSION + 1})
    for args in (("status", "-w", root), ("run", "-w", root), ("report", "-w", root, "-o", root.parent / "r.html")):
        _one_line_error(_cli(*args), root, f"format version {FORMAT_VERSION + 1}", "upgrade videoaudit")
    write_manifest(root, {"format_version": 0})
    _one_line_error(_cli("status", "-w", root), "format version 0", "re-ingest")
    (root / "manifest.json").write_text("{garbage")
    _one_line_error(_cli("status", "-w", root), "manifest", "not JSON")


def test_garbage_and_foreign_tables_are_one_line(small_ws):
    import lancedb
    import pyarrow as pa

    root = small_ws.path
    for manifest in (root / "segments.lance" / "_versions").glob("*.manifest"):
        manifest.write_bytes(b"\x00garbage\x00" * 20)
    _one_line_error(_cli("status", "-w", root), "segments", "unreadable")
    shutil.rmtree(root / "segments.lance")  # what the message says to do: the workspace reads again
    _cli("status", "-w", root, code=0)
    lancedb.connect(str(root)).create_table("confidence", pa.table({"something": ["else"]}))
    _one_line_error(_cli("report", "-w", root, "-o", root.parent / "r.html"), "confidence",
                    "not a videoaudit table")


def test_reading_commands_never_create_a_workspace(tmp_path):
    missing = tmp_path / "typo"
    out = tmp_path / "out"
    for args in (("status",), ("report", "-o", out), ("export", "-f", "jsonl", "-o", out), ("errors",),
                 ("search", "--like", "x"), ("run",), ("opinions", "import", __file__, "--source", "s")):
        cmd, rest = ([args[0], args[1]], args[2:]) if args[0] == "opinions" else ([args[0]], args[1:])
        _one_line_error(_cli(*cmd, "-w", missing, *rest), missing, "run videoaudit ingest first")
        assert not missing.exists()


def test_run_on_an_empty_workspace(tmp_path):
    src = tmp_path / "allbad.jsonl"
    src.write_text("not json\n", encoding="utf-8")
    _cli("ingest", src, "-f", "jsonl", "-w", tmp_path / "ws", code=0)  # everything rejected: nothing stored
    _one_line_error(_cli("run", "-w", tmp_path / "ws"), "nothing ingested", "run videoaudit ingest first")


def test_errors_command_lists_the_recorded_messages(tmp_path):
    src = tmp_path / "some.jsonl"
    src.write_text(json.dumps({"video_id": "ok", "segments": _tree("ok")}) + "\nnot json\n{\"video_id\": 3}\n",
                   encoding="utf-8")
    _cli("ingest", src, "-f", "jsonl", "-w", tmp_path / "ws", code=0)
    out = _cli("errors", "-w", tmp_path / "ws", "--stage", "ingest", code=0).stdout
    assert "[ingest]" in out and "line 2: invalid JSON" in out and "line 3" in out and "2 recorded messages" in out
    assert "0 recorded messages (stage signals)" in _cli("errors", "-w", tmp_path / "ws", "--stage", "signals",
                                                          code=0).stdout


def test_opinion_times_out_of_range(small_ws, tmp_path):
    """Negative, enormous and beyond-duration times are rejected naming the line; an end past the video's
    end is clamped and flagged; good lines import."""
    vid = sorted(small_ws.video_ids())[0]
    dur = small_ws.store.read("videos", [vid]).column("duration").to_pylist()[0]
    lines = [{"video_id": vid, "kind": "event", "start": -3, "end": 2, "text": "negative"},
             {"video_id": vid, "kind": "event", "start": 1e300, "end": 1e301, "text": "enormous"},
             {"video_id": vid, "kind": "point", "t": dur + 5, "x": 0.5, "y": 0.5, "text": "after the end"},
             {"video_id": vid, "kind": "event", "start": 1.0, "end": dur + 100, "text": "runs past the end"},
             {"video_id": vid, "kind": "event", "start": 1.0, "end": 2.0, "text": "fine"}]
    r = small_ws.import_opinions(write_jsonl(tmp_path / "ops.jsonl", lines), source="checker")
    msgs = {int(re.findall(r"line (\d+)", m)[0]): m for m in r["error_messages"]}
    assert sorted(msgs) == [1, 2, 3, 4], r["error_messages"]
    assert "start=-3 is negative" in msgs[1]
    assert "after the end of the video" in msgs[2] and "after the end of the video" in msgs[3]
    assert "clamped" in msgs[4]
    ops = small_ws.store.read("opinions", [vid]).to_pylist()
    assert sorted(o["text"] for o in ops) == ["fine", "runs past the end"]
    assert max(o["end"] for o in ops) == pytest.approx(dur)


def test_media_bogus_codec_corrupt_packets_and_escaping_ids(sample_media, tmp_path):
    """A bogus codec tag is a one-line per-video error (no AttributeError); corrupt packets give fewer
    frames AND a recorded decode warning (asked vs got); an id that escapes the media folder is refused."""
    from videoaudit.api import Workspace

    media = tmp_path / "videos"
    shutil.copytree(sample_media["paths"]["videos"], media)
    real = sorted(media.glob("*.mp4"))[0].read_bytes()
    assert real.count(b"avc1") >= 1
    (media / "bogus.mp4").write_bytes(real.replace(b"avc1", b"zzzz"))
    corrupt = bytearray(real)
    for k in range(len(corrupt) // 3, len(corrupt) * 9 // 10, 5):  # inside mdat: the packets, not the index
        corrupt[k] ^= 0xFF
    (media / "corrupt.mp4").write_bytes(bytes(corrupt))
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "escape.mp4").write_bytes(real)  # a real video, but not in the media folder

    good = list(iter_release(sample_media["paths"]["annotations"]))
    rows = []
    for uid in ("bogus", "corrupt", "../outside/escape"):
        clone = copy.deepcopy(good[0])
        clone["video_uid"] = uid
        rows.append(clone)
    write_release(rows, tmp_path / "ann.parquet")
    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(tmp_path / "ann.parquet", media=media)
    esc = ws.store.read("videos", ["../outside/escape"]).to_pylist()[0]
    assert esc["media_path"] is None
    assert any("escapes the media folder" in e["error"] and e["video_id"] == "../outside/escape"
               for e in ws.errors().to_pylist())
    rep = ws.run(stages=["pixels"], visual="none", grounding="none")["pixels"]
    assert sorted(rep.failed) == ["bogus"] and "../outside/escape" not in rep.failed
    assert "no decoder" in rep.failed["bogus"] and "AttributeError" not in rep.failed["bogus"]
    warn = [e["error"] for e in ws.errors().to_pylist() if e["stage"] == "pixels" and e["video_id"] == "corrupt"]
    assert len(warn) == 1 and re.search(r"video corrupt: decoded (\d+) of (\d+) frames asked", warn[0]), warn
    got, asked = map(int, re.search(r"decoded (\d+) of (\d+)", warn[0]).groups())
    assert 0 < got < asked
    assert ws.store.read("thumbnails", ["corrupt"]).num_rows == got
    assert ws.store.read("thumbnails", ["../outside/escape"]).num_rows == 0


@pytest.mark.slow
def test_report_of_megabyte_captions_stays_under_a_memory_ceiling(tmp_path):
    """`videoaudit report` on a workspace whose every text is 1 MB: peak RSS under 2 GB (psutil, a subprocess)."""
    import sys

    ws = _big_text_workspace(tmp_path, videos=2, chars=1_000_000)  # 1 MB texts
    out = tmp_path / "report.html"
    peak = _peak_rss([sys.executable, "-m", "videoaudit.cli", "report", "-w", str(ws.path), "-o", str(out)])
    assert peak < 2 << 30, f"report peak RSS {peak / 2**20:.0f} MB"
    html = out.read_text(encoding="utf-8")
    assert len(html) < 10 << 20 and "…" in html  # texts shown cut, with a visible marker


def test_a_stage_failing_for_every_video_is_visible(tmp_path):
    """Every video's media is broken: `run` prints the distinct causes and exits 1; `errors` lists them;
    the report's Errors tile shows the same count as the errors table, with the causes."""
    media = tmp_path / "videos"
    media.mkdir()
    lines = []
    for uid in ("m1", "m2"):
        (media / f"{uid}.mp4").write_text("not a video\n" * 20, encoding="utf-8")
        lines.append({"video_id": uid, "media": f"{uid}.mp4", "segments": _tree(uid)})
    src = write_jsonl(tmp_path / "in.jsonl", lines)
    ws = tmp_path / "ws"
    _cli("ingest", src, "-f", "jsonl", "--media", media, "-w", ws, code=0)
    res = _cli("run", "-w", ws, "--text", "hashing", "--visual", "none", "--grounding", "none",
               "--transcript", "none", "--map", "pca")
    assert res.exit_code == 1, res.output
    assert "2 failures, 1 distinct causes" in res.stdout and "2 x video <video>:" in res.stdout
    assert "stage pixels failed for every video it ran on" in res.stderr
    listed = _cli("errors", "-w", ws, "--stage", "pixels", code=0).stdout
    assert "video m1" in listed and "video m2" in listed and "2 recorded messages" in listed
    from videoaudit.api import Workspace

    w = Workspace(ws)
    out = w.report(tmp_path / "r.html")
    html = out.read_text(encoding="utf-8")
    tile = html[html.index('<div class="k">Errors</div>'):][:600]
    assert f">{w.store.count('errors')}<" in tile and "2 ×" in tile, tile


def test_a_table_whose_creation_was_killed_counts_as_absent(tmp_path):
    """`kill -9` between a table's directory being made and its first commit (seen in the kill trials,
    in lens_signals): the next run must create it anew, not fail on a table Lance cannot open."""
    from videoaudit.workspace import Store

    store = Store(tmp_path / "ws")
    store.append("errors", store.schema("errors").empty_table())  # the workspace exists
    half = tmp_path / "ws" / "lens_video_signals.lance"
    (half / "_transactions").mkdir(parents=True)
    (half / "_transactions" / ".tmpXYZ").write_bytes(b"")
    fresh = Store(tmp_path / "ws")
    assert "lens_video_signals" not in fresh.names()
    assert fresh.read("lens_video_signals").num_rows == 0  # readers see an empty table
    rows = fresh.schema("lens_video_signals").empty_table()
    fresh.replace("lens_video_signals", ["v"], rows)
    assert "lens_video_signals" in Store(tmp_path / "ws").names()


def _big_text_workspace(tmp_path, videos: int, chars: int):
    """``videos`` videos whose every text (captions, title, transcript entry) is ``chars`` long, audited."""
    from videoaudit.api import Workspace

    big = "word " * (chars // 5)
    segs = [{"id": "r", "start": 0, "end": 20, "summary_brief": "a cook " + big, "summary_detailed": big,
             "action_brief": "cook", "action_detailed": big, "actor": "a cook"}]
    segs += [{"id": f"c{i}", "parent": "r", "start": 2 * i, "end": 2 * i + 2, "summary_brief": big,
              "summary_detailed": big, "action_brief": "chop", "action_detailed": big, "actor": "a cook"}
             for i in range(10)]
    src = write_jsonl(tmp_path / "big.jsonl", [{"video_id": f"v{v}", "title": big, "segments": segs,
                                                "transcript": [{"start": 1, "text": big}]} for v in range(videos)])
    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(src, format="jsonl")
    ws.run(stages=["signals", "confidence"])
    return ws


def _peak_rss(cmd: list[str]) -> int:
    """Peak RSS (bytes) of a command, sampled every 20 ms with psutil; fails on a non-zero exit."""
    import subprocess
    import time

    import psutil

    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    assert proc.returncode == 0, proc.stdout.read().decode(errors="replace")[-2000:]
    return peak


#: what a process needs before reading any data: the imports and Lance's runtime (a first scan)
_BASE = ("import sys, videoaudit.cli, videoaudit.api, pyarrow.parquet\n"
         "from videoaudit.workspace import Store\n"
         "ds = Store(sys.argv[1], create=False).table('confidence').to_lance()\n"
         "list(ds.to_batches(columns=['video_id']))")


@pytest.mark.slow
def test_exports_of_megabyte_texts_stay_whole_under_a_memory_ceiling(tmp_path):
    """The exports that carry texts (--apply-reviews records, the action100m release) of a workspace
    whose every text is 1 MB keep every text whole and stay under 320 MB above a process that has only
    imported and opened the workspace (the streamed exports measured 135-195 MB above it whatever
    the workspace's size, whole-table reads 362 MB on 230 MB of texts: benchmarks/memory_exports.py)."""
    import sys

    chars = 1_000_000
    ws = _big_text_workspace(tmp_path, videos=2, chars=chars)
    q = ws.review_queue(2).select(["video_id", "segment_id"]).to_pylist()
    ws.review(q[0]["video_id"], q[0]["segment_id"], verdict="fixed", field="actor", text="a baker")
    base = _peak_rss([sys.executable, "-c", _BASE, str(ws.path)])
    for fmt in ("jsonl", "parquet", "action100m"):
        out = tmp_path / f"out.{fmt}"
        peak = _peak_rss([sys.executable, "-m", "videoaudit.cli", "export", "-w", str(ws.path), "-o", str(out),
                          "--format", fmt, "--apply-reviews"])
        assert peak - base < 320 << 20, f"{fmt}: peak RSS {peak / 2**20:.0f} MB, base {base / 2**20:.0f} MB"
    assert (tmp_path / "out.jsonl").stat().st_size > 20 << 20  # (parquet compresses the repeated words)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = [r["summary_detailed"] for r in rows if r["summary_detailed"] not in (None, "N/A")]
    assert texts and all(len(t) == chars - chars % 5 for t in texts)  # whole, not cut
    import pyarrow.parquet as pq

    col = pq.read_table(tmp_path / "out.parquet", columns=["summary_detailed"]).column(0).to_pylist()
    assert sorted(len(t) for t in col if t not in (None, "N/A")) == sorted(len(t) for t in texts)
    release = list(iter_release(tmp_path / "out.action100m"))
    assert len(release) == 2 and len(release[0]["metadata"]["title"]) == chars - chars % 5


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 16 MB tmpfs mounted at tmp_path/disk (Linux, root with CAP_SYS_ADMIN), unmounted afterwards."""
    import os
    import subprocess
    import sys

    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("a small tmpfs needs root on Linux (mount -t tmpfs); benchmarks/kill_resume.py says the same")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode:
        pytest.skip(f"mount -t tmpfs was refused here: {res.stderr.strip()}")

    def remount(opts: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{opts}", str(mnt)], check=True, capture_output=True)

    yield mnt, remount
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_full_disk_and_read_only_workspace_are_one_line_and_resume(small_tmpfs, tmp_path):
    """A run and an ingest that fill the disk, a run on a read-only workspace: exit 1, one line naming the
    workspace and the cause; readers keep working; once space is back the run resumes to the tables of a run that
    never failed (nothing half-written was marked done)."""
    import os

    mnt, remount = small_tmpfs
    src = write_jsonl(tmp_path / "in.jsonl", [{"video_id": f"d{i}", "segments": _tree(f"d{i}"),
                                               "transcript": [{"start": 1, "text": "we chop and stir"}]}
                                              for i in range(4)])
    args = ("--text", "hashing", "--visual", "none", "--grounding", "none", "--transcript", "none", "--map", "pca")
    ref, ws = tmp_path / "ref", mnt / "ws"
    for w in (ref, ws):
        _cli("ingest", src, "-f", "jsonl", "-w", w, code=0)
    _cli("run", "-w", ref, *args, code=0)
    filler = mnt / "filler"
    st = os.statvfs(mnt)
    with filler.open("wb") as f:  # leave 64 kB: the run's first table writes fill it
        f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - (64 << 10)))
    _one_line_error(_cli("run", "-w", ws, *args), f"cannot write the workspace {ws}", "no space left on the device")
    big = write_jsonl(tmp_path / "big.jsonl", [{"video_id": f"e{i}", "segments": _tree(f"e{i}"), "title": "t" * 50_000}
                                               for i in range(20)])
    _one_line_error(_cli("ingest", big, "-f", "jsonl", "-w", mnt / "ws2"), "cannot write the workspace",
                    "no space left on the device")
    filler.unlink()
    remount("ro")
    try:
        _one_line_error(_cli("run", "-w", ws, *args), f"cannot write the workspace {ws}", "read-only")
        assert re.search(r"ingest\s*│\s*4\s*│", _cli("status", "-w", ws, code=0).stdout)  # readers go on
    finally:
        remount("rw")
    _cli("run", "-w", ws, *args, code=0)
    from videoaudit.api import Workspace

    def rows(w, name):
        cols = [c for c in Workspace(w).store.read(name).column_names if c not in ("finished_at", "at")]
        return sorted(map(str, Workspace(w).store.read(name).select(cols).to_pylist()))

    for name in ("segments", "signals", "confidence", "video_confidence"):
        assert rows(ws, name) == rows(ref, name), name


def test_a_cascade_whose_every_model_call_fails_is_visible(tmp_path):
    """Every second-opinion call fails (a malformed base_url, no media): exit 1 naming the stages, the
    causes printed, and the failed calls counted as failed: neither spent nor avoided."""
    from videoaudit.api import Workspace
    from videoaudit.opinions.cascade import load

    src = write_jsonl(tmp_path / "in.jsonl", [{"video_id": f"c{i}", "segments": _tree(f"c{i}")} for i in range(3)])
    ws = tmp_path / "ws"
    _cli("ingest", src, "-f", "jsonl", "-w", ws, code=0)
    res = _cli("run", "-w", ws, "--text", "hashing", "--visual", "none", "--grounding", "none", "--transcript",
               "none", "--map", "pca", "--second-opinion", "openai", "--second-opt", "base_url=htp:/bad",
               "--budget", "1")
    assert res.exit_code == 1 and "failed for every video it ran on" in res.stderr, res.output
    assert "distinct causes" in res.stdout and "FAILED" in res.stdout, res.stdout
    c = load(ws)
    assert c["model_calls"] == 0 and c["model_calls_failed"] > 0
    assert c["model_calls_avoided"] == c["model_calls_full"] - c["model_calls_failed"]
    assert Workspace(ws).store.read("progress", where="status = 'error'").num_rows >= c["model_calls_failed"]
