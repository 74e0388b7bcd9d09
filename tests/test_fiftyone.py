"""FiftyOne both ways: ingest round trip, export (in place, nothing lost), CLI, App, plugin.

Needs the optional extra (``make setup`` installs it); skipped where FiftyOne is not installed
(test_fiftyone_support.py holds what runs without it). The database lives in a temp dir per session
(conftest.py); every test uses its own dataset names.
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from videoaudit.confidence import signal_values
from videoaudit.fiftyone.support import CONVENTIONS

sys.path.insert(0, str(Path(__file__).parent))
runner = CliRunner()
GPT_COLS = ("summary_brief", "summary_detailed", "action_brief", "action_detailed", "actor")


def _uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------- with FiftyOne

fo = pytest.importorskip("fiftyone")


def _segments(ws, gpt_only: bool = False) -> dict:
    return {(r["video_id"], r["segment_id"]): r for r in ws.table("segments").to_pylist()
            if r["has_gpt"] or not gpt_only}


@pytest.fixture(scope="module")
def voxel51(sample_media):
    """The media sample as a Voxel51-schema FiftyOne dataset, once per frame convention."""
    from fiftyone_helpers import build_voxel51

    out = {}
    for conv in CONVENTIONS:
        out[conv] = build_voxel51(_uniq(f"voxel51-{conv}"), sample_media["paths"]["annotations"],
                                  sample_media["paths"]["videos"], conv)
    yield out
    for ds in out.values():
        ds.delete()


@pytest.mark.slow
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_ingest_fiftyone_equals_ingest_action100m(voxel51, sample_media, tmp_path, convention):
    from videoaudit.api import Workspace

    ref = Workspace(tmp_path / "ref")
    ref.ingest(sample_media["paths"]["annotations"], format="action100m")
    ws = Workspace(tmp_path / "fo")
    s = ws.ingest(voxel51[convention].name, format="fiftyone", convention=convention)
    assert s.videos == 3 and not s.rejected
    a, b = _segments(ref, gpt_only=True), _segments(ws)
    # the Voxel51 schema holds exactly the nodes with GPT text
    assert set(a) == set(b) and len(a) > 50
    meta = {m.frame_rate for m in voxel51[convention].values("metadata")}
    one_frame = 1.0 / min(meta) + 1e-3
    for k, ra in a.items():
        rb = b[k]
        for col in ("parent_id", "level", *GPT_COLS, "na_fields"):
            assert ra[col] == rb[col], (k, col)
        assert abs(ra["start"] - rb["start"]) <= one_frame and abs(ra["end"] - rb["end"]) <= one_frame, k
    v = {r["video_id"]: r for r in ws.table("videos").to_pylist()}
    vref = {r["video_id"]: r for r in ref.table("videos").to_pylist()}
    assert set(v) == set(vref)
    for vid, row in v.items():
        assert row["source"] == "fiftyone" and row["media_path"] and Path(row["media_path"]).is_file()
        assert row["title"] == vref[vid]["title"] and row["fps"] == pytest.approx(15.0)
        assert row["full_duration"] == vref[vid]["full_duration"]
        assert json.loads(row["metadata"])["frame_convention"] == convention


@pytest.mark.slow
def test_ingest_named_fields_without_tree_attributes(tmp_path):
    """Any video dataset: the user names the fields; parents follow from temporal containment."""
    from videoaudit.api import Workspace

    ds = fo.Dataset(_uniq("generic"))
    s = fo.Sample(filepath=str(tmp_path / "clip.mp4"), clip_id="c1")
    s.metadata = fo.VideoMetadata(frame_rate=10.0, total_frame_count=301, duration=30.0)
    s["captions"] = fo.TemporalDetections(detections=[
        fo.TemporalDetection(label="a person cooks dinner", support=[1, 301]),
        fo.TemporalDetection(label="chops onions", support=[11, 101]),
        fo.TemporalDetection(label="stirs the pot", support=[121, 281]),
        fo.TemporalDetection(label="lifts the knife", support=[21, 41]),
    ])
    s["who"] = fo.TemporalDetections(detections=[fo.TemporalDetection(label="a cook", support=[11, 101])])
    ds.add_sample(s)
    try:
        ws = Workspace(tmp_path / "ws")
        summ = ws.ingest(ds.name, format="fiftyone", fields="captions,actor=who", id_field="clip_id")
        assert summ.videos == 1 and not summ.rejected
        segs = sorted(ws.table("segments").to_pylist(), key=lambda r: (r["start"], -r["end"]))
        by_text = {r["summary_brief"]: r for r in segs}
        root, chop, stir, knife = (by_text[t] for t in ("a person cooks dinner", "chops onions", "stirs the pot",
                                                         "lifts the knife"))
        assert root["parent_id"] is None and root["level"] == 0 and (root["start"], root["end"]) == (0.0, 30.0)
        assert chop["parent_id"] == root["segment_id"] and chop["level"] == 1 and chop["actor"] == "a cook"
        assert knife["parent_id"] == chop["segment_id"] and knife["level"] == 2 and knife["is_leaf"]
        assert stir["parent_id"] == root["segment_id"] and (stir["start"], stir["end"]) == (12.0, 28.0)
        assert ws.video_ids() == ["c1"]
        # no action fields were mapped: nothing is invented as N/A
        assert all(r["na_fields"] == [] for r in segs)
    finally:
        ds.delete()


def test_ingest_fiftyone_bad_input_names_the_cause(tmp_path):
    from videoaudit.api import Workspace

    ws = Workspace(tmp_path / "ws")
    with pytest.raises(ValueError, match="no FiftyOne dataset named 'does-not-exist'"):
        ws.ingest("does-not-exist", format="fiftyone")
    ds = fo.Dataset(_uniq("nometa"))
    ds.add_sample(fo.Sample(filepath=str(tmp_path / "gone.mp4"), video_id="v-no-meta", gpt_summary_brief=
                            fo.TemporalDetections(detections=[fo.TemporalDetection(label="x", support=[1, 9])])))
    try:
        with pytest.raises(ValueError, match="has no field gpt_summary_detailed"):
            ws.ingest(ds.name, format="fiftyone")
        summ = ws.ingest(ds.name, format="fiftyone", fields="summary_brief=gpt_summary_brief")
        assert summ.videos == 0 and len(summ.rejected) == 1
        assert "v-no-meta" in summ.rejected[0] and "compute_metadata" in summ.rejected[0]
    finally:
        ds.delete()


@pytest.fixture()
def rich_ws(audited6, tmp_path):
    """A copy of the audited no-media workspace with rows in the lens / verdict / embedding tables."""
    import lancedb

    from videoaudit import schema as S
    from videoaudit.api import Workspace

    shutil.copytree(audited6.ws.path, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    vids = ws.video_ids()
    segs = ws.table("segments").to_pylist()
    lens = [{"video_id": v, "lens": lens, "backend": "appearance", "map_method": "umap", "map_x": float(i),
             "map_y": float(i % 3), "uniqueness": 0.1 * i, "uniqueness_pct": i / len(vids), "representativeness":
             1 - 0.1 * i, "near_duplicates": [vids[0]] if i == 1 else [], "zero_shot_label": "Cooking and Food",
             "zero_shot_prob": 0.5 + 0.05 * i} for lens in ("visual", "grounding") for i, v in enumerate(vids)]
    ws.store.replace("lens_videos", vids, pa.Table.from_pylist(lens, schema=S.LENS_VIDEOS))
    ws.store.replace("cross_lens", vids, pa.Table.from_pylist(
        [{"video_id": v, "lens_a": "visual", "lens_b": "grounding", "k": 5, "jaccard": 0.2 + 0.1 * i}
         for i, v in enumerate(vids)], schema=S.CROSS_LENS))
    para = segs[3]
    ws.store.replace("verdicts", vids, pa.Table.from_pylist(
        [{"video_id": para["video_id"], "segment_id": para["segment_id"], "verdict": "paraphrase",
          "reason": "same meaning, other words"},
         {"video_id": vids[1], "segment_id": None, "verdict": "second_opinion", "reason": "grounding agrees"}],
        schema=S.VERDICTS))
    rng = np.random.default_rng(0)
    db = lancedb.connect(str(ws.path))
    for lens, dim in (("visual", 16), ("grounding", 8)):
        rows = [{"video_id": v, "segment_id": None, "backend": "appearance",
                 "vector": (x := rng.normal(size=dim).astype(np.float32)) / np.linalg.norm(x)} for v in vids]
        rows.append({"video_id": vids[0], "segment_id": segs[0]["segment_id"], "backend": "appearance",
                     "vector": np.ones(dim, np.float32) / np.sqrt(dim)})  # a segment vector: not a video's
        db.create_table(f"embeddings_{lens}", pa.Table.from_pylist(rows, schema=S.embeddings_schema(dim)))
    points = tmp_path / "points.jsonl"
    points.write_text("\n".join(json.dumps(o) for o in [
        {"video_id": vids[0], "kind": "point", "t": 2.0, "x": 0.25, "y": 0.5, "text": "the cook"},
        {"video_id": vids[0], "kind": "point", "t": 2.0, "x": 0.75, "y": 0.5, "text": "the pan"},
        {"video_id": vids[2], "kind": "point", "t": 7.5, "x": 0.1, "y": 0.9, "text": "the knife"}]))
    ws.import_opinions(points, source="molmo2-4b")
    return {"ws": ws, "vids": vids, "para": para}


@pytest.mark.slow
def test_export_then_reexport_in_place(rich_ws):
    from fiftyone import ViewField as F

    from videoaudit.fiftyone.export import export_fiftyone

    ws, vids, para = rich_ws["ws"], rich_ws["vids"], rich_ws["para"]
    name = _uniq("export")
    r = export_fiftyone(ws, name)
    try:
        ds = fo.load_dataset(name)
        assert r["created"] and r["added"] == len(vids) == len(ds)
        assert sorted(ds.values("va_video_id")) == sorted(vids)
        # per-segment audit as attributes of the annotation detections, in the Voxel51 schema
        cmap = {(c["video_id"], c["segment_id"]): c for c in ws.confidence_map().to_pylist()}
        seen = 0
        for vid, dets in zip(ds.values("va_video_id"), ds.values("gpt_summary_brief.detections")):
            for d in dets:
                c = cmap.get((vid, d["node_id"]))
                assert d["tier"] in ("root", "mid", "leaf") and d["level"] is not None
                if c is None:
                    continue
                seen += 1
                assert d["va_confidence"] == pytest.approx(c["confidence"]) and d["va_tier"] == c["tier"]
                assert list(d["va_reasons"]) == list(c["reasons"])
                for sig, val in signal_values(c["signals"]).items():
                    got = d["va_" + sig.replace(".", "_")]
                    assert (got is None and val is None) or got == pytest.approx(val)
        with_text = {(r["video_id"], r["segment_id"]) for r in ws.table("segments").to_pylist()
                     if r["summary_brief"] is not None}
        assert seen == len(set(cmap) & with_text) > 20  # every audited segment with a brief summary
        pv = ds.filter_labels("gpt_summary_brief", F("node_id") == para["segment_id"]).first()
        assert pv.gpt_summary_brief.detections[0]["va_verdict"] == "paraphrase"
        # per-video fields
        vconf = {r["video_id"]: r for r in ws.video_confidence().to_pylist()}
        for vid, conf, tier in zip(*ds.values(["va_video_id", "va_confidence", "va_tier"])):
            assert conf == pytest.approx(vconf[vid]["confidence"]) and tier == vconf[vid]["tier"]
        assert ds.count_values("va_verdict") == {None: len(vids) - 1, "second_opinion": 1}
        assert ds.bounds("va_visual_uniqueness") == pytest.approx((0.0, 0.1 * (len(vids) - 1)))
        assert set(ds.distinct("va_grounding_zero_shot.label")) == {"Cooking and Food"}
        assert ds.bounds("va_agreement_visual_grounding")[0] == pytest.approx(0.2)
        assert ds.count("va_cross_lens_agreement") == len(vids)
        # opinions: events, descriptions, frame-level keypoints
        ops = ws.table("opinions").to_pylist()
        n_events = sum(1 for o in ops if o["kind"] == "event" and o["source"] == "simulated-annotator")
        assert ds.count("va_simulated_annotator_events.detections") == n_events > 0
        assert ds.count("va_simulated_annotator_description") == len({o["video_id"] for o in ops
                                                                       if o["kind"] == "description"})
        assert ds.count("frames.va_molmo2_4b_points.keypoints") == 3
        s0 = ds.one(F("va_video_id") == vids[0])
        kps = s0.frames[61]["va_molmo2_4b_points"].keypoints  # t = 2.0 s at the nominal 30 fps
        assert sorted(k.label for k in kps) == ["the cook", "the pan"] and kps[0].points[0][1] == 0.5
        # embeddings, brain runs with the lens's own map, similarity
        lenses = [lens for lens in ("visual", "grounding", "transcript") if ws.store.count(f"embeddings_{lens}")]
        assert "visual" in lenses and "grounding" in lenses
        assert set(ds.list_brain_runs()) == {f"va_{lens}_{kind}" for lens in lenses for kind in ("viz", "sim")}
        viz = ds.load_brain_results("va_visual_viz")
        pts = dict(zip(viz.current_sample_ids, viz.current_points.tolist()))
        maps = {r["video_id"]: (r["map_x"], r["map_y"]) for r in ws.table("lens_videos").to_pylist()
                if r["lens"] == "visual"}
        for sid, vid in zip(ds.values("id"), ds.values("va_video_id")):
            assert tuple(pts[sid]) == pytest.approx(maps[vid])
        assert len(ds.first()["va_visual_embedding"]) == 16
        near = ds.sort_by_similarity(ds.first().id, brain_key="va_visual_sim", k=2)
        assert near.first().id == ds.first().id and len(near) == 2
        # saved views
        assert {"va-trusted", "va-review-queue", "va-paraphrases", "va-verdict-paraphrase",
                "va-verdict-second_opinion"} <= set(ds.list_saved_views())
        rq = ds.load_saved_view("va-review-queue").values("va_confidence")
        assert rq == sorted(rq)
        assert set(ds.load_saved_view("va-trusted").distinct("va_tier")) <= {"trusted"}
        assert ds.load_saved_view("va-paraphrases").count("gpt_summary_brief.detections") == 1
        assert ds.load_saved_view("va-verdict-second_opinion").values("va_video_id") == [vids[1]]
        before = ds.count("gpt_summary_brief.detections")

        # the user adds a field, a detection attribute and a saved view; then re-exports
        ds.set_values("my_notes", [f"note {i}" for i in range(len(ds))])
        first = ds.first()
        first.gpt_summary_brief.detections[0]["my_flag"] = True
        first.save()
        ds.save_view("my-view", ds.limit(2))
        ws.store.replace("verdicts", vids, pa.Table.from_pylist(
            [{"video_id": vids[2], "segment_id": None, "verdict": "annotation", "reason": "changed"}],
            schema=ws.store.read("verdicts").schema))
        r2 = export_fiftyone(ws, name)
        ds.reload()
        assert not r2["created"] and r2["added"] == 0 and len(ds) == len(vids)
        assert ds.values("my_notes") == [f"note {i}" for i in range(len(ds))]
        assert ds.first().gpt_summary_brief.detections[0]["my_flag"] is True
        assert "my-view" in ds.list_saved_views()
        assert ds.count("gpt_summary_brief.detections") == before  # updated, not duplicated
        assert ds.count_values("va_verdict") == {None: len(vids) - 1, "annotation": 1}
        assert "va-verdict-annotation" in ds.list_saved_views()
        lenses = [lens for lens in ("visual", "grounding", "transcript") if ws.store.count(f"embeddings_{lens}")]
        assert "visual" in lenses and "grounding" in lenses
        assert set(ds.list_brain_runs()) == {f"va_{lens}_{kind}" for lens in lenses for kind in ("viz", "sim")}
        info = ds.info["videoaudit"]
        assert info["workspace"] == str(ws.path.resolve()) and "my_notes" not in info["owned_fields"]
    finally:
        fo.delete_dataset(name)


@pytest.mark.slow
def test_export_reads_lens_vectors_per_batch_of_videos(rich_ws, monkeypatch):
    """The lens numbers and vectors are read per batch of the export's videos (batches of 2 here), never
    the whole embeddings table (it holds every segment's vector too); the fields and brain runs are those
    of the whole-dataset export (test above)."""
    from test_export_stream import ReadSpy, wrap_reads

    import videoaudit.fiftyone.export as E

    ws, vids = rich_ws["ws"], rich_ws["vids"]
    spy = ReadSpy()
    monkeypatch.setattr(E, "EXPORT_BATCH", 2)
    name = _uniq("export-batched")


    wrap_reads(monkeypatch, spy)
    E.export_fiftyone(ws, name)
    try:
        vec_reads = [r for r in spy.reads if r[0].startswith("embeddings_") and "vector" in r[1]]
        assert vec_reads and max(r[2] for r in vec_reads) <= 2, vec_reads  # one batch's video vectors
        lens_reads = [r for r in spy.reads if r[0] in ("lens_videos", "cross_lens") and set(r[1]) - {
            "lens", "video_id", "zero_shot_label", "lens_a", "lens_b", "_pos"}]
        assert lens_reads and max(r[2] for r in lens_reads) <= 2 * 2, lens_reads  # 2 videos x 2 lenses
        ds = fo.load_dataset(name)
        stored = {r["video_id"]: r["vector"] for r in ws.table("embeddings_visual").to_pylist()
                  if r["segment_id"] is None}
        for vid, vec in zip(ds.values("va_video_id"), ds.values("va_visual_embedding")):
            assert np.allclose(vec, stored[vid])
        viz = ds.load_brain_results("va_visual_viz")
        maps = {r["video_id"]: (r["map_x"], r["map_y"]) for r in ws.table("lens_videos").to_pylist()
                if r["lens"] == "visual"}
        vid_of = dict(zip(ds.values("id"), ds.values("va_video_id")))
        assert [tuple(p) for p in viz.current_points.tolist()] == [maps[vid_of[s]] for s in viz.current_sample_ids]
        assert ds.count("va_cross_lens_agreement") == len(vids)
        assert set(ds.list_brain_runs()) >= {"va_visual_viz", "va_visual_sim", "va_grounding_viz", "va_grounding_sim"}
    finally:
        fo.delete_dataset(name)


@pytest.mark.slow
def test_cli_round_trip_and_ingest_of_an_exported_dataset(voxel51, tmp_path):
    """CLI: ingest a Voxel51 dataset, export the workspace into it (same samples), ingest it again."""
    from videoaudit.cli import app

    src = voxel51["action100m"]
    name = _uniq("clone")
    clone = src.clone(name, persistent=True)
    try:
        res = runner.invoke(app, ["ingest", name, "-f", "fiftyone", "-w", str(tmp_path / "ws")])
        assert res.exit_code == 0, res.output
        assert "ingested 3 videos" in res.output
        res = runner.invoke(app, ["run", "-w", str(tmp_path / "ws"), "--text", "hashing"])
        assert res.exit_code == 0, res.output
        n_before = clone.count("gpt_summary_brief.detections")
        res = runner.invoke(app, ["export", "-w", str(tmp_path / "ws"), "-f", "fiftyone", "--dataset", name])
        assert res.exit_code == 0, res.output
        clone.reload()
        assert len(clone) == 3 and clone.count("gpt_summary_brief.detections") == n_before
        assert clone.count("gpt_summary_brief.detections.va_confidence") > 0
        assert clone.count("va_confidence") == 3 and "va-review-queue" in clone.list_saved_views()
        res = runner.invoke(app, ["ingest", name, "-f", "fiftyone", "-w", str(tmp_path / "ws2")])
        assert res.exit_code == 0 and "ingested 3 videos" in res.output, res.output
        res = runner.invoke(app, ["export", "-w", str(tmp_path / "ws"), "-f", "fiftyone"])
        assert res.exit_code != 0 and "--dataset" in res.output
    finally:
        clone.delete()


@pytest.fixture()
def plugins_dir(monkeypatch):
    plugins = Path(__file__).resolve().parents[1] / "fiftyone_plugins"
    monkeypatch.setattr(fo.config, "plugins_dir", str(plugins))
    return plugins


def test_plugin_loads_and_registers(plugins_dir):
    import fiftyone.operators as foo
    import fiftyone.plugins as fop

    names = [p.name for p in fop.list_plugins()]
    assert "@videoaudit/videoaudit" in names
    uris = {op.uri for op in foo.list_operators()}
    assert {"@videoaudit/videoaudit/run_audit", "@videoaudit/videoaudit/open_audit_view"} <= uris
    op = foo.get_operator("@videoaudit/videoaudit/open_audit_view")
    assert op.config.label.startswith("videoaudit")


@pytest.mark.slow
def test_plugin_audits_the_current_view_and_opens_a_saved_view(plugins_dir, voxel51, tmp_path):
    """run_audit on a 2-video view: ingests and audits those two only, exports back; open_audit_view loads one."""
    import fiftyone.operators as foo

    name = _uniq("plugin")
    ds = voxel51["action100m"].clone(name, persistent=True)
    try:
        view = ds.limit(2)
        res = foo.execute_operator("@videoaudit/videoaudit/run_audit", ctx={
            "dataset": ds, "view": view,
            "params": {"workspace": str(tmp_path / "ws"), "text_model": "hashing"}})
        assert res.error is None, res.error_message
        assert res.result["videos"] == 2 and res.result["ingested"] == 2 and res.result["failed"] == 0
        ds.reload()
        assert ds.count("va_confidence") == 2  # the third video was not in the view
        assert ds.count("gpt_summary_brief.detections.va_confidence") > 20
        assert "va-review-queue" in res.result["saved_views"]
        res = foo.execute_operator("@videoaudit/videoaudit/open_audit_view", ctx={
            "dataset": ds, "params": {"view": "va-review-queue"}})
        assert res.error is None and res.result == {"view": "va-review-queue"}
    finally:
        ds.delete()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium(args: list[str], url: str, tmp: Path, timeout: float = 120):
    import subprocess

    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        pytest.fail("chromium is needed for the App test (apt-get install chromium)")
    return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--user-data-dir={tmp / 'chromium'}", "--window-size=1600,1000",
                           "--virtual-time-budget=30000", *args, url],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_app_shows_the_exported_audit_in_headless_chromium(sample_media, tmp_path):
    """`videoaudit app` exports (it is needed), serves the App on 127.0.0.1; Chromium renders the audit fields."""
    import os
    import signal
    import subprocess
    import threading
    import time
    import urllib.request

    from videoaudit.api import Workspace
    from videoaudit.fiftyone.app import needs_export

    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(sample_media["paths"]["annotations"], format="action100m", media=sample_media["paths"]["videos"])
    ws.import_opinions(sample_media["paths"]["opinions"], source="simulated-annotator")
    ws.run()
    name, port = _uniq("app"), _free_port()
    assert needs_export(ws, name)
    proc = subprocess.Popen([sys.executable, "-m", "videoaudit.cli", "app", "-w", str(ws.path), "--dataset", name,
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: [lines.append(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        url = None
        deadline = time.monotonic() + 300
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            url = next((ln.split("FiftyOne App:", 1)[1].strip() for ln in lines if "FiftyOne App:" in ln), None)
            time.sleep(0.5)
        assert url, "the App never printed its URL:\n" + "".join(lines)
        assert url.startswith(f"http://127.0.0.1:{port}")
        assert any("exported 3 videos" in ln for ln in lines), "".join(lines)
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(url, timeout=5).status == 200:
                    break
            except OSError:
                time.sleep(1)
        page = f"{url.rstrip('/')}/datasets/{name}"
        dom = ""
        for _ in range(3):  # the App's first render may still be loading its dataset
            dom = _chromium(["--dump-dom"], page, tmp_path).stdout
            if "va_confidence" in dom:
                break
        for expected in (name, "gpt_summary_brief", "va_confidence", "va_tier", "va_simulated_annotator_events"):
            assert expected in dom, f"{expected!r} not in the App's page"
        art = Path(__file__).resolve().parents[1] / "test-artifacts"
        art.mkdir(exist_ok=True)
        shot = art / "fiftyone-app.png"
        shot.unlink(missing_ok=True)
        for _ in range(4):  # like the DOM above: a loaded machine may catch the App's loading screen
            _chromium([f"--screenshot={shot}"], page, tmp_path)
            if shot.is_file() and shot.stat().st_size > 10_000:
                break
            time.sleep(5)
        assert shot.is_file() and shot.stat().st_size > 10_000
        assert not needs_export(ws, name)  # a second `videoaudit app` would not export again
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        if fo.dataset_exists(name):
            fo.delete_dataset(name)


def _start_app(args: list[str], env=None):
    """Popen ``args`` (prints the App's lines) and wait for the URL; returns (proc, url, lines)."""
    import subprocess
    import threading
    import time

    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    threading.Thread(target=lambda: [lines.append(line) for line in proc.stdout], daemon=True).start()
    deadline = time.monotonic() + 300
    url = None
    while url is None and time.monotonic() < deadline and proc.poll() is None:
        url = next((ln.split("FiftyOne App:", 1)[1].strip() for ln in lines if "FiftyOne App:" in ln), None)
        time.sleep(0.5)
    assert url, "the App never printed its URL:\n" + "".join(lines)
    return proc, url, lines


def _wait_gone(pids, timeout=60.0) -> list[int]:
    import time

    from videoaudit.procs import _alive

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.5)
    return [p for p in pids if _alive(p)]


@pytest.mark.slow
def test_app_binds_loopback_and_stops_every_process_it_started(sample_media, tmp_path):
    """The App listens on 127.0.0.1 only; SIGTERM to `videoaudit app` stops the server and database it
    started; so does its parent dying (SIGKILL of the parent, nothing forwarded)."""
    import os
    import signal
    import time

    import psutil

    from videoaudit.api import Workspace
    from videoaudit.procs import descendants

    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(sample_media["paths"]["annotations"], format="action100m", media=sample_media["paths"]["videos"])
    ws.run(stages=["signals", "confidence"])
    name = _uniq("procs")
    app_args = [sys.executable, "-m", "videoaudit.cli", "app", "-w", str(ws.path), "--dataset", name]
    try:
        port = _free_port()
        proc, url, lines = _start_app([*app_args, "--port", str(port)])
        assert url.startswith(f"http://127.0.0.1:{port}")
        time.sleep(2)
        listening = [c for c in psutil.net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
        assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening), listening
        started = descendants(proc.pid)
        assert started, "the App runs in child processes"
        proc.send_signal(signal.SIGTERM)  # the command only, not its process group
        proc.wait(timeout=120)
        assert not _wait_gone(started), "processes left behind after SIGTERM"

        port = _free_port()
        wrapper = ("import subprocess, sys; p = subprocess.Popen(sys.argv[1:]); print('APP', p.pid, flush=True); "
                   "p.wait()")
        parent, url, lines = _start_app([sys.executable, "-c", wrapper, *app_args, "--no-export", "--port", str(port)])
        app_pid = int(next(ln.split()[1] for ln in lines if ln.startswith("APP ")))
        started = [app_pid, *descendants(app_pid)]
        assert len(started) > 1
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        assert not _wait_gone(started), "processes left behind when the parent died"
    finally:
        for p in locals().get("started", []):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if fo.dataset_exists(name):
            fo.delete_dataset(name)
