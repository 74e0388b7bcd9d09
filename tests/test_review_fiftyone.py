"""The review loop in FiftyOne: tiers on labels, decisions made in the App read back, the plugin's
mark operator, corrected exports, and the Voxel51-schema dataset built from the release files."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

fo = pytest.importorskip("fiftyone")


@pytest.fixture()
def ws(audited6, tmp_path):
    from videoaudit.api import Workspace

    shutil.copytree(audited6.ws.path, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


@pytest.fixture()
def plugins_dir(monkeypatch):
    plugins = Path(__file__).resolve().parents[1] / "fiftyone_plugins"
    monkeypatch.setattr(fo.config, "plugins_dir", str(plugins))
    return plugins


def _dets(ds, field="gpt_summary_brief"):
    return [d for tv in ds.values(field) if tv for d in tv.detections]


@pytest.mark.slow
def test_app_tiers_round_trip_and_mark_operator(ws, plugins_dir):
    import fiftyone.operators as foo
    name = f"va-review-{uuid.uuid4().hex[:8]}"
    ws.export_fiftyone(name)
    try:
        ds = fo.load_dataset(name)
        dets = [d for d in _dets(ds) if d["va_tier"] is not None]
        assert dets and all(d.confidence == pytest.approx(d["va_confidence"]) for d in dets)
        assert all(f"va:{d['va_tier']}" in d.tags for d in dets)
        fields = {f["path"]: f for f in ds.app_config.color_scheme.fields}
        assert fields["gpt_action_actor"]["colorByAttribute"] == "va_tier"
        assert {v["value"] for v in fields["gpt_summary_brief"]["valueColors"]} >= {"trusted", "review"}
        # the review queue filters every annotation field, not only the first
        rq = ds.load_saved_view("va-review-queue")
        for f in ("gpt_summary_brief", "gpt_action_actor"):
            assert set(rq.distinct(f"{f}.detections.va_tier")) <= {"review"}
        # decisions made in the App: tag one label wrong, fix another through an attribute
        target = next(d for d in _dets(ds, "gpt_action_actor") if d["va_tier"] == "trusted")
        ds.select_labels(ids=[target.id]).tag_labels("review:wrong")
        ok_one = next(d for d in _dets(ds) if d["va_tier"] == "review")
        ds.select_labels(ids=[ok_one.id]).tag_labels("review:ok")
        r = ws.export_fiftyone(name)
        assert r["decisions_from_app"] == 2
        cur = {(x["segment_id"], x["field"]): x["verdict"] for x in ws.reviews(current=True).to_pylist()}
        assert cur[(target["node_id"], "actor")] == "wrong" and cur[(ok_one["node_id"], "summary_brief")] == "ok"
        ds.reload()
        tiers = {d["node_id"]: d["va_tier"] for d in _dets(ds, "gpt_action_actor")}
        assert tiers[target["node_id"]] == "reviewed-wrong"
        assert ws.export_fiftyone(name)["decisions_from_app"] == 0  # read once, not again
        # the plugin's operator marks the selected labels and stores the decision at once
        sel = next(d for d in _dets(ds) if d["va_tier"] in ("uncertain", "trusted")
                   and d["node_id"] not in (target["node_id"], ok_one["node_id"]))
        sid = next(s for s, ids in zip(ds.values("id"), ds.values("gpt_summary_brief.detections.id"))
                   if sel.id in (ids or []))
        res = foo.execute_operator("@videoaudit/videoaudit/mark_segments", ctx={
            "dataset": ds, "selected_labels": [{"label_id": sel.id, "sample_id": sid, "field": "gpt_summary_brief"}],
            "params": {"verdict": "fixed", "fix": "Someone slices bread.", "workspace": str(ws.path)}})
        assert res.error is None, res.error_message
        assert res.result["marked"] == 1 and res.result["stored"] == 1
        last = ws.reviews(current=True).to_pylist()
        assert any(x["segment_id"] == sel["node_id"] and x["verdict"] == "fixed" and
                   x["text"] == "Someone slices bread." and x["reviewer"] == "fiftyone-app" for x in last)
        # corrected export: the fix becomes the label, the wrong one is marked removed, nothing deleted
        n_before = ds.count("gpt_action_actor.detections")
        ws.export_fiftyone(name, apply_reviews=True)
        ds.reload()
        fixed = next(d for d in _dets(ds) if d["node_id"] == sel["node_id"])
        assert fixed.label == "Someone slices bread." and fixed["va_original"] != fixed.label
        gone = next(d for d in _dets(ds, "gpt_action_actor") if d["node_id"] == target["node_id"])
        assert gone["va_removed"] is True and "va:removed" in gone.tags
        assert ds.count("gpt_action_actor.detections") == n_before
        corrected = ds.load_saved_view("va-corrected")
        assert corrected.count("gpt_action_actor.detections") == n_before - 1
    finally:
        fo.delete_dataset(name)


@pytest.mark.slow
def test_fiftyone_dataset_from_release_files(sample_media, tmp_path):
    """The command builds the Voxel51 schema; compared with the tests' independent builder."""
    from typer.testing import CliRunner

    from fiftyone_helpers import build_voxel51
    from videoaudit.cli import app

    name, ref_name = f"va-v51-{uuid.uuid4().hex[:8]}", f"va-v51-ref-{uuid.uuid4().hex[:8]}"
    runner = CliRunner()
    ann, videos = sample_media["paths"]["annotations"], sample_media["paths"]["videos"]
    try:
        r = runner.invoke(app, ["fiftyone-dataset", str(ann), "--media", str(videos), "--name", name])
        assert r.exit_code == 0, r.output
        assert "3 videos" in r.output
        r = runner.invoke(app, ["fiftyone-dataset", str(ann), "--media", str(videos), "--name", name])
        assert r.exit_code == 1 and "exists" in r.output
        r = runner.invoke(app, ["fiftyone-dataset", str(ann), "--media", str(tmp_path / "nope"), "--name", "x"])
        assert r.exit_code == 2 and "no such folder" in r.output
        ds, ref = fo.load_dataset(name), build_voxel51(ref_name, ann, videos)
        for field in ("title", "description", "full_video_duration", "tree_depth", "transcript"):
            assert ds.values(field) == ref.values(field), field
        assert all(u.startswith("https://www.youtube.com/watch?v=") for u in ds.values("full_video_url"))
        for field in ("gpt_summary_brief", "gpt_action_brief", "gpt_action_actor", "transcript_segments"):
            got = [[(d.label, list(d.support), d["node_id"] if field != "transcript_segments" else None)
                    for d in tv.detections] for tv in ds.values(field)]
            want = [[(d.label, list(d.support), d["node_id"] if field != "transcript_segments" else None)
                     for d in tv.detections] for tv in ref.values(field)]
            assert got == want, field
        # and videoaudit ingests it like the release itself
        from videoaudit.api import Workspace

        a, b = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
        a.ingest(name, format="fiftyone")
        b.ingest(ann)
        assert a.store.count("segments") > 0 and set(a.video_ids()) == set(b.video_ids())
    finally:
        for n in (name, ref_name):
            if fo.dataset_exists(n):
                fo.delete_dataset(n)
