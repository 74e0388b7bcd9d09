"""Running opinion backends over a workspace, the cascade's call accounting, and verdict logic."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest

from videoaudit.opinions.backends.base import Answer
from videoaudit.opinions.parse import Event, ParseFailure, Point
from videoaudit.opinions.adjudication import (SegmentEvidence, decide, disagreement_threshold, names_person,
                                         source_weights, video_verdict)

from conftest import read_jsonl, write_jsonl


@pytest.fixture
def ws6(sample6, tmp_path):
    """A fresh no-media workspace of sample6 (hashing text model: fast, offline), nothing imported."""
    from videoaudit.api import Workspace

    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(sample6["paths"]["annotations"], format="action100m")
    return ws


class CountingBackend:
    """A TEST DOUBLE backend (not a model): answers from a script, counts calls, needs no frames."""

    name = "double"
    tasks = ("describe", "localize", "point")
    wants_video_ids = True

    def __init__(self, script):
        self.script = script  # video_id -> Answer value, or Exception to raise
        self.calls: list[str] = []

    def frame_request(self, task, duration):
        return None

    def run(self, task, frames, *, durations, query=None, video_ids=None):
        out = []
        for vid in video_ids:
            self.calls.append(vid)
            v = self.script[vid]
            if isinstance(v, Exception):
                raise v
            raw = f"raw reply for {vid}"
            out.append(Answer(task, ParseFailure(raw, "no JSON found") if v is None else v, raw,
                              {"backend": "double", "model": "m-1", "prompt": f"{task}.v1"}))
        return out


def test_runner_stores_opinions_with_settings_raw_and_resumes(ws6):
    from videoaudit.opinions.runner import run_backend

    ids = ws6.video_ids()
    good, bad, boom = ids[0], ids[1], ids[2]
    script = {v: [Event(0.0, 2.0, "A Person waves", ("clamped_end",)), Event(2.0, 3.0, "walks")] for v in ids}
    script[bad] = None  # unparseable reply
    script[boom] = RuntimeError("CUDA out of memory")
    be = CountingBackend(script)
    rep = run_backend(ws6.store, be, "localize", video_ids=ids, batch_size=4)
    assert rep.stage == "opinions/double/localize"
    assert rep.done == len(ids) - 2 and set(rep.failed) == {bad, boom}
    ops = ws6.store.read("opinions").to_pylist()
    assert {o["video_id"] for o in ops} == set(ids) - {bad, boom}  # nothing stored for the failures
    row = next(o for o in ops if o["video_id"] == good and o["start"] == 0.0)
    assert row["source"] == "double" and row["kind"] == "event" and row["text"] == "A Person waves"
    assert row["raw"] == f"raw reply for {good}"
    s = json.loads(row["settings"])
    assert s["model"] == "m-1" and s["prompt"] == "localize.v1" and s["flags"] == ["clamped_end"]
    errs = ws6.errors().to_pylist()
    parse_err = [e for e in errs if e["video_id"] == bad]
    assert parse_err and "no JSON found" in parse_err[0]["error"] and f"raw reply for {bad}" in parse_err[0]["error"]
    assert any(e["video_id"] == boom and "CUDA out of memory" in e["error"] for e in errs)
    # resume: finished videos are not asked again; the failed ones are retried
    script[bad] = [Event(1.0, 2.0, "fixed")]
    script[boom] = [Event(1.0, 2.0, "fixed")]
    be.calls.clear()
    rep2 = run_backend(ws6.store, be, "localize", video_ids=ids)
    assert sorted(be.calls) == sorted([bad, boom]) and rep2.skipped == len(ids) - 2 and rep2.done == 2
    assert ws6.store.count("opinions") == 2 * (len(ids) - 2) + 2  # replaced per source+kind, never duplicated


def test_runner_keeps_other_sources_and_kinds(ws6, sample6):
    from videoaudit.opinions.runner import run_backend

    ws6.import_opinions(sample6["paths"]["opinions"], source="simulated-annotator")
    before = ws6.store.count("opinions")
    vid = ws6.video_ids()[0]
    be = CountingBackend({vid: [Point(1.0, 0.5, 0.4, "person")]})
    run_backend(ws6.store, be, "point", video_ids=[vid], source="ppl")
    run_backend(ws6.store, be, "point", video_ids=[vid], source="ppl", redo=True)
    pts = ws6.store.read("opinions", [vid], where="source = 'ppl'").to_pylist()
    assert len(pts) == 1 and (pts[0]["t"], pts[0]["x"], pts[0]["y"]) == (1.0, 0.5, 0.4)
    assert ws6.store.count("opinions") == before + 1


@pytest.mark.slow
def test_only_uncertain_selects_least_confident(ws6, sample6):
    from videoaudit.opinions.runner import select_videos

    with pytest.raises(ValueError, match="no confidence map"):
        select_videos(ws6.store, "uncertain:0.25")
    ws6.run()
    vc = sorted((r["confidence"], r["video_id"]) for r in ws6.video_confidence().to_pylist())
    picked = select_videos(ws6.store, "uncertain:0.25")
    assert picked == [v for _, v in vc[: math.ceil(0.25 * len(vc))]]
    assert select_videos(ws6.store, None) == ws6.video_ids()
    for bad in ("uncertain:0", "uncertain:x", "random:0.5"):
        with pytest.raises(ValueError, match="--only"):
            select_videos(ws6.store, bad)
    # the API: only those videos are asked
    rep = ws6.run_opinions("replay", "describe", only="uncertain:0.25",
                           options={"path": str(sample6["paths"]["opinions"])})
    assert rep.calls == len(picked) and rep.done == len(picked)
    assert set(ws6.store.read("opinions").column("video_id").to_pylist()) == set(picked)


def test_cascade_counts_model_calls(ws6, sample6):
    ops = str(sample6["paths"]["opinions"])
    n = len(ws6.video_ids())
    c = ws6.cascade("replay", budget=0.5, second_options={"path": ops}, second_source="simulated-annotator")
    k = math.ceil(0.5 * n)
    assert c["second_videos"] == k and c["model_calls"] == 2 * k  # describe + localize on half the videos
    assert c["model_calls_full"] == 2 * n and c["model_calls_avoided"] == 2 * (n - k)
    opinion_videos = set(ws6.store.read("opinions").column("video_id").to_pylist())
    assert opinion_videos == set(c["selected"])
    st = ws6.status()
    assert st["cascade"]["model_calls"] == 2 * k and "selected" not in st["cascade"]
    v = ws6.verdicts().to_pylist()
    assert {r["video_id"] for r in v} <= set(c["selected"])
    assert all(r["verdict"] in ("agree", "paraphrase", "undecided") for r in v)  # no grounding: nothing decided
    # grounding with a text backend (a replay of the same file stands in for a third model):
    third = tmp_third = ws6.path.parent / "third.jsonl"
    write_jsonl(tmp_third, [o for o in read_jsonl(ops) if o["kind"] == "event"])
    c2 = ws6.cascade("replay", budget=0.5, grounding="replay", second_options={"path": ops},
                     grounding_options={"path": str(third)}, second_source="simulated-annotator",
                     grounding_source="third")
    assert c2["grounding_tasks"] == ["localize"]
    assert c2["model_calls"] == 2 * k + c2["grounding_videos"] and c2["grounding_videos"] <= k
    assert c2["model_calls_full"] == 3 * n
    assert c2["calls_this_run"]["second/describe"] == 0  # resumed: the second opinion was not asked again
    assert c2["grounding_videos"] > 0
    decided = [r for r in ws6.verdicts().to_pylist() if r["verdict"] in ("annotation", "second_opinion", "diverge")]
    assert decided  # a third source that repeats the second opinion's events sides with it
    assert all(r["verdict"] == "second_opinion" for r in decided), decided[:3]
    assert set(json.loads(decided[0]["weights"])) == {"annotation", "simulated-annotator", "third"}


def test_cascade_budget_one_runs_everything(ws6, sample6):
    c = ws6.cascade("replay", budget=1.0, second_options={"path": str(sample6["paths"]["opinions"])})
    assert c["model_calls_avoided"] == 0 and c["second_videos"] == len(ws6.video_ids())
    with pytest.raises(ValueError, match="budget"):
        ws6.cascade("replay", budget=0.0, second_options={"path": str(sample6["paths"]["opinions"])})


# --------------------------------------------------------------------------- verdict logic


W = {"annotation": 0.6, "second": 0.6, "g": 0.6}


def ev(**kw):
    base = dict(video_id="v", segment_id="s", actor="a cook", sem_ab=0.2, lex_ab=0.1, grounded=True,
                grounding_kind="text", second_text="someone cooks")
    return SegmentEvidence(**(base | kw))


def test_agree_and_paraphrase_need_no_grounding():
    assert decide(ev(sem_ab=0.9, lex_ab=0.8, grounded=False), W, "second", "g")[0] == "agree"
    v, why = decide(ev(sem_ab=0.8, lex_ab=0.1, grounded=False), W, "second", "g")
    assert v == "paraphrase" and "paraphrase" in why


def test_text_grounding_sides():
    v, why = decide(ev(sem_ag=0.8, sem_bg=0.3), W, "second", "g")
    assert v == "annotation" and "closer to the annotation" in why and "weighted vote" in why
    assert decide(ev(sem_ag=0.3, sem_bg=0.8), W, "second", "g")[0] == "second_opinion"
    v, why = decide(ev(sem_ag=0.3, sem_bg=0.2), W, "second", "g")
    assert v == "diverge" and "neither" in why
    assert decide(ev(sem_ag=0.7, sem_bg=0.72), W, "second", "g")[0] == "undecided"  # as close to both
    assert decide(ev(grounded=False), W, "second", "g")[0] == "undecided"
    assert decide(ev(), W, "second", "g")[0] == "undecided"  # grounded, but it said nothing of this segment


def test_weights_can_outvote_a_grounding_source():
    w = {"annotation": 0.1, "second": 0.9, "g": 0.2}
    v, why = decide(ev(sem_ag=0.8, sem_bg=0.3), w, "second", "g")
    assert v == "second_opinion" and "0.30 (annotation) vs 0.90" in why


def test_people_grounding_decides_only_person_presence():
    pts = dict(grounding_kind="points")
    # nobody found: decides nothing
    assert decide(ev(person_seen_at=None, **pts), W, "second", "people")[0] == "undecided"
    # a person seen, only the annotation names one -> annotation
    v, why = decide(ev(person_seen_at=3.0, second_text="the dough rests on the table", **pts), W, "second", "people")
    assert v == "annotation" and "3.0 s" in why
    # a person seen, the annotation says N/A while the second opinion names a person -> second opinion
    assert decide(ev(actor=None, person_seen_at=3.0, second_text="a woman kneads dough", **pts), W, "second",
                  "people")[0] == "second_opinion"
    # both name a person: a person detector cannot judge the action
    v, why = decide(ev(person_seen_at=3.0, second_text="a man paints", **pts), W, "second", "people")
    assert v == "undecided" and "cannot judge the action" in why


def test_source_weights_are_smoothed_agreement_rates():
    evs = [ev(sem_ab=0.9, sem_ag=0.9, sem_bg=0.9), ev(sem_ab=0.1, sem_ag=0.9, sem_bg=0.1),
           ev(sem_ab=0.1, sem_ag=0.8, sem_bg=0.2)]
    w = source_weights(evs, "second", "g")
    # annotation: agrees with second 1/3, with g 3/3 -> (4+1)/(6+2); second: 1/3 + 1/3 -> (2+1)/(6+2)
    assert w["annotation"] == pytest.approx(5 / 8) and w["second"] == pytest.approx(3 / 8)
    assert w["g"] == pytest.approx((4 + 1) / (6 + 2))


def test_video_verdict_and_person_words():
    assert video_verdict(["agree", "annotation", "annotation", "second_opinion"])[0] == "annotation"
    assert video_verdict(["agree", "undecided", "paraphrase"])[0] == "undecided"
    assert video_verdict(["agree", "paraphrase"])[0] == "paraphrase"
    assert video_verdict(["agree"]) == ("agree", "segments: agree 1")
    assert names_person("The chef slices") and not names_person("the sauce simmers")
    assert names_person("the mechanic tightens a bolt", actor="a mechanic")
    with pytest.raises(ValueError, match="no second opinion"):
        decide(ev(sem_ab=float("nan")), W, "second", "g")


@pytest.mark.slow
def test_runner_decodes_each_video_once_and_needs_media(sample_media, ws6, tmp_path):
    from videoaudit.api import Workspace
    from videoaudit.media.frames import FrameSampler
    from videoaudit.models import get
    from videoaudit.opinions.runner import run_backend

    ws = Workspace(tmp_path / "wsm", text_model="hashing")
    ws.ingest(sample_media["paths"]["annotations"], media=sample_media["paths"]["videos"])
    sampler = FrameSampler()
    rep = run_backend(ws.store, get("opinion", "people"), "point", video_ids=ws.video_ids(), sampler=sampler)
    n = len(ws.video_ids())
    assert sampler.decodes == n and rep.calls == n and rep.done == n and not rep.failed
    for row in ws.store.read("opinions").to_pylist():  # whatever HOG found on the rendered patterns
        s = json.loads(row["settings"])
        assert row["source"] == "people" and row["kind"] == "point" and s["backend"] == "people"
        assert row["t"] in s["frame_times"] and 0 <= row["x"] <= 1 and row["raw"]
    # no media: a per-video failure naming the video and the cause; the run goes on
    rep = run_backend(ws6.store, get("opinion", "people"), "point", video_ids=ws6.video_ids()[:2])
    assert rep.done == 0 and len(rep.failed) == 2
    assert all("no media file" in e and v in e for v, e in rep.failed.items())


def test_endpoint_down_stops_the_run(ws6):
    from videoaudit.opinions.runner import run_backend

    be = CountingBackend({v: ConnectionRefusedError("endpoint http://x/v1 is down") for v in ws6.video_ids()})
    with pytest.raises(ConnectionError, match="is down"):
        run_backend(ws6.store, be, "describe")
    assert len(be.calls) == 1  # stopped at once, not once per video
    assert not ws6.store.finished("opinions/double/describe")


def test_disagreement_threshold_is_calibrated_on_the_run():
    rng = np.random.default_rng(0)
    cos = np.clip(rng.normal(0.5, 0.1, 500), 0, 1)
    thr = disagreement_threshold(cos)
    assert 0.25 < thr < 0.4 and np.mean(cos < thr) < 0.05  # about 2 robust deviations below the median
    assert disagreement_threshold([0.9] * 50 + [0.95] * 50) == 0.6  # never above the semantic signal's 0.6
    assert disagreement_threshold([0.1, 0.2]) == 0.6  # too few values to calibrate
    assert disagreement_threshold([float("nan")] * 10) == 0.6
    # a segment at 0.45 is a disagreement at 0.6, but only a paraphrase for a run whose median is 0.5
    e = ev(sem_ab=0.45, sem_ag=0.9, sem_bg=0.1)
    assert decide(e, W, "second", "g")[0] == "annotation"
    assert decide(e, W, "second", "g", threshold=thr)[0] == "paraphrase"
