"""Bad input never stops an audit: broken media, malformed annotation rows, odd text, bad opinion lines.

One workspace (module-scoped, embedded once) holds all of it: the 3 good sample videos,
3 copies of a good annotation row whose media files are broken, 3 malformed rows, a
unicode row with a 1 MB text field and a row with an empty transcript.
"""

from __future__ import annotations

import copy
import json
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
