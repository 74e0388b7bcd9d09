"""A run killed with SIGKILL mid-way resumes: finished videos are not redone and the result is a clean run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from videoaudit.api import Workspace
from videoaudit.workspace import Store

N_VIDEOS = 8
BATCH = 2
RUN_SCRIPT = "import sys; from videoaudit.api import Workspace; Workspace(sys.argv[1], batch_size=int(sys.argv[2])).run()"


@pytest.fixture(scope="module")
def sample8(tmp_path_factory):
    from videoaudit.sample import write_sample

    return write_sample(tmp_path_factory.mktemp("sample8"), videos=N_VIDEOS, seed=3, media=False)


def _prepare(path, info) -> Workspace:
    ws = Workspace(path, batch_size=BATCH)
    s = ws.ingest(info["paths"]["annotations"])
    assert s.videos == N_VIDEOS and not s.rejected
    ws.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
    return ws


def _dups(table, *cols) -> list:
    c = Counter(zip(*(table.column(n).to_pylist() for n in cols)))
    return [k for k, n in c.items() if n > 1]


def test_ingest_rerun_skips_ingested_videos(sample8, tmp_path):
    ws = Workspace(tmp_path / "ws")
    first = ws.ingest(sample8["paths"]["annotations"])
    assert (first.videos, first.skipped) == (N_VIDEOS, 0)
    n_seg = ws.store.count("segments")
    again = ws.ingest(sample8["paths"]["annotations"])
    assert (again.videos, again.segments, again.skipped) == (0, 0, N_VIDEOS)
    assert ws.store.count("videos") == N_VIDEOS and ws.store.count("segments") == n_seg
    forced = ws.ingest(sample8["paths"]["annotations"], force=True)
    assert (forced.videos, forced.skipped) == (N_VIDEOS, 0)
    assert ws.store.count("videos") == N_VIDEOS and ws.store.count("segments") == n_seg  # replaced, not appended


def test_sigkill_mid_run_then_resume(sample8, tmp_path):
    # the reference: the same data, the same batch size, never interrupted
    clean = _prepare(tmp_path / "clean", sample8)
    ref = clean.run()
    assert ref["signals"].done == N_VIDEOS and ref["confidence"].done == N_VIDEOS

    ws_path = tmp_path / "killed"
    _prepare(ws_path, sample8)
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", RUN_SCRIPT, str(ws_path), str(BATCH)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 300
        while True:
            done = Store(ws_path).finished("signals")  # a fresh Store: a cached table would not see new writes
            if len(done) >= BATCH:
                break
            assert proc.poll() is None, f"the run ended (rc {proc.returncode}) before a batch was seen: " + \
                (tmp_path / "run.log").read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "no batch finished in time"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    assert proc.returncode == -signal.SIGKILL
    before = Store(ws_path).finished("signals")
    assert BATCH <= len(before) < N_VIDEOS, f"the kill should land mid-run, {len(before)} videos were finished"
    assert len(before) % BATCH == 0  # whole batches are marked, never part of one
    assert not Store(ws_path).finished("confidence")

    ws = Workspace(ws_path, batch_size=BATCH)
    rep = ws.run()
    assert rep["signals"].skipped == len(before)  # finished before the kill: not recomputed
    assert rep["signals"].done == N_VIDEOS - len(before)
    assert rep["signals"].failed == {} and rep["confidence"].failed == {}
    assert rep["confidence"].done == N_VIDEOS

    # complete, and no batch written twice (the one in flight at the kill was rewritten, not appended)
    audited = {(s["video_id"], s["segment_id"]) for s in ws.table("segments").to_pylist() if s["has_gpt"]}
    sig, conf = ws.table("signals"), ws.confidence_map()
    assert not _dups(sig, "video_id", "segment_id", "signal")
    assert not _dups(conf, "video_id", "segment_id")
    assert not _dups(ws.table("video_signals"), "video_id", "signal")
    assert not _dups(ws.table("progress"), "stage", "video_id")
    assert {(v, s) for v, s, _ in zip(*(sig.column(c).to_pylist() for c in ("video_id", "segment_id", "signal")))} \
        == audited
    got = {(r["video_id"], r["segment_id"]): r for r in conf.to_pylist()}
    assert set(got) == audited
    assert sig.num_rows == clean.table("signals").num_rows

    # ... and equal to the uninterrupted run
    want = {(r["video_id"], r["segment_id"]): r for r in clean.confidence_map().to_pylist()}
    assert set(got) == set(want)
    for key, w in want.items():
        g = got[key]
        assert g["confidence"] == pytest.approx(w["confidence"], abs=1e-9), key
        assert g["tier"] == w["tier"] and g["reasons"] == w["reasons"], key

    # a further run has nothing left to do
    again = ws.run()
    assert all(r.done == 0 and r.skipped == N_VIDEOS for r in again.values())


@pytest.mark.slow
def test_kill_anywhere_then_resume_equals_an_uninterrupted_run(tmp_path):
    """benchmarks/kill_resume.py in small: SIGKILL a random time into two stages picked at random,
    resume, every table equal to an uninterrupted run's (the benchmark runs 21 trials, every stage)."""
    import importlib.util
    import random
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "kill_resume", Path(__file__).resolve().parents[1] / "benchmarks" / "kill_resume.py")
    kr = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kr)
    from videoaudit.sample import write_sample

    info = write_sample(tmp_path / "sample", videos=2, seed=5, media=False)
    windows = kr.stage_windows(info, tmp_path, 1)  # the uninterrupted run, in a child
    want = kr.tables(tmp_path / "reference")
    rng = random.Random(11)
    stages = rng.sample(sorted(set(windows) & set(kr.STAGES)), 2)
    for target, delay in kr.kill_points(windows, 2, rng, only=stages):
        where = kr.kill_trial(tmp_path, info, 1, target, delay)
        assert not kr.compare(kr.tables(tmp_path / "ws"), want), where
